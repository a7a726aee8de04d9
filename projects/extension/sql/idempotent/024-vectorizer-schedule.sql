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
create or replace function ai_extra._timescaledb_schema() returns pg_catalog.name
as $func$
    select n.nspname
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'timescaledb'
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

-- Creates the TimescaleDB job that runs ai._vectorizer_job for this vectorizer; returns its id
-- (null for none and worker). Only the scheduling options that are set are passed on, so
-- TimescaleDB's own defaults apply to the others.
create or replace function ai._vectorizer_schedule_job
( vectorizer_id pg_catalog.int4
, scheduling pg_catalog.jsonb
) returns pg_catalog.int8
as $func$
declare
    _schema pg_catalog.name;
    _args pg_catalog.text = '';
    _job_id pg_catalog.int8;
begin
    case scheduling operator(pg_catalog.->>) 'implementation'
        when 'none', 'worker' then
            return null;
        when 'timescaledb' then
            _schema = ai_extra._timescaledb_schema();
            if _schema is null then
                raise exception 'timescaledb extension not found'
                    using hint = 'install it, or pass scheduling => ai.scheduling_none() and run a worker (pgai vectorizer worker)';
            end if;
        else
            raise exception 'scheduling implementation not recognized';
    end case;
    if scheduling operator(pg_catalog.?) 'schedule_interval' then
        _args = _args operator(pg_catalog.||) ', schedule_interval => $1';
    end if;
    if scheduling operator(pg_catalog.?) 'initial_start' then
        _args = _args operator(pg_catalog.||) ', initial_start => $3';
    end if;
    if scheduling operator(pg_catalog.?) 'fixed_schedule' then
        _args = _args operator(pg_catalog.||) ', fixed_schedule => $4';
    end if;
    if scheduling operator(pg_catalog.?) 'timezone' then
        _args = _args operator(pg_catalog.||) ', timezone => $5';
    end if;
    execute pg_catalog.format('select %I.add_job(%L::pg_catalog.regproc%s, config => $2)'
        , _schema, 'ai._vectorizer_job', _args)
    into strict _job_id
    using (scheduling operator(pg_catalog.->>) 'schedule_interval')::pg_catalog.interval
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
create or replace function ai_extra._vectorizer_unschedule_job(vectorizer_id pg_catalog.int4, job_id pg_catalog.int8) returns void
as $func$
declare
    _schema pg_catalog.name = ai_extra._timescaledb_schema();
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

-- What a vectorizer's TimescaleDB job runs: the indexing step when due, then, when the queue
-- has rows, ai.execute_vectorizer once per 50 queued rows (at most 10 times), which signals the
-- executor (ai.external_functions_executor_url) to process them. It commits between steps, so it
-- has no SET clause and qualifies every name itself.
create or replace procedure ai._vectorizer_job
( job_id pg_catalog.int4 default null
, config pg_catalog.jsonb default null
)
as $func$
declare
    _vectorizer_id pg_catalog.int4;
    _vectorizer ai.vectorizer;
    _has_row pg_catalog.bool;
    _count pg_catalog.int8;
begin
    if config is null then
        raise exception 'config is null';
    end if;
    _vectorizer_id = (config operator(pg_catalog.->>) 'vectorizer_id')::pg_catalog.int4;
    select v.* into strict _vectorizer from ai.vectorizer v where v.id operator(pg_catalog.=) _vectorizer_id;
    commit;
    if ai._vectorizer_should_create_vector_index(_vectorizer) then
        perform ai._vectorizer_create_vector_index
        ( _vectorizer.target_schema
        , _vectorizer.target_table
        , _vectorizer.config operator(pg_catalog.->) 'indexing'
        );
    end if;
    commit;
    execute pg_catalog.format('select exists (select 1 from %I.%I for update skip locked)', _vectorizer.queue_schema, _vectorizer.queue_table)
    into _has_row;
    if not _has_row then
        return;
    end if;
    execute pg_catalog.format('select pg_catalog.count(1) from (select 1 from %I.%I limit 501) x', _vectorizer.queue_schema, _vectorizer.queue_table)
    into _count;
    commit;
    for i in 1 .. least(10, pg_catalog.ceil(_count::pg_catalog.numeric operator(pg_catalog./) 50)::pg_catalog.int4) loop
        perform ai.execute_vectorizer(_vectorizer_id);
    end loop;
end;
$func$ language plpgsql security invoker;

-- enable_vectorizer_schedule / disable_vectorizer_schedule: the TimescaleDB job's scheduled flag.
-- Vectorizers without a job (scheduling none, or this project's worker) have nothing to change.
create or replace function ai_extra._vectorizer_set_scheduled(vectorizer_id pg_catalog.int4, scheduled pg_catalog.bool) returns void
as $func$
declare
    _scheduling pg_catalog.jsonb;
    _schema pg_catalog.name;
begin
    select v.config operator(pg_catalog.->) 'scheduling' into strict _scheduling
    from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    case coalesce(_scheduling operator(pg_catalog.->>) 'implementation', 'none')
        when 'none', 'worker' then
            return;
        when 'timescaledb' then
            _schema = ai_extra._timescaledb_schema();
            if _schema is not null and _scheduling operator(pg_catalog.?) 'job_id' then
                execute pg_catalog.format('select %I.alter_job($1, scheduled => $2)', _schema)
                using (_scheduling operator(pg_catalog.->>) 'job_id')::pg_catalog.int4, scheduled;
            end if;
    end case;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.enable_vectorizer_schedule(vectorizer_id pg_catalog.int4) returns void
as $func$ select ai_extra._vectorizer_set_scheduled(vectorizer_id, true) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.disable_vectorizer_schedule(vectorizer_id pg_catalog.int4) returns void
as $func$ select ai_extra._vectorizer_set_scheduled(vectorizer_id, false) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;
