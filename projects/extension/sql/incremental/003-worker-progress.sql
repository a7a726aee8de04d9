-- Which worker last watched each vectorizer, and when: written by every worker (the pgai CLI and
-- the in-database worker), shown by ai.vectorizer_status. Not dumped: it describes processes of
-- the running server, not data.
create table ai.vectorizer_worker_progress
( vectorizer_id int not null primary key references ai.vectorizer (id) on delete cascade
, worker text not null
, last_heartbeat timestamptz not null default pg_catalog.now()
);
