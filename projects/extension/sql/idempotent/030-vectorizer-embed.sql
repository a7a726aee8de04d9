-- vectorizer_embed: embeds a query text with a vectorizer's own provider settings, for search.

create or replace function ai.vectorizer_embed
( embedding_config pg_catalog.jsonb
, input_text pg_catalog.text
, input_type pg_catalog.text default null
) returns vector
as $func$
declare
    _c pg_catalog.jsonb = embedding_config;
begin
    perform ai._validate_embedding(_c);
    case _c operator(pg_catalog.->>) 'implementation'
        when 'openai' then
            return ai.openai_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , api_key_name => _c operator(pg_catalog.->>) 'api_key_name'
            , base_url => _c operator(pg_catalog.->>) 'base_url'
            , dimensions => (_c operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4
            , openai_user => _c operator(pg_catalog.->>) 'user'
            );
        when 'ollama' then
            return ai.ollama_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , host => _c operator(pg_catalog.->>) 'base_url'
            , keep_alive => _c operator(pg_catalog.->>) 'keep_alive'
            , embedding_options => _c operator(pg_catalog.->) 'options'
            );
        when 'voyageai' then
            return ai.voyageai_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , input_type => coalesce(input_type, _c operator(pg_catalog.->>) 'input_type')
            , api_key_name => _c operator(pg_catalog.->>) 'api_key_name'
            );
        when 'sentence_transformers' then
            return ai_extra.sentence_transformers_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , engine => _c operator(pg_catalog.->>) 'engine'
            , dimensions => (_c operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4
            );
    end case;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.vectorizer_embed
( vectorizer_id pg_catalog.int4
, input_text pg_catalog.text
, input_type pg_catalog.text default null
) returns vector
as $func$
declare
    _config pg_catalog.jsonb;
begin
    select v.config operator(pg_catalog.->) 'embedding' into strict _config
    from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    return ai.vectorizer_embed(_config, input_text, input_type);
end;
$func$ language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp;
