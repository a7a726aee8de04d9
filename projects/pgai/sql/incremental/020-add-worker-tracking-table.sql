-- Which worker processes run, and how each vectorizer fares (ai._worker_start, _worker_heartbeat,
-- _worker_progress write them).
create table ai.vectorizer_worker_process
( id pg_catalog.uuid not null primary key default pg_catalog.gen_random_uuid()
, version pg_catalog.text not null
, started pg_catalog.timestamptz not null default pg_catalog.now()
, expected_heartbeat_interval pg_catalog.interval not null
, last_heartbeat pg_catalog.timestamptz not null default pg_catalog.now()
, heartbeat_count pg_catalog.int4 not null default 0
, error_count pg_catalog.int4 not null default 0
, success_count pg_catalog.int4 not null default 0
, last_error_at pg_catalog.timestamptz null default null
, last_error_message pg_catalog.text null default null
);
create index on ai.vectorizer_worker_process (last_heartbeat);

create table ai.vectorizer_worker_progress
( vectorizer_id pg_catalog.int4 not null primary key references ai.vectorizer (id) on delete cascade
, success_count pg_catalog.int4 not null default 0
, error_count pg_catalog.int4 not null default 0
, last_success_at pg_catalog.timestamptz null default null
, last_success_process_id pg_catalog.uuid null default null
, last_error_at pg_catalog.timestamptz null default null
, last_error_message pg_catalog.text null default null
, last_error_process_id pg_catalog.uuid null default null
);
