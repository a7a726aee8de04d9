-- Embedding configs: which model embeds the chunks, with which settings. Keys hold secret
-- *names* only (api_key_name); the key values never enter the catalog. The builders check
-- nothing but voyage's input_type (an argument passed as null is left out);
-- ai._validate_embedding, which create_vectorizer calls, does.

create or replace function ai.embedding_openai
( model pg_catalog.text
, dimensions pg_catalog.int4
, chat_user pg_catalog.text default null
, api_key_name pg_catalog.text default 'OPENAI_API_KEY'
, base_url pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'openai'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'user', chat_user
    , 'api_key_name', api_key_name
    , 'base_url', base_url
    ))
$func$ language sql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.embedding_ollama
( model pg_catalog.text
, dimensions pg_catalog.int4
, base_url pg_catalog.text default null
, options pg_catalog.jsonb default null
, keep_alive pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'ollama'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'base_url', base_url
    , 'options', options
    , 'keep_alive', keep_alive
    ))
$func$ language sql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.embedding_voyageai
( model pg_catalog.text
, dimensions pg_catalog.int4
, input_type pg_catalog.text default 'document'
, api_key_name pg_catalog.text default 'VOYAGE_API_KEY'
) returns pg_catalog.jsonb
as $func$
begin
    if input_type is not null and input_type not in ('query', 'document') then
        -- pgai's only check at build time
        raise exception 'invalid input_type for voyage ai "%"', input_type
            using hint = 'pass input_type => ''query'', ''document'' or null';
    end if;
    return ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'voyageai'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'input_type', input_type
    , 'api_key_name', api_key_name
    ));
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

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

-- pgai's checks (shape, config_type, implementation), then this project's: a model, and an
-- engine the local implementation knows.
create or replace function ai._validate_embedding(config pg_catalog.jsonb) returns void
as $func$
declare
    _config_type pg_catalog.text;
    _implementation pg_catalog.text;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'embedding config is not a jsonb object';
    end if;
    _config_type = config operator(pg_catalog.->>) 'config_type';
    if _config_type is null or _config_type operator(pg_catalog.<>) 'embedding' then
        raise exception 'invalid config_type for embedding config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    case _implementation
        when 'openai', 'ollama', 'voyageai', 'sentence_transformers' then
            null;
        else
            if _implementation is null then
                raise exception 'embedding implementation not specified';
            else
                raise exception 'invalid embedding implementation: "%"', _implementation;
            end if;
    end case;
    if coalesce(pg_catalog.btrim(config operator(pg_catalog.->>) 'model'), '') operator(pg_catalog.=) '' then
        raise exception 'embedding config has no model'
            using hint = 'name the model, e.g. ai.embedding_openai(''text-embedding-3-small'', 1536)';
    end if;
    if _implementation operator(pg_catalog.=) 'sentence_transformers'
       and config operator(pg_catalog.->>) 'engine' not in ('onnx', 'candle', 'auto') then
        raise exception 'engine must be null, ''onnx'', ''candle'' or ''auto'' (got %)',
            pg_catalog.quote_literal(config operator(pg_catalog.->>) 'engine');
    end if;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

-- The dimensions of the models whose size the extension knows: create_vectorizer refuses a
-- config that asks a model for another size (the target column would never match what the
-- model returns). exact: the model has one size; otherwise `dims` is the most it returns.
create or replace function ai_extra._known_model_dimensions(implementation pg_catalog.text, model pg_catalog.text
, out dims pg_catalog.int4, out exact pg_catalog.bool)
as $func$
    select k.dims, k.exact
    from
    ( values ('openai', 'text-embedding-ada-002', 1536, true)
           , ('openai', 'text-embedding-3-small', 1536, false)
           , ('openai', 'text-embedding-3-large', 3072, false)
           , ('sentence_transformers', 'all-minilm-l6-v2', 384, true)
           , ('sentence_transformers', 'all-minilm-l12-v2', 384, true)
           , ('sentence_transformers', 'all-mpnet-base-v2', 768, true)
           , ('sentence_transformers', 'multi-qa-minilm-l6-cos-v1', 384, true)
           , ('ollama', 'nomic-embed-text', 768, true)
           , ('ollama', 'all-minilm', 384, true)
           , ('ollama', 'mxbai-embed-large', 1024, true)
           , ('voyageai', 'voyage-3', 1024, true)
           , ('voyageai', 'voyage-3-lite', 512, true)
    ) k(impl, model, dims, exact)
    where k.impl operator(pg_catalog.=) _known_model_dimensions.implementation
      and k.model operator(pg_catalog.=) case _known_model_dimensions.implementation
            -- sentence-transformers/all-MiniLM-L6-v2; Ollama tags (all-minilm:latest)
            when 'sentence_transformers' then pg_catalog.lower(pg_catalog.regexp_replace(_known_model_dimensions.model, '^sentence-transformers/', ''))
            when 'ollama' then pg_catalog.split_part(_known_model_dimensions.model, ':', 1)
            else _known_model_dimensions.model end
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai_extra._validate_model_dimensions(config pg_catalog.jsonb) returns void
as $func$
declare
    _model pg_catalog.text = config operator(pg_catalog.->>) 'model';
    _dims pg_catalog.int4 = (config operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4;
    _k record;
begin
    select * into _k from ai_extra._known_model_dimensions(config operator(pg_catalog.->>) 'implementation', _model);
    if _k.dims is null then
        return;
    end if;
    if _k.exact and _dims operator(pg_catalog.<>) _k.dims then
        raise exception 'model % returns % dimensions, but the embedding config asks for %', pg_catalog.quote_literal(_model), _k.dims, _dims
            using hint = pg_catalog.format('pass dimensions => %s', _k.dims);
    end if;
    if not _k.exact and _dims operator(pg_catalog.>) _k.dims then
        raise exception 'model % returns at most % dimensions, but the embedding config asks for %', pg_catalog.quote_literal(_model), _k.dims, _dims
            using hint = pg_catalog.format('pass dimensions of 1 to %s', _k.dims);
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;
