-- The vectorizer's public API: create, drop, queue size, status.

create or replace function ai._check_name(kind pg_catalog.text, value pg_catalog.text, param pg_catalog.text) returns pg_catalog.name
as $func$
begin
    if value is null or value operator(pg_catalog.=) '' then
        raise exception '% must not be empty', kind;
    end if;
    if pg_catalog.octet_length(value) operator(pg_catalog.>) 63 then
        raise exception '% % is longer than 63 bytes', kind, pg_catalog.quote_ident(value)
            using hint = pg_catalog.format('pass a shorter name with %s => ...', param);
    end if;
    return value::pg_catalog.name;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- A name argument of 63 bytes may be a longer name that PostgreSQL cut when it became a `name`
-- (silently, unlike in DDL): say so, since the objects get the shorter name.
create or replace function ai._warn_name_limit(param pg_catalog.text, value pg_catalog.name) returns void
as $func$
begin
    if pg_catalog.octet_length(value) operator(pg_catalog.>=) 63 then
        raise notice '% % is 63 bytes long, the most PostgreSQL allows in a name: a longer name was cut to this', param, pg_catalog.quote_ident(value);
    end if;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.create_vectorizer
( source pg_catalog.regclass
, destination pg_catalog.name default null
, embedding pg_catalog.jsonb default null
, chunking pg_catalog.jsonb default null
, indexing pg_catalog.jsonb default ai.indexing_default()
, formatting pg_catalog.jsonb default ai.formatting_python_template()
, scheduling pg_catalog.jsonb default ai.scheduling_default()
, processing pg_catalog.jsonb default ai.processing_default()
, target_schema pg_catalog.name default null
, target_table pg_catalog.name default null
, view_schema pg_catalog.name default null
, view_name pg_catalog.name default null
, queue_schema pg_catalog.name default null
, queue_table pg_catalog.name default null
, grant_to pg_catalog.name[] default ai.grant_to()
, enqueue_existing pg_catalog.bool default true
) returns pg_catalog.int4
as $func$
declare
    _source_schema pg_catalog.name;
    _source_table pg_catalog.name;
    _owner pg_catalog.oid;
    _source_pk pg_catalog.jsonb;
    _id pg_catalog.int4;
    _trigger_name pg_catalog.name;
    _version pg_catalog.text;
