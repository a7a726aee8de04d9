-- Chunking configs: how the worker splits a row's text column into chunks (LangChain's splitters).

create or replace function ai._validate_chunk_sizes(chunk_size pg_catalog.int4, chunk_overlap pg_catalog.int4)
returns void as $func$
begin
    if chunk_size is null or chunk_size operator(pg_catalog.<=) 0 then
        raise exception 'chunk_size must be greater than 0 (got %)', coalesce(chunk_size::text, 'null');
    end if;
    if chunk_overlap is null or chunk_overlap operator(pg_catalog.<) 0
       or chunk_overlap operator(pg_catalog.>=) chunk_size then
        raise exception 'chunk_overlap must be at least 0 and less than chunk_size % (got %)',
            chunk_size, coalesce(chunk_overlap::text, 'null');
    end if;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_separator_regex(pattern pg_catalog.text) returns void
as $func$
declare
    _err pg_catalog.text;
begin
    if pattern is null then
        raise exception 'a separator must not be null';
    end if;
    -- the worker splits with Rust's regex engine: check with it, not with PostgreSQL's (which
    -- accepts lookaround and backreferences the worker would reject on every batch)
    _err = ai._separator_regex_error(pattern);
    if _err is not null then
        raise exception 'separator % is not a valid regular expression: %', pg_catalog.quote_literal(pattern), _err
            using hint = 'the worker uses Rust regex syntax (no lookaround, no backreferences); or pass is_separator_regex => false to split on the literal text';
    end if;
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.chunking_character_text_splitter
( chunk_column pg_catalog.name
, chunk_size pg_catalog.int4 default 800
, chunk_overlap pg_catalog.int4 default 400
, separator pg_catalog.text default E'\n\n'
, is_separator_regex pg_catalog.bool default false
) returns pg_catalog.jsonb
as $func$
begin
    if chunk_column is null then
        raise exception 'chunk_column must name the source column to chunk';
    end if;
    perform ai._validate_chunk_sizes(chunk_size, chunk_overlap);
    if is_separator_regex then
        perform ai._validate_separator_regex(separator);
    end if;
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'character_text_splitter'
    , 'config_type', 'chunking'
    , 'chunk_column', chunk_column
    , 'chunk_size', chunk_size
    , 'chunk_overlap', chunk_overlap
    , 'separator', separator
    , 'is_separator_regex', is_separator_regex
    ));
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.chunking_recursive_character_text_splitter
( chunk_column pg_catalog.name
, chunk_size pg_catalog.int4 default 800
, chunk_overlap pg_catalog.int4 default 400
, separators pg_catalog.text[] default array[E'\n\n', E'\n', '.', '?', '!', ' ', '']
, is_separator_regex pg_catalog.bool default false
) returns pg_catalog.jsonb
as $func$
declare
    _sep pg_catalog.text;
begin
    if chunk_column is null then
        raise exception 'chunk_column must name the source column to chunk';
    end if;
    perform ai._validate_chunk_sizes(chunk_size, chunk_overlap);
    if is_separator_regex then
        foreach _sep in array coalesce(separators, '{}') loop
            perform ai._validate_separator_regex(_sep);
        end loop;
    end if;
    return ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'recursive_character_text_splitter'
    , 'config_type', 'chunking'
    , 'chunk_column', chunk_column
    , 'chunk_size', chunk_size
    , 'chunk_overlap', chunk_overlap
    , 'separators', separators
    , 'is_separator_regex', is_separator_regex
    ));
end;
$func$ language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp;

-- Checks a chunking config against the source table: the chunk column exists and holds text.
create or replace function ai._validate_chunking
( config pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns void
as $func$
declare
    _impl pg_catalog.text;
    _column pg_catalog.text;
    _type pg_catalog.name;
begin
    if config is null then
        raise exception 'chunking is required: pass chunking => ai.chunking_recursive_character_text_splitter(''<column>'')';
    end if;
    perform ai._check_config(config, 'chunking', 'an ai.chunking_* function');
    _impl = config operator(pg_catalog.->>) 'implementation';
    if _impl is null or _impl not in ('character_text_splitter', 'recursive_character_text_splitter') then
        raise exception 'unrecognized chunking implementation %; expected character_text_splitter or recursive_character_text_splitter',
            coalesce(pg_catalog.quote_literal(_impl), 'null');
    end if;
    perform ai._validate_chunk_sizes((config operator(pg_catalog.->>) 'chunk_size')::pg_catalog.int4,
                                     (config operator(pg_catalog.->>) 'chunk_overlap')::pg_catalog.int4);
    -- configs written by hand skip the ai.chunking_* checks: the separators again
    if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'is_separator_regex') operator(pg_catalog.=) 'boolean'
       and (config operator(pg_catalog.->>) 'is_separator_regex')::pg_catalog.bool then
        perform ai._validate_separator_regex(s)
        from
        ( select config operator(pg_catalog.->>) 'separator' as s
          where config operator(pg_catalog.?) 'separator'
          union all
          select pg_catalog.jsonb_array_elements_text(config operator(pg_catalog.->) 'separators')
          where pg_catalog.jsonb_typeof(config operator(pg_catalog.->) 'separators') operator(pg_catalog.=) 'array'
        ) x;
    end if;
    _column = config operator(pg_catalog.->>) 'chunk_column';
    select t.typname into _type
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_type t on t.oid operator(pg_catalog.=) a.atttypid
    where a.attrelid operator(pg_catalog.=) pg_catalog.format('%I.%I', source_schema, source_table)::pg_catalog.regclass
      and a.attname operator(pg_catalog.=) _column
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped;
    if not found then
        raise exception 'chunk_column % does not exist in %', pg_catalog.quote_literal(_column),
            pg_catalog.format('%I.%I', source_schema, source_table);
    end if;
    if _type not in ('text', 'varchar', 'bpchar', 'name', 'citext') then
        raise exception 'chunk_column % has type %; it must be text, varchar, char, name or citext',
            pg_catalog.quote_literal(_column), _type;
    end if;
end;
$func$ language plpgsql stable security invoker
set search_path to pg_catalog, pg_temp;
