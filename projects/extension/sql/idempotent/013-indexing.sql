-- Indexing configs: the vector index created on the target table once it is large enough.

create or replace function ai.indexing_none() returns pg_catalog.jsonb
as $func$ select '{"implementation": "none", "config_type": "indexing"}'::pg_catalog.jsonb $func$
language sql immutable security invoker set search_path to pg_catalog, pg_temp;

-- Resolved by create_vectorizer: diskann with pgvectorscale, else hnsw; none without scheduling.
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
declare
    _config pg_catalog.jsonb = ai._strip_null_keys(pg_catalog.jsonb_build_object
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
    ));
begin
    perform ai._validate_indexing_diskann(_config);
    return _config;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.indexing_hnsw
( min_rows pg_catalog.int4 default 100000
, opclass pg_catalog.text default 'vector_cosine_ops'
, m pg_catalog.int4 default null
, ef_construction pg_catalog.int4 default null
, create_when_queue_empty pg_catalog.bool default true
) returns pg_catalog.jsonb
as $func$
declare
    _config pg_catalog.jsonb = ai._strip_null_keys(pg_catalog.jsonb_build_object
    ( 'implementation', 'hnsw'
    , 'config_type', 'indexing'
    , 'min_rows', min_rows
    , 'opclass', opclass
    , 'm', m
    , 'ef_construction', ef_construction
    , 'create_when_queue_empty', create_when_queue_empty
    ));
begin
    perform ai._validate_indexing_hnsw(_config);
    return _config;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_min_rows(config pg_catalog.jsonb) returns void
as $func$
begin
    if (config operator(pg_catalog.->>) 'min_rows')::pg_catalog.int4 operator(pg_catalog.<) 0 then
        raise exception 'min_rows must be 0 or more (got %)', config operator(pg_catalog.->>) 'min_rows';
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_indexing_diskann(config pg_catalog.jsonb) returns void
as $func$
declare
    _v pg_catalog.text;
begin
    perform ai._validate_min_rows(config);
    _v = config operator(pg_catalog.->>) 'storage_layout';
    if _v is not null and _v not in ('memory_optimized', 'plain') then
        raise exception 'storage_layout must be ''memory_optimized'' or ''plain'' (got %)', pg_catalog.quote_literal(_v);
    end if;
    if (config operator(pg_catalog.->>) 'num_neighbors')::pg_catalog.int4 operator(pg_catalog.<) 10 then
        raise exception 'num_neighbors must be 10 or more (got %)', config operator(pg_catalog.->>) 'num_neighbors';
    end if;
    if (config operator(pg_catalog.->>) 'search_list_size')::pg_catalog.int4 operator(pg_catalog.<) 10 then
        raise exception 'search_list_size must be 10 or more (got %)', config operator(pg_catalog.->>) 'search_list_size';
    end if;
    if (config operator(pg_catalog.->>) 'max_alpha')::pg_catalog.float8 operator(pg_catalog.<) 1.0 then
        raise exception 'max_alpha must be 1.0 or more (got %)', config operator(pg_catalog.->>) 'max_alpha';
    end if;
    if (config operator(pg_catalog.->>) 'num_dimensions')::pg_catalog.int4 operator(pg_catalog.<) 0 then
        raise exception 'num_dimensions must be 0 or more (got %)', config operator(pg_catalog.->>) 'num_dimensions';
    end if;
    if (config operator(pg_catalog.->>) 'num_bits_per_dimension')::pg_catalog.int4 not between 1 and 8 then
        raise exception 'num_bits_per_dimension must be between 1 and 8 (got %)', config operator(pg_catalog.->>) 'num_bits_per_dimension';
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_indexing_hnsw(config pg_catalog.jsonb) returns void
as $func$
declare
    _opclass pg_catalog.text = config operator(pg_catalog.->>) 'opclass';
    _m pg_catalog.int4 = (config operator(pg_catalog.->>) 'm')::pg_catalog.int4;
    _ef pg_catalog.int4 = (config operator(pg_catalog.->>) 'ef_construction')::pg_catalog.int4;
begin
    perform ai._validate_min_rows(config);
    if _opclass is null or _opclass not in ('vector_cosine_ops', 'vector_l1_ops', 'vector_ip_ops', 'vector_l2_ops') then
        raise exception 'opclass must be one of vector_cosine_ops, vector_l2_ops, vector_ip_ops, vector_l1_ops (got %)',
            coalesce(pg_catalog.quote_literal(_opclass), 'null');
    end if;
    if _m not between 2 and 100 then
        raise exception 'm must be between 2 and 100 (got %)', _m;
    end if;
    if _ef not between 4 and 1000 then
        raise exception 'ef_construction must be between 4 and 1000 (got %)', _ef;
    end if;
    if _ef operator(pg_catalog.<) (2 operator(pg_catalog.*) coalesce(_m, 16)) then
        raise exception 'ef_construction must be at least twice m (got ef_construction %, m %)', _ef, coalesce(_m, 16);
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_indexing(config pg_catalog.jsonb) returns void
as $func$
begin
    perform ai._check_config(config, 'indexing', 'an ai.indexing_* function');
    case config operator(pg_catalog.->>) 'implementation'
        when 'none' then null;
        when 'default' then null;
        when 'diskann' then perform ai._validate_indexing_diskann(config);
        when 'hnsw' then perform ai._validate_indexing_hnsw(config);
        else raise exception 'unrecognized indexing implementation %; expected none, default, diskann or hnsw',
            coalesce(pg_catalog.quote_literal(config operator(pg_catalog.->>) 'implementation'), 'null');
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;
