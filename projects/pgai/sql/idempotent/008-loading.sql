-- Loading configs: what the worker embeds from a row: a column's text or bytes, or the
-- document a column's URI names. `retries`: how often a row whose loading failed is tried again
-- before it moves to the failed queue.

create or replace function ai.loading_column
( column_name pg_catalog.name
, retries pg_catalog.int4 default 6
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_build_object
    ( 'implementation', 'column'
    , 'config_type', 'loading'
    , 'column_name', column_name
    , 'retries', retries
    )
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.loading_uri
( column_name pg_catalog.name
, retries pg_catalog.int4 default 6
, aws_role_arn pg_catalog.text default null
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'uri'
    , 'config_type', 'loading'
    , 'column_name', column_name
    , 'retries', retries
    , 'aws_role_arn', aws_role_arn
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_loading
( config pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns void
as $func$
declare
    _implementation pg_catalog.text;
    _column pg_catalog.text;
    _retries pg_catalog.jsonb;
    _arn pg_catalog.text;
    _type pg_catalog.name;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'loading config is not a jsonb object';
    end if;
    if (config operator(pg_catalog.->>) 'config_type') is distinct from 'loading' then
        raise exception 'invalid config_type for loading config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    if _implementation is null or _implementation not in ('column', 'uri') then
        raise exception 'invalid loading config implementation';
    end if;
    _column = config operator(pg_catalog.->>) 'column_name';
    if _column is null then
        raise exception 'invalid loading config, missing column_name';
    end if;
    _retries = config operator(pg_catalog.->) 'retries';
    if _retries is null or pg_catalog.jsonb_typeof(_retries) operator(pg_catalog.<>) 'number'
       or (_retries operator(pg_catalog.#>>) '{}')::pg_catalog.numeric operator(pg_catalog.<) 0 then
        raise exception 'invalid loading config, retries must be a non-negative integer';
    end if;
    _arn = config operator(pg_catalog.->>) 'aws_role_arn';
    if _arn is not null and _arn not like 'arn:aws:iam::%:role/%' then
        raise exception 'invalid loading config, aws_role_arn must match arn:aws:iam::*:role/*';
    end if;
    select y.typname into _type
    from pg_catalog.pg_class k
    join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) k.oid
    join pg_catalog.pg_type y on y.oid operator(pg_catalog.=) a.atttypid
    where n.nspname operator(pg_catalog.=) source_schema
      and k.relname operator(pg_catalog.=) source_table
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
      and a.attname operator(pg_catalog.=) _column;
    if _type is null then
        raise exception 'column_name in config does not exist in the table: %', _column;
    end if;
    if _type not in ('text', 'varchar', 'char', 'bpchar', 'bytea') then
        raise exception 'column_name % in config is of invalid type %. Supported types are: text, varchar, char, bpchar, bytea', _column, _type;
    end if;
    if _implementation operator(pg_catalog.=) 'uri' and _type operator(pg_catalog.=) 'bytea' then
        raise exception 'the type of the column `%` in config is not compatible with `uri` loading implementation (type should be either text, varchar, char, bpchar, or bytea)', _column;
    end if;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;
