-- Scheduling configs (when a vectorizer runs in the database) and processing configs (how the
-- worker batches). The builders check nothing; the validators, which create_vectorizer calls, do.

create or replace function ai.scheduling_none() returns pg_catalog.jsonb
as $func$ select '{"implementation": "none", "config_type": "scheduling"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Resolved by create_vectorizer from the setting ai.scheduling_default (ai._resolve_scheduling_default).
create or replace function ai.scheduling_default() returns pg_catalog.jsonb
as $func$ select '{"implementation": "default", "config_type": "scheduling"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.scheduling_timescaledb
( schedule_interval pg_catalog.interval default interval '5m'
, initial_start pg_catalog.timestamptz default null
, fixed_schedule pg_catalog.bool default null
, timezone pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'timescaledb'
    , 'config_type', 'scheduling'
    , 'schedule_interval', schedule_interval
    , 'initial_start', initial_start
    , 'fixed_schedule', fixed_schedule
    , 'timezone', timezone
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- The setting ai.scheduling_default names the default: scheduling_timescaledb, or this
-- project's scheduling_worker (vectorizers that the workers, the in-database one included,
-- process and index); anything else, or nothing, is none. Installed extensions play no part.
create or replace function ai._resolve_scheduling_default() returns pg_catalog.jsonb
as $func$
    select case pg_catalog.current_setting('ai.scheduling_default', true)
        when 'scheduling_timescaledb' then ai.scheduling_timescaledb()
        when 'scheduling_worker' then '{"implementation": "worker", "config_type": "scheduling"}'::pg_catalog.jsonb
        else ai.scheduling_none() end
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The setting ai.indexing_default names the default: indexing_diskann or indexing_hnsw (with
-- their defaults); anything else, or nothing, is none.
create or replace function ai._resolve_indexing_default() returns pg_catalog.jsonb
as $func$
    select case pg_catalog.current_setting('ai.indexing_default', true)
        when 'indexing_diskann' then ai.indexing_diskann()
        when 'indexing_hnsw' then ai.indexing_hnsw()
        else ai.indexing_none() end
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_scheduling(config pg_catalog.jsonb) returns void
as $func$
declare
    _config_type pg_catalog.text;
    _implementation pg_catalog.text;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'scheduling config is not a jsonb object';
    end if;
    _config_type = config operator(pg_catalog.->>) 'config_type';
    if _config_type is null or _config_type operator(pg_catalog.<>) 'scheduling' then
        raise exception 'invalid config_type for scheduling config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    case _implementation
        when 'none', 'timescaledb', 'worker' then
            null;
        else
            if _implementation is null then
                raise exception 'scheduling implementation not specified';
            else
                raise exception 'unrecognized scheduling implementation: "%"', _implementation;
            end if;
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.processing_default
( batch_size pg_catalog.int4 default null
, concurrency pg_catalog.int4 default null
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'default'
    , 'config_type', 'processing'
    , 'batch_size', batch_size
    , 'concurrency', concurrency
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_processing(config pg_catalog.jsonb) returns void
as $func$
declare
    _config_type pg_catalog.text;
    _implementation pg_catalog.text;
    _key pg_catalog.text;
    _max pg_catalog.int4;
    _value pg_catalog.numeric;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'processing config is not a jsonb object';
    end if;
    _config_type = config operator(pg_catalog.->>) 'config_type';
    if _config_type is null or _config_type operator(pg_catalog.<>) 'processing' then
        raise exception 'invalid config_type for processing config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    case _implementation
        when 'default' then
            for _key, _max in select * from (values ('batch_size', 2048), ('concurrency', 50)) x loop
                if config operator(pg_catalog.?) _key then
                    if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) _key) operator(pg_catalog.<>) 'number' then
                        raise exception '% must be a number', _key;
                    end if;
                    _value = (config operator(pg_catalog.->>) _key)::pg_catalog.numeric;
                    if _value operator(pg_catalog.>) _max then
                        raise exception '% must be less than or equal to %', _key, _max;
                    end if;
                    if _value operator(pg_catalog.<) 1 then
                        raise exception '% must be greater than 0', _key;
                    end if;
                end if;
            end loop;
        else
            if _implementation is null then
                raise exception 'processing implementation not specified';
            else
                raise exception 'unrecognized processing implementation: "%"', _implementation;
            end if;
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Roles to grant a new vectorizer's objects to: the given ones plus the comma-separated,
-- trimmed entries of the setting ai.grant_to_default.
create or replace function ai.grant_to(variadic grantees pg_catalog.name[]) returns pg_catalog.name[]
as $func$
    select coalesce(pg_catalog.array_agg(distinct g), '{}')
    from
    ( select pg_catalog.unnest(grantees) as g
      union
      select pg_catalog.btrim(d)::pg_catalog.name
      from pg_catalog.regexp_split_to_table(coalesce(pg_catalog.current_setting('ai.grant_to_default', true), ''), ',') d
    ) x
    where g is not null and g operator(pg_catalog.<>) ''
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.grant_to() returns pg_catalog.name[]
as $func$ select ai.grant_to(variadic array[]::pg_catalog.name[]) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;
