-- Chunking configs: how the loaded text is split into chunks (LangChain's splitters), or not.
-- The builders check nothing (an argument passed as null is left out); ai._validate_chunking,
-- which create_vectorizer calls, does.

create or replace function ai.chunking_character_text_splitter
( chunk_size pg_catalog.int4 default 800
, chunk_overlap pg_catalog.int4 default 400
, separator pg_catalog.text default E'\n\n'
, is_separator_regex pg_catalog.bool default false
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'character_text_splitter'
    , 'config_type', 'chunking'
    , 'chunk_size', chunk_size
    , 'chunk_overlap', chunk_overlap
    , 'separator', separator
    , 'is_separator_regex', is_separator_regex
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.chunking_recursive_character_text_splitter
( chunk_size pg_catalog.int4 default 800
, chunk_overlap pg_catalog.int4 default 400
, separators pg_catalog.text[] default array[E'\n\n', E'\n', '.', '?', '!', ' ', '']
, is_separator_regex pg_catalog.bool default false
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'recursive_character_text_splitter'
    , 'config_type', 'chunking'
    , 'chunk_size', chunk_size
    , 'chunk_overlap', chunk_overlap
    , 'separators', separators
    , 'is_separator_regex', is_separator_regex
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- The loaded text is embedded whole, as one chunk (required by a column destination).
create or replace function ai.chunking_none() returns pg_catalog.jsonb
as $func$ select '{"implementation": "none", "config_type": "chunking"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- pgai's checks first, with its messages (shape, config type, implementation); then this
-- project's, which the worker would otherwise fail on in every batch: sizes, and regex
-- separators its engine (Rust's regex, which has no lookaround and no backreferences) accepts.
create or replace function ai._validate_chunking(config pg_catalog.jsonb) returns void
as $func$
declare
    _implementation pg_catalog.text;
    _size pg_catalog.int8;
    _overlap pg_catalog.int8;
    _sep pg_catalog.text;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'chunking config is not a jsonb object';
    end if;
    if (config operator(pg_catalog.->>) 'config_type') is distinct from 'chunking' then
        raise exception 'invalid config_type for chunking config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    if _implementation is null or _implementation not in ('character_text_splitter', 'recursive_character_text_splitter', 'none') then
        raise exception 'invalid chunking config implementation';
    end if;
    if _implementation operator(pg_catalog.=) 'none' then
        return;
    end if;
    if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'chunk_size') not in ('number', 'null')
       or pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'chunk_overlap') not in ('number', 'null') then
        raise exception 'chunk_size and chunk_overlap must be numbers';
    end if;
    -- a key left out is the worker's default: 800 and 400
    _size = coalesce((config operator(pg_catalog.->>) 'chunk_size')::pg_catalog.numeric::pg_catalog.int8, 800);
    _overlap = coalesce((config operator(pg_catalog.->>) 'chunk_overlap')::pg_catalog.numeric::pg_catalog.int8, 400);
    if _size operator(pg_catalog.<=) 0 then
        raise exception 'chunk_size must be greater than 0 (got %)', _size;
    end if;
    if _overlap operator(pg_catalog.<) 0 or _overlap operator(pg_catalog.>=) _size then
        raise exception 'chunk_overlap must be at least 0 and less than chunk_size (got chunk_overlap %, chunk_size %)', _overlap, _size;
    end if;
    if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'is_separator_regex') is distinct from 'boolean'
       or not (config operator(pg_catalog.->>) 'is_separator_regex')::pg_catalog.bool then
        return;
    end if;
    for _sep in
        select config operator(pg_catalog.->>) 'separator'
        where pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'separator') operator(pg_catalog.=) 'string'
        union all
        select pg_catalog.jsonb_array_elements_text(config operator(pg_catalog.->) 'separators')
        where pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'separators') operator(pg_catalog.=) 'array'
    loop
        if _sep operator(pg_catalog.~) '\(\?<?[=!]|\\[1-9]' then
            raise exception 'separator % is not a valid regular expression: lookaround and backreferences are not supported', pg_catalog.quote_literal(_sep)
                using hint = 'the worker uses Rust regex syntax; or pass is_separator_regex => false to split on the literal text';
        end if;
        begin
            perform pg_catalog.regexp_like('', _sep);
        exception when invalid_regular_expression then
            raise exception 'separator % is not a valid regular expression: %', pg_catalog.quote_literal(_sep), sqlerrm
                using hint = 'or pass is_separator_regex => false to split on the literal text';
        end;
    end loop;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;
