-- Worker tracking: a worker registers at start, beats its heart every poll interval with the
-- counts since the last beat, and reports each vectorizer's batches.

create or replace function ai._worker_start(version pg_catalog.text, expected_heartbeat_interval pg_catalog.interval) returns pg_catalog.uuid
as $func$
    insert into ai.vectorizer_worker_process (version, expected_heartbeat_interval)
    values (version, expected_heartbeat_interval)
    returning id
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._worker_heartbeat
( worker_id pg_catalog.uuid
, num_successes_since_last_heartbeat pg_catalog.int4
, num_errors_since_last_heartbeat pg_catalog.int4
, error_message pg_catalog.text
) returns void
as $func$
declare
    _now pg_catalog.timestamptz = pg_catalog.clock_timestamp();
begin
    update ai.vectorizer_worker_process w set
      last_heartbeat = _now
    , heartbeat_count = w.heartbeat_count operator(pg_catalog.+) 1
    , success_count = w.success_count operator(pg_catalog.+) coalesce(num_successes_since_last_heartbeat, 0)
    , error_count = w.error_count operator(pg_catalog.+) coalesce(num_errors_since_last_heartbeat, 0)
    , last_error_at = case when error_message is null then w.last_error_at else _now end
    , last_error_message = coalesce(error_message, w.last_error_message)
    where w.id operator(pg_catalog.=) worker_id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._worker_progress
( worker_id pg_catalog.uuid
, worker_vectorizer_id pg_catalog.int4
, num_successes pg_catalog.int4
, error_message pg_catalog.text
) returns void
as $func$
declare
    _now pg_catalog.timestamptz = pg_catalog.clock_timestamp();
begin
    insert into ai.vectorizer_worker_progress (vectorizer_id) values (worker_vectorizer_id)
    on conflict (vectorizer_id) do nothing;
    update ai.vectorizer_worker_progress p set
      success_count = p.success_count operator(pg_catalog.+) coalesce(num_successes, 0)
    , error_count = p.error_count operator(pg_catalog.+) case when error_message is null then 0 else 1 end
    , last_success_at = case when error_message is null then _now else p.last_success_at end
    , last_success_process_id = case when error_message is null then worker_id else p.last_success_process_id end
    , last_error_at = case when error_message is null then p.last_error_at else _now end
    , last_error_message = case when error_message is null then p.last_error_message else error_message end
    , last_error_process_id = case when error_message is null then p.last_error_process_id else worker_id end
    where p.vectorizer_id operator(pg_catalog.=) worker_vectorizer_id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
