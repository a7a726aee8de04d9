-- Helpers for building the config objects.

-- Drops the top-level keys whose value is null: a config builder leaves out an argument passed
-- as null (pgai's `json_object(... absent on null)`, which PostgreSQL 14 and 15 lack), keeping
-- nulls nested inside user-supplied objects such as ollama options.
create or replace function ai_extra._strip_null_keys(config pg_catalog.jsonb) returns pg_catalog.jsonb
as $func$
    select coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}'::pg_catalog.jsonb)
    from pg_catalog.jsonb_each(config) e
    where pg_catalog.jsonb_typeof(e.value) operator(pg_catalog.<>) 'null'
$func$ language sql immutable parallel safe security invoker
set search_path to pg_catalog, pg_temp;
