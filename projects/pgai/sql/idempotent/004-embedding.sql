-- Embedding configs: which model embeds the chunks, with which settings. Keys hold secret
-- *names* only (api_key_name); key values never enter the catalog. The builders check nothing
-- but voyage's input_type (an argument passed as null is left out); ai._validate_embedding,
-- which create_vectorizer calls, does.

create or replace function ai.embedding_openai
( model pg_catalog.text
, dimensions pg_catalog.int4
, chat_user pg_catalog.text default null
, api_key_name pg_catalog.text default 'OPENAI_API_KEY'
, base_url pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'openai'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'user', chat_user
    , 'api_key_name', api_key_name
    , 'base_url', base_url
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.embedding_ollama
( model pg_catalog.text
, dimensions pg_catalog.int4
, base_url pg_catalog.text default null
, options pg_catalog.jsonb default null
, keep_alive pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'ollama'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'base_url', base_url
    , 'options', options
    , 'keep_alive', keep_alive
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

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
    return pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'voyageai'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'input_type', input_type
    , 'api_key_name', api_key_name
    ));
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- A model reached through LiteLLM's naming (`provider/model`); extra_options are passed on.
create or replace function ai.embedding_litellm
( model pg_catalog.text
, dimensions pg_catalog.int4
, api_key_name pg_catalog.text default null
, extra_options pg_catalog.jsonb default null
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'litellm'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'api_key_name', api_key_name
    , 'extra_options', extra_options
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- A sentence-transformers model run by the worker itself (no API, no key).
create or replace function ai.embedding_sentence_transformers
( model pg_catalog.text default 'nomic-ai/nomic-embed-text-v1.5'
, dimensions pg_catalog.int4 default 768
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'sentence_transformers'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- pgai's checks (shape, config type, implementation), then this project's: a model, dimensions,
-- and, for the models whose size is known, dimensions the model can return (the target column
-- would never match what it returns otherwise).
create or replace function ai._validate_embedding(config pg_catalog.jsonb) returns void
as $func$
declare
    _implementation pg_catalog.text;
    _model pg_catalog.text;
    _dims pg_catalog.int4;
    _known record;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'embedding config is not a jsonb object';
    end if;
    if (config operator(pg_catalog.->>) 'config_type') is distinct from 'embedding' then
        raise exception 'invalid config_type for embedding config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    if _implementation is null then
        raise exception 'embedding implementation not specified';
    end if;
    if _implementation not in ('openai', 'ollama', 'voyageai', 'litellm', 'sentence_transformers') then
        raise exception 'invalid embedding implementation: "%"', _implementation;
    end if;
    _model = config operator(pg_catalog.->>) 'model';
    if coalesce(pg_catalog.btrim(_model), '') operator(pg_catalog.=) '' then
        raise exception 'embedding config has no model'
            using hint = 'name the model, e.g. ai.embedding_openai(''text-embedding-3-small'', 1536)';
    end if;
    if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'dimensions') is distinct from 'number' then
        return;  -- create_vectorizer says `dimensions argument is required`
    end if;
    _dims = (config operator(pg_catalog.->>) 'dimensions')::pg_catalog.numeric::pg_catalog.int4;
    if _dims operator(pg_catalog.<) 1 then
        raise exception 'dimensions must be greater than 0 (got %)', _dims;
    end if;
    select k.dims, k.exact into _known
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
    where k.impl operator(pg_catalog.=) _implementation
      and k.model operator(pg_catalog.=) case _implementation
            -- sentence-transformers/all-MiniLM-L6-v2; Ollama tags (all-minilm:latest)
            when 'sentence_transformers' then pg_catalog.lower(pg_catalog.regexp_replace(_model, '^sentence-transformers/', ''))
            when 'ollama' then pg_catalog.split_part(_model, ':', 1)
            else _model end;
    if _known.dims is null then
        return;
    end if;
    if _known.exact and _dims operator(pg_catalog.<>) _known.dims then
        raise exception 'model % returns % dimensions, but the embedding config asks for %', pg_catalog.quote_literal(_model), _known.dims, _dims
            using hint = pg_catalog.format('pass dimensions => %s', _known.dims);
    end if;
    if not _known.exact and _dims operator(pg_catalog.>) _known.dims then
        raise exception 'model % returns at most % dimensions, but the embedding config asks for %', pg_catalog.quote_literal(_model), _known.dims, _dims
            using hint = pg_catalog.format('pass dimensions of 1 to %s', _known.dims);
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;
