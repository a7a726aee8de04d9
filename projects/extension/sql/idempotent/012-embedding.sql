-- Embedding configs: which model embeds the chunks, with which settings. Keys hold secret
-- *names* only (api_key_name); the key values never enter the catalog.

create or replace function ai._validate_dimensions(dimensions pg_catalog.int4) returns void
as $func$
begin
    if dimensions is null or dimensions operator(pg_catalog.<=) 0 or dimensions operator(pg_catalog.>) 16000 then
        raise exception 'dimensions must be between 1 and 16000 (got %)', coalesce(dimensions::text, 'null')
            using hint = 'give the number of dimensions the model returns, e.g. 1536 for text-embedding-3-small';
    end if;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_secret_name(api_key_name pg_catalog.text) returns void
as $func$
begin
    if api_key_name is not null and api_key_name operator(pg_catalog.!~) '^[A-Za-z0-9_.]+$' then
        raise exception 'api_key_name % may hold only letters, digits, _ and .', pg_catalog.quote_literal(api_key_name);
    end if;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.embedding_openai
( model pg_catalog.text
, dimensions pg_catalog.int4
, chat_user pg_catalog.text default null
, api_key_name pg_catalog.text default 'OPENAI_API_KEY'
, base_url pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
begin
    if model is null then raise exception 'model is required, e.g. ''text-embedding-3-small'''; end if;
    perform ai._validate_dimensions(dimensions);
    perform ai._validate_secret_name(api_key_name);
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'openai'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'user', chat_user
    , 'api_key_name', api_key_name
    , 'base_url', base_url
    ));
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.embedding_ollama
( model pg_catalog.text
, dimensions pg_catalog.int4
, base_url pg_catalog.text default null
, options pg_catalog.jsonb default null
, keep_alive pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
begin
    if model is null then raise exception 'model is required, e.g. ''nomic-embed-text'''; end if;
    perform ai._validate_dimensions(dimensions);
    if options is not null and pg_catalog.jsonb_typeof(options) operator(pg_catalog.<>) 'object' then
        raise exception 'options must be a json object of Ollama model options, e.g. ''{"num_ctx": 4096}''';
    end if;
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'ollama'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'base_url', base_url
    , 'options', options
    , 'keep_alive', keep_alive
    ));
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.embedding_voyageai
( model pg_catalog.text
, dimensions pg_catalog.int4
, input_type pg_catalog.text default 'document'
, api_key_name pg_catalog.text default 'VOYAGE_API_KEY'
) returns pg_catalog.jsonb
as $func$
begin
    if model is null then raise exception 'model is required, e.g. ''voyage-3'''; end if;
    perform ai._validate_dimensions(dimensions);
    perform ai._validate_secret_name(api_key_name);
    if input_type is not null and input_type not in ('query', 'document') then
        raise exception 'input_type must be null, ''query'' or ''document'' (got %)', pg_catalog.quote_literal(input_type);
    end if;
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
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

-- A sentence-transformers model run locally: by the worker, and by ai.sentence_transformers_embed
-- in a backend (ai.vectorizer_embed). `model` names a directory in the models directory
-- (ai.models_dir / PGAI_MODELS_DIR); `engine` (onnx, candle, auto) overrides the automatic choice.
create or replace function ai.embedding_sentence_transformers
( model pg_catalog.text default 'all-MiniLM-L6-v2'
, dimensions pg_catalog.int4 default 384
, engine pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
begin
    if model is null or pg_catalog.btrim(model) operator(pg_catalog.=) '' then
        raise exception 'model is required, e.g. ''all-MiniLM-L6-v2''';
    end if;
    perform ai._validate_dimensions(dimensions);
    if engine is not null and pg_catalog.lower(engine) not in ('onnx', 'candle', 'auto') then
        raise exception 'engine must be null, ''onnx'', ''candle'' or ''auto'' (got %)', pg_catalog.quote_literal(engine);
    end if;
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'sentence_transformers'
    , 'config_type', 'embedding'
    , 'model', model
    , 'dimensions', dimensions
    , 'engine', pg_catalog.lower(engine)
    ));
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_embedding(config pg_catalog.jsonb) returns void
as $func$
begin
    if config is null then
        raise exception 'embedding is required: pass embedding => ai.embedding_openai(''text-embedding-3-small'', 1536) or another ai.embedding_* config';
    end if;
    perform ai._check_config(config, 'embedding', 'an ai.embedding_* function');
    if config operator(pg_catalog.->>) 'implementation' is null
       or config operator(pg_catalog.->>) 'implementation' not in ('openai', 'ollama', 'voyageai', 'sentence_transformers') then
        raise exception 'unrecognized embedding implementation %; expected openai, ollama, voyageai or sentence_transformers',
            coalesce(pg_catalog.quote_literal(config operator(pg_catalog.->>) 'implementation'), 'null');
    end if;
    if config operator(pg_catalog.->>) 'model' is null then
        raise exception 'embedding config has no model';
    end if;
    perform ai._validate_dimensions((config operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4);
    perform ai._validate_secret_name(config operator(pg_catalog.->>) 'api_key_name');
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

-- The dimensions of the models whose size the extension knows: create_vectorizer refuses a
-- config that asks a model for another size (the target column would never match what the
-- model returns). exact: the model has one size; otherwise `dims` is the most it returns.
create or replace function ai._known_model_dimensions(implementation pg_catalog.text, model pg_catalog.text
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

create or replace function ai._validate_model_dimensions(config pg_catalog.jsonb) returns void
as $func$
declare
    _model pg_catalog.text = config operator(pg_catalog.->>) 'model';
    _dims pg_catalog.int4 = (config operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4;
    _k record;
begin
    select * into _k from ai._known_model_dimensions(config operator(pg_catalog.->>) 'implementation', _model);
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
