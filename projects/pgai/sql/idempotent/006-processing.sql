-- Processing configs: how the worker batches. The builder checks nothing; the validator does.

create or replace function ai.processing_default
( batch_size pg_catalog.int4 default null
, concurrency pg_catalog.int4 default null
) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object
    ( 'implementation', 'default'
    , 'config_type', 'processing'
    , 'batch_size', batch_size
    , 'concurrency', concurrency
    ))
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._validate_processing(config pg_catalog.jsonb) returns void
as $func$
declare
    _config_type pg_catalog.text;
    _implementation pg_catalog.text;
    _key pg_catalog.text;
    _max pg_catalog.int4;
    _value pg_catalog.numeric;
begin
    if pg_catalog.jsonb_typeof(config) operator(pg_catalog.<>) 'object' then
        raise exception 'processing config is not a jsonb object';
    end if;
    _config_type = config operator(pg_catalog.->>) 'config_type';
    if _config_type is null or _config_type operator(pg_catalog.<>) 'processing' then
        raise exception 'invalid config_type for processing config';
    end if;
    _implementation = config operator(pg_catalog.->>) 'implementation';
    case _implementation
        when 'default' then
            for _key, _max in select * from (values ('batch_size', 2048), ('concurrency', 50)) x loop
                if config operator(pg_catalog.?) _key then
                    if pg_catalog.jsonb_typeof(config operator(pg_catalog.->) _key) operator(pg_catalog.<>) 'number' then
                        raise exception '% must be a number', _key;
                    end if;
                    _value = (config operator(pg_catalog.->>) _key)::pg_catalog.numeric;
                    if _value operator(pg_catalog.>) _max then
                        raise exception '% must be less than or equal to %', _key, _max;
                    end if;
                    if _value operator(pg_catalog.<) 1 then
                        raise exception '% must be greater than 0', _key;
                    end if;
                end if;
            end loop;
        else
            if _implementation is null then
                raise exception 'processing implementation not specified';
            else
                raise exception 'unrecognized processing implementation: "%"', _implementation;
            end if;
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

