-- Scheduling configs (when a vectorizer runs in the database) and processing configs (how the worker batches).

create or replace function ai.scheduling_none() returns pg_catalog.jsonb
as $func$ select '{"implementation": "none", "config_type": "scheduling"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Resolved by create_vectorizer: TimescaleDB when installed, else none.
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
begin
    if schedule_interval is null or schedule_interval operator(pg_catalog.<=) interval '0' then
        raise exception 'schedule_interval must be a positive interval (got %)', coalesce(schedule_interval::text, 'null');
    end if;
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'timescaledb'
    , 'config_type', 'scheduling'
    , 'schedule_interval', schedule_interval
    , 'initial_start', initial_start
    , 'fixed_schedule', fixed_schedule
    , 'timezone', timezone
    ));
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._resolve_scheduling_default() returns pg_catalog.jsonb
as $func$
    select case
        when exists (select 1 from pg_catalog.pg_extension where extname operator(pg_catalog.=) 'timescaledb')
            then ai.scheduling_timescaledb()
        when ai._worker_serves_this_database()
            then '{"implementation": "worker", "config_type": "scheduling"}'::pg_catalog.jsonb
        else ai.scheduling_none() end
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._resolve_indexing_default() returns pg_catalog.jsonb
as $func$
    select case when exists (select 1 from pg_catalog.pg_extension where extname operator(pg_catalog.=) 'vectorscale')
        then ai.indexing_diskann() else ai.indexing_hnsw() end
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_scheduling(config pg_catalog.jsonb) returns void
as $func$
begin
    perform ai._check_config(config, 'scheduling', 'an ai.scheduling_* function');
    case config operator(pg_catalog.->>) 'implementation'
        when 'none' then null;
        when 'default' then null;
        when 'worker' then null;
        when 'timescaledb' then
            if (config operator(pg_catalog.->>) 'schedule_interval')::pg_catalog.interval operator(pg_catalog.<=) interval '0' then
                raise exception 'schedule_interval must be a positive interval';
            end if;
        else raise exception 'unrecognized scheduling implementation %; expected none, default, worker or timescaledb',
            coalesce(pg_catalog.quote_literal(config operator(pg_catalog.->>) 'implementation'), 'null');
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.processing_default
( batch_size pg_catalog.int4 default null
, concurrency pg_catalog.int4 default null
) returns pg_catalog.jsonb
as $func$
declare
    _config pg_catalog.jsonb = ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'default'
    , 'config_type', 'processing'
    , 'batch_size', batch_size
    , 'concurrency', concurrency
    ));
begin
    perform ai._validate_processing(_config);
    return _config;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_processing(config pg_catalog.jsonb) returns void
as $func$
declare
    _batch pg_catalog.int4;
    _conc pg_catalog.int4;
begin
    if config is null or pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object'
       or config operator(pg_catalog.->>) 'config_type' is distinct from 'processing'
       or config operator(pg_catalog.->>) 'implementation' is distinct from 'default' then
        raise exception 'processing must be a config made by ai.processing_default()';
    end if;
    _batch = (config operator(pg_catalog.->>) 'batch_size')::pg_catalog.int4;
    _conc = (config operator(pg_catalog.->>) 'concurrency')::pg_catalog.int4;
    if _batch not between 1 and 2048 then
        raise exception 'batch_size must be between 1 and 2048 (got %)', _batch;
    end if;
    if _conc not between 1 and 50 then
        raise exception 'concurrency must be between 1 and 50 (got %)', _conc;
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Roles to grant a new vectorizer's objects to: the given ones plus the setting ai.grant_to_default.
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
