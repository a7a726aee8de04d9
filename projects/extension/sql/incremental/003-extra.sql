-- Schema ai_extra holds what this project adds to pgai's interface (local models, the
-- in-database worker, worker status, internal helpers), so that schema ai holds exactly pgai's
-- objects. Owned, like schema ai, by the installing user (999-privileges.sql).
create schema ai_extra;

-- Which worker last watched each vectorizer, and when: written by every worker (the pgai CLI and
-- the in-database worker), shown by ai_extra.vectorizer_worker_status. Not dumped: it describes
-- processes of the running server, not data.
create table ai_extra.vectorizer_worker_progress
( vectorizer_id int not null primary key references ai.vectorizer (id) on delete cascade
, worker text not null
, last_heartbeat timestamptz not null default pg_catalog.now()
);
