-- Indexing configs: the vector index created on the target table once it is large enough.
-- The builders check nothing (an argument passed as null is left out); ai._validate_indexing,
-- which create_vectorizer calls, does.

create or replace function ai.indexing_none() returns pg_catalog.jsonb
as $func$ select '{"implementation": "none", "config_type": "indexing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Resolved by create_vectorizer from the setting ai.indexing_default (ai._resolve_indexing_default).
create or replace function ai.indexing_default() returns pg_catalog.jsonb
as $func$ select '{"implementation": "default", "config_type": "indexing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.indexing_diskann
( min_rows pg_catalog.int4 default 100000
, storage_layout pg_catalog.text default null
, num_neighbors pg_catalog.int4 default null
, search_list_size pg_catalog.int4 default null
, max_alpha pg_catalog.float8 default null
, num_dimensions pg_catalog.int4 default null
, num_bits_per_dimension pg_catalog.int4 default null
, create_when_queue_empty pg_catalog.bool default true
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'diskann'
    , 'config_type', 'indexing'
    , 'min_rows', min_rows
    , 'storage_layout', storage_layout
    , 'num_neighbors', num_neighbors
    , 'search_list_size', search_list_size
    , 'max_alpha', max_alpha
    , 'num_dimensions', num_dimensions
    , 'num_bits_per_dimension', num_bits_per_dimension
    , 'create_when_queue_empty', create_when_queue_empty
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.indexing_hnsw
( min_rows pg_catalog.int4 default 100000
, opclass pg_catalog.text default 'vector_cosine_ops'
, m pg_catalog.int4 default null
, ef_construction pg_catalog.int4 default null
, create_when_queue_empty pg_catalog.bool default true
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'hnsw'
    , 'config_type', 'indexing'
    , 'min_rows', min_rows
    , 'opclass', opclass
    , 'm', m
    , 'ef_construction', ef_construction
    , 'create_when_queue_empty', create_when_queue_empty
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_indexing_diskann(config pg_catalog.jsonb) returns void
as $func$
declare
    _storage_layout pg_catalog.text = config operator(pg_catalog.->>) 'storage_layout';
begin
    if _storage_layout is not null and _storage_layout not in ('memory_optimized', 'plain') then
        raise exception 'invalid storage_layout'
            using detail = pg_catalog.format('storage_layout must be memory_optimized or plain (got %s)', pg_catalog.quote_literal(_storage_layout));
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_indexing_hnsw(config pg_catalog.jsonb) returns void
as $func$
declare
    _opclass pg_catalog.text = config operator(pg_catalog.->>) 'opclass';
begin
    if _opclass is not null and _opclass not in ('vector_ip_ops', 'vector_cosine_ops', 'vector_l1_ops') then
        raise exception 'invalid opclass'
            using detail = pg_catalog.format('opclass must be vector_cosine_ops, vector_ip_ops or vector_l1_ops (got %s)', pg_catalog.quote_literal(_opclass));
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_indexing(config pg_catalog.jsonb) returns void
as $func$
declare
    _config_type pg_catalog.text;
    _implementation pg_catalog.text;
    _k record;
    _v pg_catalog.numeric;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'indexing config is not a jsonb object';
    end if;
    _config_type = config operator(pg_catalog.->>) 'config_type';
    if _config_type is null or _config_type operator(pg_catalog.<>) 'indexing' then
        raise exception 'invalid config_type for indexing config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    case _implementation
        when 'none' then
            null;
        when 'diskann' then
            perform ai._validate_indexing_diskann(config);
        when 'hnsw' then
            perform ai._validate_indexing_hnsw(config);
        else
            if _implementation is null then
                raise exception 'indexing implementation not specified';
            else
                raise exception 'invalid indexing implementation: "%"', _implementation;
            end if;
    end case;
    -- this project's: the numbers pgai leaves to the index build, which would fail in a worker
    -- long after create_vectorizer returned
    for _k in
        select * from
        ( values ('min_rows', 0::pg_catalog.numeric, null::pg_catalog.numeric)
               , ('num_neighbors', 10, null), ('search_list_size', 10, null), ('max_alpha', 1.0, null)
               , ('num_dimensions', 0, null), ('num_bits_per_dimension', 1, 8)
               , ('m', 2, 100), ('ef_construction', 4, 1000)
        ) r(key, lo, hi)
        where config operator(pg_catalog.?) r.key
          and pg_catalog.jsonb_typeof(config operator(pg_catalog.->) r.key) operator(pg_catalog.<>) 'null'
    loop
        if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) _k.key) operator(pg_catalog.<>) 'number' then
            raise exception '% must be a number', _k.key;
        end if;
        _v = (config operator(pg_catalog.->>) _k.key)::pg_catalog.numeric;
        if _v operator(pg_catalog.<) _k.lo or _v operator(pg_catalog.>) _k.hi then
            raise exception '% must be %', _k.key,
                case when _k.hi is null then pg_catalog.format('%s or more (got %s)', _k.lo, _v)
                     else pg_catalog.format('between %s and %s (got %s)', _k.lo, _k.hi, _v) end;
        end if;
    end loop;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- The setting ai.indexing_default names the default: indexing_diskann or indexing_hnsw (with
-- their defaults); anything else, or nothing, is none.
create or replace function ai._resolve_indexing_default() returns pg_catalog.jsonb
as $func$
    select case pg_catalog.current_setting('ai.indexing_default', true)
        when 'indexing_diskann' then ai.indexing_diskann()
        when 'indexing_hnsw' then ai.indexing_hnsw()
        else ai.indexing_none() end
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

