-- Helpers for building the config objects.

-- Drops the top-level keys whose value is null ("null parameters are left out"), keeping
-- nulls nested inside user-supplied objects such as ollama options.
create or replace function ai._strip_null_keys(config pg_catalog.jsonb) returns pg_catalog.jsonb
as $func$
    select coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}'::pg_catalog.jsonb)
    from pg_catalog.jsonb_each(config) e
    where pg_catalog.jsonb_typeof(e.value) operator(pg_catalog.<>) 'null'
$func$ language sql immutable parallel safe security invoker
set search_path to pg_catalog, pg_temp;

-- Every config object says what it configures; a validator first checks that it got the right kind.
create or replace function ai._check_config(config pg_catalog.jsonb, config_type pg_catalog.text, made_by pg_catalog.text)
returns void
as $func$
begin
    if config is null or pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object'
       or config operator(pg_catalog.->>) 'config_type' is distinct from config_type then
        raise exception '% must be a config made by %', config_type, made_by;
    end if;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;
