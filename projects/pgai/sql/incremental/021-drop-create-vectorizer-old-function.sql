-- chunk_column moves from chunking to loading: the forms that took it go (the idempotent
-- part creates the new ones).
drop function if exists ai.create_vectorizer(pg_catalog.regclass, pg_catalog.name, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.bool);
drop function if exists ai._validate_chunking(pg_catalog.jsonb, pg_catalog.name, pg_catalog.name);
drop function if exists ai.chunking_character_text_splitter(pg_catalog.name, pg_catalog.int4, pg_catalog.int4, pg_catalog.text, pg_catalog.bool);
drop function if exists ai.chunking_recursive_character_text_splitter(pg_catalog.name, pg_catalog.int4, pg_catalog.int4, pg_catalog.text[], pg_catalog.bool);
