-- load_dataset: a Hugging Face dataset into a table (the work is in ai_extra._load_dataset_step, Rust).

create or replace function ai.load_dataset
( name pg_catalog.text
, config_name pg_catalog.text default null
, split pg_catalog.text default null
, schema_name pg_catalog.name default 'public'
, table_name pg_catalog.name default null
, if_table_exists pg_catalog.text default 'error'
, field_types pg_catalog.jsonb default null
, batch_size pg_catalog.int4 default 5000
, max_batches pg_catalog.int4 default null
, kwargs pg_catalog.jsonb default '{}'
) returns pg_catalog.int8
as $func$
begin
    if kwargs is not null and pg_catalog.jsonb_typeof(kwargs) operator(pg_catalog.<>) 'object' then
        raise exception 'kwargs must be a json object';
    end if;
    -- one statement: an error leaves nothing half-loaded
    return (select s.loaded from ai_extra._load_dataset_step(name, config_name, split, schema_name, table_name,
        if_table_exists, field_types, batch_size, 0, max_batches) s);
end;
$func$ language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp;

create or replace procedure ai.load_dataset_multi_txn
( name pg_catalog.text
, config_name pg_catalog.text default null
, split pg_catalog.text default null
, schema_name pg_catalog.name default 'public'
, table_name pg_catalog.name default null
, if_table_exists pg_catalog.text default 'error'
, field_types pg_catalog.jsonb default null
, batch_size pg_catalog.int4 default 5000
, max_batches pg_catalog.int4 default null
, commit_every_n_batches pg_catalog.int4 default 1
, kwargs pg_catalog.jsonb default '{}'
)
as $proc$
declare
    _start pg_catalog.int4 = 0;
    _step pg_catalog.int4;
    _loaded pg_catalog.int8;
    _total pg_catalog.int8 = 0;
    _done pg_catalog.bool = false;
begin
    if commit_every_n_batches is null or commit_every_n_batches operator(pg_catalog.<) 1 then
        raise exception 'commit_every_n_batches must be 1 or more';
    end if;
    if kwargs is not null and pg_catalog.jsonb_typeof(kwargs) operator(pg_catalog.<>) 'object' then
        raise exception 'kwargs must be a json object';
    end if;
    while not _done and (max_batches is null or _start operator(pg_catalog.<) max_batches) loop
        _step = case when max_batches is null then commit_every_n_batches
                     else least(commit_every_n_batches, max_batches operator(pg_catalog.-) _start) end;
        select s.loaded, s.done into _loaded, _done
        from ai_extra._load_dataset_step(name, config_name, split, schema_name, table_name, if_table_exists,
            field_types, batch_size, _start, _step) s;
        _total = _total operator(pg_catalog.+) _loaded;
        _start = _start operator(pg_catalog.+) _step;
        commit;
        -- if a later step fails, this says what is already committed
        raise notice 'load_dataset_multi_txn: committed batches 1 to % (% rows in all)', _start, _total;
    end loop;
end;
$proc$ language plpgsql security invoker;
