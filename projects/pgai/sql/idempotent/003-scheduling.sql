-- Scheduling configs: when a vectorizer runs in the database (a TimescaleDB job), or not. The
-- builders check nothing; the validators, which create_vectorizer calls, do.

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
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
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

