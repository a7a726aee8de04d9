-- Chunking configs: how the worker splits a row's text column into chunks (LangChain's splitters).
-- The builders check nothing (an argument passed as null is left out); ai._validate_chunking,
-- which create_vectorizer calls, does.

create or replace function ai.chunking_character_text_splitter
( chunk_column pg_catalog.name
, chunk_size pg_catalog.int4 default 800
, chunk_overlap pg_catalog.int4 default 400
, separator pg_catalog.text default E'\n\n'
, is_separator_regex pg_catalog.bool default false
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'character_text_splitter'
    , 'config_type', 'chunking'
    , 'chunk_column', chunk_column
    , 'chunk_size', chunk_size
    , 'chunk_overlap', chunk_overlap
    , 'separator', separator
    , 'is_separator_regex', is_separator_regex
    ))
$func$ language sql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.chunking_recursive_character_text_splitter
( chunk_column pg_catalog.name
, chunk_size pg_catalog.int4 default 800
, chunk_overlap pg_catalog.int4 default 400
, separators pg_catalog.text[] default array[E'\n\n', E'\n', '.', '?', '!', ' ', '']
, is_separator_regex pg_catalog.bool default false
) returns pg_catalog.jsonb
as $func$
    select ai_extra._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'recursive_character_text_splitter'
    , 'config_type', 'chunking'
    , 'chunk_column', chunk_column
    , 'chunk_size', chunk_size
    , 'chunk_overlap', chunk_overlap
    , 'separators', separators
    , 'is_separator_regex', is_separator_regex
    ))
$func$ language sql immutable security invoker
set search_path to pg_catalog, pg_temp;

-- pgai's checks first, with its messages: the config's shape, the implementation, and a chunk
-- column of a text type in the source table. Then this project's, which the worker would
-- otherwise fail on in every batch.
create or replace function ai._validate_chunking
( config pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns void
as $func$
declare
    _config_type pg_catalog.text;
    _implementation pg_catalog.text;
    _chunk_column pg_catalog.text;
    _found pg_catalog.bool;
    _size pg_catalog.int8;
    _overlap pg_catalog.int8;
    _sep pg_catalog.text;
    _err pg_catalog.text;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'chunking config is not a jsonb object';
    end if;
    _config_type = config operator(pg_catalog.->>) 'config_type';
    if _config_type is null or _config_type operator(pg_catalog.<>) 'chunking' then
        raise exception 'invalid config_type for chunking config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    if _implementation is null or _implementation not in ('character_text_splitter', 'recursive_character_text_splitter') then
        raise exception 'invalid chunking config implementation';
    end if;
    _chunk_column = config operator(pg_catalog.->>) 'chunk_column';
    select exists
    ( select 1
      from pg_catalog.pg_class k
      join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) k.oid
      join pg_catalog.pg_type y on y.oid operator(pg_catalog.=) a.atttypid
      where n.nspname operator(pg_catalog.=) source_schema
        and k.relname operator(pg_catalog.=) source_table
        and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
        and a.attname operator(pg_catalog.=) _chunk_column
        and y.typname in ('text', 'varchar', 'char', 'bpchar')
    ) into strict _found;
    if not _found then
        raise exception 'chunk column in config does not exist in the table: %', _chunk_column
            using detail = 'the chunk column must be a column of type text, varchar or char';
    end if;
    -- this project's checks: sizes, and separators the worker's regex engine accepts (Rust's,
    -- not PostgreSQL's, which accepts lookaround and backreferences the worker rejects)
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
        _err = ai_extra._separator_regex_error(_sep);
        if _err is not null then
            raise exception 'separator % is not a valid regular expression: %', pg_catalog.quote_literal(_sep), _err
                using hint = 'the worker uses Rust regex syntax (no lookaround, no backreferences); or pass is_separator_regex => false to split on the literal text';
        end if;
    end loop;
end;
$func$ language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp;
