-- Destination configs: where the embeddings go. A table (one row per chunk, with a view that
-- joins the source), or a vector column added to the source table (one embedding per row, so
-- chunking must be none).

create or replace function ai.destination_table
( destination pg_catalog.name default null
, target_schema pg_catalog.name default null
, target_table pg_catalog.name default null
, view_schema pg_catalog.name default null
, view_name pg_catalog.name default null
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'table'
    , 'config_type', 'destination'
    , 'destination', destination
    , 'target_schema', target_schema
    , 'target_table', target_table
    , 'view_schema', view_schema
    , 'view_name', view_name
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.destination_column(embedding_column pg_catalog.name) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'column'
    , 'config_type', 'destination'
    , 'embedding_column', embedding_column
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_destination(destination pg_catalog.jsonb, chunking pg_catalog.jsonb) returns void
as $func$
begin
    if pg_catalog.jsonb_typeof(destination) operator(pg_catalog.<>) 'object' then
        raise exception 'destination config is not a jsonb object';
    end if;
    if (destination operator(pg_catalog.->>) 'config_type') is distinct from 'destination' then
        raise exception 'invalid config_type for destination config';
    end if;
    if (destination operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'column'
       and (chunking operator(pg_catalog.->>) 'implementation') is distinct from 'none' then
        raise exception 'chunking must be none for column destination'
            using hint = 'a column holds one embedding per row: pass chunking => ai.chunking_none()';
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- The destination with its defaults filled in: a table `<destination>_store` (else
-- `<source>_embedding_store`) in the source's schema and a view `<destination>` (else
-- `<source>_embedding`); or the column.
create or replace function ai._evaluate_destination
( destination pg_catalog.jsonb
, source_schema pg_catalog.name
, source_table pg_catalog.name
) returns pg_catalog.jsonb
as $func$
declare
    _base pg_catalog.text = destination operator(pg_catalog.->>) 'destination';
begin
    case destination operator(pg_catalog.->>) 'implementation'
        when 'table' then
            return pg_catalog.jsonb_build_object
            ( 'implementation', 'table'
            , 'config_type', 'destination'
            , 'target_schema', coalesce(destination operator(pg_catalog.->>) 'target_schema', source_schema)
            , 'target_table', coalesce(destination operator(pg_catalog.->>) 'target_table', _base operator(pg_catalog.||) '_store', source_table operator(pg_catalog.||) '_embedding_store')
            , 'view_schema', coalesce(destination operator(pg_catalog.->>) 'view_schema', source_schema)
            , 'view_name', coalesce(destination operator(pg_catalog.->>) 'view_name', _base, source_table operator(pg_catalog.||) '_embedding')
            );
        when 'column' then
            if coalesce(destination operator(pg_catalog.->>) 'embedding_column', '') operator(pg_catalog.=) '' then
                raise exception 'invalid destination config, missing embedding_column';
            end if;
            return pg_catalog.jsonb_build_object
            ( 'implementation', 'column'
            , 'config_type', 'destination'
            , 'embedding_column', destination operator(pg_catalog.->>) 'embedding_column'
            );
        else
            raise exception 'invalid implementation for destination config';
    end case;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

-- Nothing may already hold the names a table destination would create.
create or replace function ai._validate_destination_can_create_objects(destination pg_catalog.jsonb) returns void
as $func$
begin
    if (destination operator(pg_catalog.->>) 'implementation') is distinct from 'table' then
        return;
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', destination operator(pg_catalog.->>) 'view_schema', destination operator(pg_catalog.->>) 'view_name')) is not null then
        raise exception 'an object named %.% already exists. specify an alternate destination or view_name explicitly'
            , destination operator(pg_catalog.->>) 'view_schema', destination operator(pg_catalog.->>) 'view_name'
            using errcode = 'duplicate_object';
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table')) is not null then
        raise exception 'an object named %.% already exists. specify an alternate destination or target_table explicitly'
            , destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table'
            using errcode = 'duplicate_object';
    end if;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;
