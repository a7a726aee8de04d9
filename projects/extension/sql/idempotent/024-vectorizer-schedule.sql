-- Scheduling: a TimescaleDB background job per vectorizer (scheduling => ai.scheduling_timescaledb()),
-- its procedure, enable/disable, and execute_vectorizer.
--
-- TimescaleDB is reached only through dynamic SQL in the schema its extension was installed in
-- (add_job, alter_job, delete_job; the view timescaledb_information.jobs), so nothing here needs
-- it to be installed until a vectorizer is scheduled with it. NOT VERIFIED against a real
-- TimescaleDB (it cannot be installed in this project's test environment): the calls follow
-- TimescaleDB 2.x's documented signatures, add_job(proc, schedule_interval, config, initial_start,
-- scheduled, check_config, fixed_schedule, timezone) and alter_job(job_id, ..., scheduled, ...).

-- The schema of the timescaledb extension, or null when it is not installed.
create or replace function ai._timescaledb_schema() returns pg_catalog.name
as $func$
    select n.nspname
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'timescaledb'
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

-- Creates the TimescaleDB job that runs ai._vectorizer_job for this vectorizer; returns its id
-- (null for scheduling_none). Only the scheduling options that are set are passed on, so
-- TimescaleDB's own defaults apply to the others.
create or replace function ai._vectorizer_schedule_job
( vectorizer_id pg_catalog.int4
, scheduling pg_catalog.jsonb
) returns pg_catalog.int8
as $func$
declare
    _implementation pg_catalog.text = scheduling operator(pg_catalog.->>) 'implementation';
    _schema pg_catalog.name;
    _args pg_catalog.text = '';
    _job_id pg_catalog.int8;
begin
    case _implementation
        when 'none', 'worker' then
            -- nothing to schedule: workers (the in-database one for 'worker') poll the queue
            return null;
        when 'timescaledb' then
            null;
        else
            raise exception 'scheduling implementation % cannot be scheduled; expected none, worker or timescaledb',
                coalesce(pg_catalog.quote_literal(_implementation), 'null');
    end case;
    _schema = ai._timescaledb_schema();
    if _schema is null then
        raise exception 'scheduling_timescaledb needs the timescaledb extension, which is not installed'
            using hint = 'install it, or pass scheduling => ai.scheduling_none() and run a worker (pgai vectorizer worker)';
    end if;
    if scheduling operator(pg_catalog.->>) 'initial_start' is not null then
        _args = _args operator(pg_catalog.||) ', initial_start => $3';
    end if;
    if scheduling operator(pg_catalog.->>) 'fixed_schedule' is not null then
        _args = _args operator(pg_catalog.||) ', fixed_schedule => $4';
    end if;
    if scheduling operator(pg_catalog.->>) 'timezone' is not null then
        _args = _args operator(pg_catalog.||) ', timezone => $5';
    end if;
    execute pg_catalog.format('select %I.add_job(%L::pg_catalog.regproc, schedule_interval => $1, config => $2%s)'
        , _schema, 'ai._vectorizer_job', _args)
    into strict _job_id
    using coalesce((scheduling operator(pg_catalog.->>) 'schedule_interval')::pg_catalog.interval, interval '5m')
        , pg_catalog.jsonb_build_object('vectorizer_id', vectorizer_id)
        , (scheduling operator(pg_catalog.->>) 'initial_start')::pg_catalog.timestamptz
        , (scheduling operator(pg_catalog.->>) 'fixed_schedule')::pg_catalog.bool
        , scheduling operator(pg_catalog.->>) 'timezone';
    return _job_id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Deletes a vectorizer's TimescaleDB job, if TimescaleDB and the job still exist and the job is
-- this vectorizer's (it runs ai._vectorizer_job for this id): the event trigger calls this as a
-- superuser with a job id read from a catalog row, which roles granted ai usage may write.
create or replace function ai._vectorizer_unschedule_job(vectorizer_id pg_catalog.int4, job_id pg_catalog.int8) returns void
as $func$
declare
    _schema pg_catalog.name = ai._timescaledb_schema();
    _exists pg_catalog.bool;
