-- vectorizer_queue_pending gained exact_count: the one-argument form goes.
drop function if exists ai.vectorizer_queue_pending(pg_catalog.int4) cascade;
