-- This project's local models in vectorizers: the embedding config a worker runs in-process.
-- (pgai 0.12's catalog has ai.embedding_sentence_transformers(model, dimensions) too; this one
-- adds the engine.)

-- A sentence-transformers model run locally (this project's addition): by the worker, and by
-- ai_extra.sentence_transformers_embed in a backend (ai.vectorizer_embed). `model` names a directory
-- in the models directory (ai.models_dir / PGAI_MODELS_DIR); `engine` (onnx, candle, auto)
-- overrides the automatic choice.
create or replace function ai_extra.embedding_sentence_transformers
( model pg_catalog.text default 'all-MiniLM-L6-v2'
, dimensions pg_catalog.int4 default 384
, engine pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'sentence_transformers'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'engine', pg_catalog.lower(engine)
    ))
$func$ language sql immutable security invoker
set search_path to pg_catalog, pg_temp;
