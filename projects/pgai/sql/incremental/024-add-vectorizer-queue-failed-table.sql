-- Keys whose loading failed too often go to a failed queue, named here.
alter table ai.vectorizer add column queue_failed_table pg_catalog.name;