begin
    if source is null then
        raise exception 'source must name the table to vectorize';
    end if;
    -- a name argument given is a `name`: PostgreSQL cut a longer one to 63 bytes before we saw it
    perform ai._warn_name_limit(x.param, x.value)
    from (values ('destination', destination), ('target_schema', target_schema), ('target_table', target_table)
               , ('view_schema', view_schema), ('view_name', view_name), ('queue_schema', queue_schema)
               , ('queue_table', queue_table)) x(param, value);
    select n.nspname, k.relname, k.relowner into _source_schema, _source_table, _owner
    from pg_catalog.pg_class k join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    where k.oid operator(pg_catalog.=) source and k.relkind in ('r', 'p');
    if not found then
        raise exception 'source % is not a table: it is %', source,
            (select case k.relkind when 'v' then 'a view' when 'm' then 'a materialized view' when 'f' then 'a foreign table'
                                   when 'S' then 'a sequence' when 'i' then 'an index' else pg_catalog.format('of kind %s', k.relkind) end
             from pg_catalog.pg_class k where k.oid operator(pg_catalog.=) source)
            using hint = 'a vectorizer reads an ordinary or partitioned table with a primary key';
    end if;
    if not pg_catalog.pg_has_role(current_user, _owner, 'usage')
       and not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user) then
        raise exception 'only a superuser or the owner of % may create a vectorizer on it', source;
    end if;

    perform ai._validate_embedding(embedding);
    perform ai._validate_model_dimensions(embedding);
    perform ai._validate_chunking(chunking, _source_schema, _source_table);
    perform ai._validate_formatting(formatting, _source_schema, _source_table);
    perform ai._validate_processing(processing);
    perform ai._validate_scheduling(scheduling);
    perform ai._validate_indexing(indexing);

    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'default' then
        scheduling = ai._resolve_scheduling_default();
    end if;
    if indexing operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'default' then
        indexing = case when scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'none'
                        then ai.indexing_none() else ai._resolve_indexing_default() end;
    end if;
    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'none'
       and indexing operator(pg_catalog.->>) 'implementation' operator(pg_catalog.<>) 'none' then
        raise exception 'automatic indexing needs scheduling: with scheduling => ai.scheduling_none(), pass indexing => ai.indexing_none()';
    end if;
    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'timescaledb'
       and not exists (select 1 from pg_catalog.pg_extension where extname operator(pg_catalog.=) 'timescaledb') then
        raise exception 'scheduling_timescaledb needs the timescaledb extension, which is not installed'
            using hint = 'install it, or pass scheduling => ai.scheduling_none() and run a worker (pgai vectorizer worker)';
    end if;
    if indexing operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'diskann'
       and not exists (select 1 from pg_catalog.pg_extension where extname operator(pg_catalog.=) 'vectorscale') then
        raise exception 'indexing_diskann needs the vectorscale extension (pgvectorscale), which is not installed'
            using hint = 'install it, or use indexing => ai.indexing_hnsw()';
    end if;

    _source_pk = ai._vectorizer_source_pk(source);
    if _source_pk is null then
        raise exception 'source table % has no primary key: a vectorizer needs one to track rows', source;
    end if;
    if exists (select 1 from pg_catalog.jsonb_array_elements(_source_pk) e
               where e operator(pg_catalog.->>) 'attname' in ('embedding_uuid', 'chunk_seq', 'chunk', 'embedding', 'queued_at')) then
        raise exception 'a primary-key column of % is named like a column the vectorizer adds (embedding_uuid, chunk_seq, chunk, embedding, queued_at)', source;
    end if;

    target_schema = coalesce(target_schema, _source_schema);
    view_schema = coalesce(view_schema, _source_schema);
    queue_schema = coalesce(queue_schema, 'ai');
    target_table = ai._check_name('target table', coalesce(target_table::pg_catalog.text,
        case when destination is not null then destination operator(pg_catalog.||) '_store'
             else _source_table operator(pg_catalog.||) '_embedding_store' end), 'target_table');
    view_name = ai._check_name('view', coalesce(view_name::pg_catalog.text, destination::pg_catalog.text, _source_table operator(pg_catalog.||) '_embedding'), 'view_name');
    for _trigger_name in select unnest(array[target_schema, view_schema, queue_schema]) loop
        if not exists (select 1 from pg_catalog.pg_namespace where nspname operator(pg_catalog.=) _trigger_name) then
            raise exception 'schema % does not exist', pg_catalog.quote_ident(_trigger_name);
        end if;
    end loop;
    if target_schema operator(pg_catalog.=) view_schema and target_table operator(pg_catalog.=) view_name then
        raise exception 'the target table and the view would both be named %.%', pg_catalog.quote_ident(target_schema), pg_catalog.quote_ident(target_table)
            using hint = 'pass different target_table and view_name (or another destination)';
    end if;
    if ai._relation_exists(target_schema, target_table) then
        raise exception 'target table %.% already exists', pg_catalog.quote_ident(target_schema), pg_catalog.quote_ident(target_table)
            using hint = 'pass another destination or target_table';
    end if;
    if ai._relation_exists(view_schema, view_name) then
        raise exception 'view %.% already exists', pg_catalog.quote_ident(view_schema), pg_catalog.quote_ident(view_name)
            using hint = 'pass another destination or view_name';
    end if;

    _id = pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('ai.vectorizer', 'id'));
    queue_table = ai._check_name('queue table', coalesce(queue_table::pg_catalog.text, pg_catalog.format('_vectorizer_q_%s', _id)), 'queue_table');
    if (queue_schema, queue_table) in ((target_schema, target_table), (view_schema, view_name)) then
        raise exception 'the queue table would be named %.%, like the target table or the view', pg_catalog.quote_ident(queue_schema), pg_catalog.quote_ident(queue_table)
            using hint = 'pass another queue_table';
    end if;
    if ai._relation_exists(queue_schema, queue_table) then
        raise exception 'queue table %.% already exists', pg_catalog.quote_ident(queue_schema), pg_catalog.quote_ident(queue_table)
            using hint = 'pass another queue_table';
    end if;
    _trigger_name = pg_catalog.format('_vectorizer_src_trg_%s', _id);
    select e.extversion into _version from pg_catalog.pg_extension e where e.extname operator(pg_catalog.=) 'ai';

    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'timescaledb' then
        scheduling = scheduling operator(pg_catalog.||) pg_catalog.jsonb_build_object('job_id', ai._vectorizer_schedule_job(_id, scheduling));
    end if;

    perform ai._vectorizer_create_target_table(_source_schema, _source_table, _source_pk, target_schema, target_table,
        (embedding operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4);
    perform ai._vectorizer_create_view(view_schema, view_name, _source_schema, _source_table, _source_pk, target_schema, target_table);
    perform ai._vectorizer_create_queue_table(queue_schema, queue_table, _source_pk);
    perform ai._vectorizer_create_source_trigger(_trigger_name, queue_schema, queue_table, _source_schema, _source_table, _source_pk);

    insert into ai.vectorizer
    ( id, source_schema, source_table, source_pk, target_schema, target_table, view_schema, view_name
    , trigger_name, queue_schema, queue_table, config )
    values
    ( _id, _source_schema, _source_table, _source_pk, target_schema, target_table, view_schema, view_name
    , _trigger_name, queue_schema, queue_table
    , pg_catalog.jsonb_build_object
      ( 'version', _version
      , 'embedding', embedding
      , 'chunking', chunking
      , 'indexing', indexing
      , 'formatting', formatting
      , 'scheduling', scheduling
      , 'processing', processing
      )
    );  -- a trigger on ai.vectorizer records the pg_depend entries (025-vectorizer-dependencies.sql)

    perform ai._vectorizer_grant(grant_to, _source_schema, _source_table, target_schema, target_table,
        view_schema, view_name, queue_schema, queue_table);

    if enqueue_existing then
        execute pg_catalog.format('insert into %I.%I (%s) select %s from %I.%I',
            queue_schema, queue_table, ai._pk_list(_source_pk), ai._pk_list(_source_pk), _source_schema, _source_table);
    end if;
    return _id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.drop_vectorizer(vectorizer_id pg_catalog.int4, drop_all pg_catalog.bool default false) returns void
as $func$
declare
    _v ai.vectorizer;
begin
    select * into _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id for update;
    if not found then
        raise exception 'vectorizer % does not exist', vectorizer_id;
    end if;
    -- the row goes first, so the sql_drop event trigger finds nothing to clean up after us
    delete from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    perform ai._vectorizer_unschedule_job(_v.id, (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int8);
    if ai._relation_exists(_v.source_schema, _v.source_table) then
        execute pg_catalog.format('drop trigger if exists %I on %I.%I', _v.trigger_name, _v.source_schema, _v.source_table);
        execute pg_catalog.format('drop trigger if exists %I on %I.%I', _v.trigger_name operator(pg_catalog.||) '_truncate', _v.source_schema, _v.source_table);
    end if;
    execute pg_catalog.format('drop function if exists %I.%I()', _v.queue_schema, _v.trigger_name);
    execute pg_catalog.format('drop function if exists %I.%I()', _v.queue_schema, _v.trigger_name operator(pg_catalog.||) '_truncate');
    execute pg_catalog.format('drop table if exists %I.%I', _v.queue_schema, _v.queue_table);
    if drop_all then
        execute pg_catalog.format('drop view if exists %I.%I', _v.view_schema, _v.view_name);
        execute pg_catalog.format('drop table if exists %I.%I', _v.target_schema, _v.target_table);
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Items waiting in a vectorizer's queue. Without exact_count, a count above 10,000 is
-- reported as the planner's estimate rather than scanned.
create or replace function ai.vectorizer_queue_pending(vectorizer_id pg_catalog.int4, exact_count pg_catalog.bool default false)
returns pg_catalog.int8
as $func$
declare
    _v ai.vectorizer;
    _n pg_catalog.int8;
begin
    select * into _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    if not found then
        raise exception 'vectorizer % does not exist', vectorizer_id;
    end if;
    if _v.queue_table is null or not ai._relation_exists(_v.queue_schema, _v.queue_table) then
        return 0;
    end if;
    if exact_count then
        execute pg_catalog.format('select pg_catalog.count(*) from %I.%I', _v.queue_schema, _v.queue_table) into _n;
        return _n;
    end if;
    execute pg_catalog.format('select pg_catalog.count(*) from (select 1 from %I.%I limit 10001) x', _v.queue_schema, _v.queue_table) into _n;
    if _n operator(pg_catalog.<=) 10000 then
        return _n;
    end if;
    select greatest(k.reltuples::pg_catalog.int8, 10001) into _n from pg_catalog.pg_class k
    where k.oid operator(pg_catalog.=) pg_catalog.format('%I.%I', _v.queue_schema, _v.queue_table)::pg_catalog.regclass;
    return _n;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace view ai.vectorizer_status as
select v.id
, pg_catalog.format('%I.%I', v.source_schema, v.source_table) as source_table
, pg_catalog.format('%I.%I', v.target_schema, v.target_table) as target_table
, pg_catalog.format('%I.%I', v.view_schema, v.view_name) as "view"
, case when v.queue_table is not null
        and pg_catalog.has_table_privilege(current_user, pg_catalog.format('%I.%I', v.queue_schema, v.queue_table), 'select')
       then ai.vectorizer_queue_pending(v.id)
  end as pending_items
, w.worker
, w.last_heartbeat
, e.message operator(pg_catalog.||) coalesce(': ' operator(pg_catalog.||) (e.details operator(pg_catalog.->>) 'error_reason'), '') as last_error
, e.recorded as last_error_at
from ai.vectorizer v
left join ai.vectorizer_worker_progress w on w.vectorizer_id operator(pg_catalog.=) v.id
left join lateral
( select x.message, x.details, x.recorded
  from ai.vectorizer_errors x
  where x.id operator(pg_catalog.=) v.id
  order by x.recorded desc
  limit 1
) e on true;
