-- A disabled vectorizer is skipped by workers (enable/disable_vectorizer_schedule set it).
alter table ai.vectorizer add column disabled pg_catalog.bool not null default false;