begin
    if job_id is null or _schema is null then
        return;
    end if;
    execute 'select exists (select 1 from timescaledb_information.jobs j where j.job_id operator(pg_catalog.=) $1'
        ' and j.proc_schema operator(pg_catalog.=) ''ai'' and j.proc_name operator(pg_catalog.=) ''_vectorizer_job'''
        ' and j.config operator(pg_catalog.->>) ''vectorizer_id'' operator(pg_catalog.=) $2::pg_catalog.text)'
    into _exists using job_id::pg_catalog.int4, vectorizer_id;
    if _exists then
        execute pg_catalog.format('select %I.delete_job($1)', _schema) using job_id::pg_catalog.int4;
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- What a vectorizer's scheduled job does, and what ai.execute_vectorizer runs now. Today that is
-- the indexing step (embedding is done by workers); TimescaleDB calls it with the job's id and
-- its config {"vectorizer_id": N}. No transaction control inside, so a function may call it.
create or replace procedure ai._vectorizer_job
( job_id pg_catalog.int4 default null
, config pg_catalog.jsonb default null
)
as $func$
declare
    _vectorizer_id pg_catalog.int4 = (config operator(pg_catalog.->>) 'vectorizer_id')::pg_catalog.int4;
begin
    if _vectorizer_id is null then
        raise exception 'the job''s config must hold a vectorizer_id (got %)', coalesce(config::pg_catalog.text, 'null');
    end if;
    if not exists (select 1 from ai.vectorizer v where v.id operator(pg_catalog.=) _vectorizer_id) then
        raise warning 'vectorizer % does not exist: job % has nothing to do', _vectorizer_id, coalesce(job_id::pg_catalog.text, '(none)')
            using hint = 'delete the job with delete_job()';
        return;
    end if;
    perform ai._vectorizer_create_vector_index_if_needed(_vectorizer_id);
end;
$func$ language plpgsql security invoker set search_path to pg_catalog, pg_temp;

-- alter_job(scheduled => on) for enable_vectorizer_schedule / disable_vectorizer_schedule.
create or replace function ai._vectorizer_set_scheduled(vectorizer_id pg_catalog.int4, scheduled pg_catalog.bool) returns void
as $func$
declare
    _v ai.vectorizer;
    _implementation pg_catalog.text;
    _job_id pg_catalog.int8;
    _schema pg_catalog.name;
begin
    select * into _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    if not found then
        raise exception 'vectorizer % does not exist', vectorizer_id;
    end if;
    _implementation = coalesce(_v.config operator(pg_catalog.#>>) '{scheduling,implementation}', 'none');
    _job_id = (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int8;
    if _implementation operator(pg_catalog.<>) 'timescaledb' or _job_id is null then
        raise exception 'vectorizer % has no schedule to %: its scheduling is %', vectorizer_id,
            case when scheduled then 'enable' else 'disable' end, _implementation
            using hint = 'a vectorizer without a schedule is processed by workers (pgai vectorizer worker): start or stop those instead';
    end if;
    _schema = ai._timescaledb_schema();
    if _schema is null then
        raise exception 'vectorizer % is scheduled by TimescaleDB job %, but the timescaledb extension is not installed', vectorizer_id, _job_id;
    end if;
    execute pg_catalog.format('select %I.alter_job($1, scheduled => $2)', _schema) using _job_id::pg_catalog.int4, scheduled;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.enable_vectorizer_schedule(vectorizer_id pg_catalog.int4) returns void
as $func$ select ai._vectorizer_set_scheduled(vectorizer_id, true) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.disable_vectorizer_schedule(vectorizer_id pg_catalog.int4) returns void
as $func$ select ai._vectorizer_set_scheduled(vectorizer_id, false) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Runs the vectorizer's job now, in this session, whether or not it has a schedule: today the
-- indexing step (the vector index is created when due; see
-- ai._vectorizer_create_vector_index_if_needed). It does not embed anything: workers do.
create or replace function ai.execute_vectorizer(vectorizer_id pg_catalog.int4) returns void
as $func$
declare
    _v ai.vectorizer;
begin
    select * into _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    if not found then
        raise exception 'vectorizer % does not exist', vectorizer_id;
    end if;
    call ai._vectorizer_job
    ( (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int4
    , pg_catalog.jsonb_build_object('vectorizer_id', vectorizer_id)
    );
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
