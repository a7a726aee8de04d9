-- Parsing configs: how loaded bytes become text. auto: by the document's type; none: the bytes
-- are text; pymupdf and docling: document parsers (PDF, EPUB, Office files), to Markdown.

create or replace function ai.parsing_auto() returns pg_catalog.jsonb
as $func$ select '{"implementation": "auto", "config_type": "parsing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.parsing_none() returns pg_catalog.jsonb
as $func$ select '{"implementation": "none", "config_type": "parsing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.parsing_pymupdf() returns pg_catalog.jsonb
as $func$ select '{"implementation": "pymupdf", "config_type": "parsing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.parsing_docling() returns pg_catalog.jsonb
as $func$ select '{"implementation": "docling", "config_type": "parsing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Which parsing fits which loading: bytes from a bytea column need a parser; a document parser
-- needs bytes.
create or replace function ai._validate_parsing
( parsing pg_catalog.jsonb
, loading pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns void
as $func$
declare
    _implementation pg_catalog.text;
    _type pg_catalog.name;
begin
    if pg_catalog.jsonb_typeof(parsing) operator(pg_catalog.<>) 'object' then
        raise exception 'parsing config is not a jsonb object';
    end if;
    if (parsing operator(pg_catalog.->>) 'config_type') is distinct from 'parsing' then
        raise exception 'invalid config_type for parsing config';
    end if;
    _implementation = parsing operator(pg_catalog.->>) 'implementation';
    if _implementation is null or _implementation not in ('auto', 'none', 'pymupdf', 'docling') then
        raise exception 'invalid parsing config implementation';
    end if;
    select y.typname into _type
    from pg_catalog.pg_class k
    join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) k.oid
    join pg_catalog.pg_type y on y.oid operator(pg_catalog.=) a.atttypid
    where n.nspname operator(pg_catalog.=) source_schema
      and k.relname operator(pg_catalog.=) source_table
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
      and a.attname operator(pg_catalog.=) (loading operator(pg_catalog.->>) 'column_name');
    if _implementation operator(pg_catalog.=) 'none' and _type operator(pg_catalog.=) 'bytea' then
        raise exception 'cannot use parsing_none with bytea columns'
            using hint = 'use ai.parsing_auto(), ai.parsing_pymupdf() or ai.parsing_docling() to turn the bytes into text';
    end if;
    if (loading operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'column'
       and _implementation in ('pymupdf', 'docling') and _type operator(pg_catalog.<>) 'bytea' then
        raise exception 'parsing_% must be used with a bytea column', _implementation
            using hint = 'a document parser reads bytes: load a bytea column, or use ai.parsing_auto() or ai.parsing_none() for text';
    end if;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;
