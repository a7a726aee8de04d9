-- The vectorizer's public API: create, drop, queue size, status. create_vectorizer checks in
-- pgai 0.7's order, with its messages; this project's further checks come after pgai's, where
-- pgai would have failed later with PostgreSQL's own error or accepted what a worker cannot run.

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
    _missing_roles pg_catalog.name[];
    _source_schema pg_catalog.name;
    _source_table pg_catalog.name;
    _relkind pg_catalog."char";
    _owner pg_catalog.oid;
    _is_owner pg_catalog.bool;
    _dimensions pg_catalog.int4;
    _source_pk pg_catalog.jsonb;
    _id pg_catalog.int4;
    _trigger_name pg_catalog.name;
    _job_id pg_catalog.int8;
    _version pg_catalog.text;
    _name pg_catalog.text;
begin
    -- 1. grant_to: roles that do not exist are left out (public is PUBLIC)
    if grant_to is not null then
        select pg_catalog.array_agg(g) filter (where g operator(pg_catalog.<>) 'public' and pg_catalog.to_regrole(pg_catalog.quote_ident(g)) is null)
             , pg_catalog.array_agg(g) filter (where g operator(pg_catalog.=) 'public' or pg_catalog.to_regrole(pg_catalog.quote_ident(g)) is not null)
        into _missing_roles, grant_to
        from pg_catalog.unnest(grant_to) g;
        if _missing_roles is not null then
            raise warning 'one or more grant_to roles do not exist: %', _missing_roles;
        end if;
    end if;

    -- 2. the two configurations without a default
    if embedding is null then
        raise exception 'embedding configuration is required';
    end if;
    if chunking is null then
        raise exception 'chunking configuration is required';
    end if;

    -- 3. only the source's owner (or a member of its role) or a superuser
    select n.nspname, k.relname, k.relowner, k.relkind
    into _source_schema, _source_table, _owner, _relkind
    from pg_catalog.pg_class k
    join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    where k.oid operator(pg_catalog.=) source;
    if not found then
        raise exception 'query returned no rows' using errcode = 'no_data_found'
            , detail = pg_catalog.format('source %s is not a relation: pass the table to vectorize, e.g. ''docs''::regclass', coalesce(source::pg_catalog.oid::pg_catalog.text, 'null'));
    end if;
    select pg_catalog.pg_has_role(current_user, _owner, 'MEMBER') or r.rolsuper into _is_owner
    from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user;
    if not _is_owner then
        raise exception 'only a superuser or the owner of the source table may create a vectorizer on it'
            using detail = pg_catalog.format('%s belongs to %s', source, pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(_owner)));
    end if;

    -- 4. the size of the target's vectors
    _dimensions = (embedding operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4;
    if _dimensions is null then
        raise exception 'dimensions argument is required';
    end if;

    -- 5. a primary key to track rows by
    _source_pk = ai._vectorizer_source_pk(source);
    if _source_pk is null or pg_catalog.jsonb_array_length(_source_pk) operator(pg_catalog.=) 0 then
        if _relkind not in ('r', 'p') then
            raise exception 'source table must have a primary key constraint'
                using detail = pg_catalog.format('%s is not a table: a vectorizer reads an ordinary or partitioned table', source);
        end if;
        raise exception 'source table must have a primary key constraint';
    end if;

    -- 6. the id (consumed even if a later step fails, as a sequence is)
    _id = pg_catalog.nextval('ai.vectorizer_id_seq'::pg_catalog.regclass);

    -- 7. names
    -- a name PostgreSQL cuts to 63 bytes: said, since the objects get the shorter name (a name
    -- argument of 63 bytes may already be a longer one cut when it became a `name`)
    for _name in
        select x.value from (values
            (coalesce(target_table::pg_catalog.text, destination operator(pg_catalog.||) '_store', _source_table operator(pg_catalog.||) '_embedding_store'))
          , (coalesce(view_name::pg_catalog.text, destination::pg_catalog.text, _source_table operator(pg_catalog.||) '_embedding'))
          , (destination), (target_schema), (view_schema), (queue_schema), (queue_table)) x(value)
        where pg_catalog.octet_length(x.value) operator(pg_catalog.>=) 63
    loop
        if pg_catalog.octet_length(_name) operator(pg_catalog.>) 63 then
            raise notice 'the name % is longer than 63 bytes: PostgreSQL names the object %', pg_catalog.quote_ident(_name), pg_catalog.quote_ident(_name::pg_catalog.name);
        else
            raise notice 'the name % is 63 bytes long, the most PostgreSQL allows: a longer name given was cut to this', pg_catalog.quote_ident(_name);
        end if;
    end loop;
    target_schema = coalesce(target_schema, _source_schema);
    target_table = coalesce(target_table, destination operator(pg_catalog.||) '_store', _source_table operator(pg_catalog.||) '_embedding_store');
    view_schema = coalesce(view_schema, _source_schema);
    view_name = coalesce(view_name, destination, _source_table operator(pg_catalog.||) '_embedding');
    _trigger_name = pg_catalog.format('_vectorizer_src_trg_%s', _id);
    queue_schema = coalesce(queue_schema, 'ai');
    queue_table = coalesce(queue_table, pg_catalog.format('_vectorizer_q_%s', _id));

    -- 8. names already taken
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', view_schema, view_name)) is not null then
        raise exception 'an object named %.% already exists. specify an alternate destination explicitly', view_schema, view_name;
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', target_schema, target_table)) is not null then
        raise exception 'an object named %.% already exists. specify an alternate destination or target_table explicitly', target_schema, target_table;
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', queue_schema, queue_table)) is not null then
        raise exception 'an object named %.% already exists. specify an alternate queue_table explicitly', queue_schema, queue_table;
    end if;

    -- 9. the configurations, defaults resolved
    perform ai._validate_embedding(embedding);
    perform ai._validate_chunking(chunking, _source_schema, _source_table);
    if indexing operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'default' then
        indexing = ai._resolve_indexing_default();
    end if;
    perform ai._validate_indexing(indexing);
    perform ai._validate_formatting(formatting, _source_schema, _source_table);
    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'default' then
        scheduling = ai._resolve_scheduling_default();
    end if;
    perform ai._validate_scheduling(scheduling);
    perform ai._validate_processing(processing);

    -- 10. an index needs something that builds it
    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'none'
       and indexing operator(pg_catalog.->>) 'implementation' operator(pg_catalog.<>) 'none' then
        raise exception 'automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()';
    end if;

    -- this project's checks: what would otherwise fail below with PostgreSQL's error, or later
    -- in every batch of a worker
    perform ai_extra._validate_model_dimensions(embedding);
    perform ai_extra._vectorizer_check_names(_source_pk, _source_schema, _source_table, target_schema, target_table
        , view_schema, view_name, queue_schema, queue_table);
    if indexing operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'diskann'
       and not exists (select 1 from pg_catalog.pg_extension where extname operator(pg_catalog.=) 'vectorscale') then
        raise warning 'indexing_diskann needs the vectorscale extension (pgvectorscale), which is not installed: the index cannot be built until it is';
    end if;

    -- 11. the objects
    perform ai._vectorizer_grant_to_source(_source_schema, _source_table, grant_to);
    perform ai._vectorizer_create_target_table(_source_schema, _source_table, _source_pk, target_schema, target_table, _dimensions, grant_to);
    perform ai._vectorizer_create_queue_table(queue_schema, queue_table, _source_pk, grant_to);
    perform ai._vectorizer_create_source_trigger(_trigger_name, queue_schema, queue_table, _source_schema, _source_table, _source_pk);
    perform ai._vectorizer_create_view(view_schema, view_name, _source_schema, _source_table, _source_pk, target_schema, target_table, grant_to);
    if scheduling operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'timescaledb' then
        _job_id = ai._vectorizer_schedule_job(_id, scheduling);
        if _job_id is not null then
            scheduling = scheduling operator(pg_catalog.||) pg_catalog.jsonb_build_object('job_id', _job_id);
        end if;
    end if;

    select e.extversion into _version from pg_catalog.pg_extension e where e.extname operator(pg_catalog.=) 'ai';
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
    );
    perform ai._vectorizer_create_dependencies(_id);
    perform ai._vectorizer_grant_to_vectorizer(grant_to);

    if enqueue_existing then
        execute pg_catalog.format('insert into %I.%I (%s) select %s from %I.%I',
            queue_schema, queue_table, ai_extra._pk_list(_source_pk), ai_extra._pk_list(_source_pk), _source_schema, _source_table);
    end if;
    return _id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Names that would collide among themselves or with the columns the vectorizer adds: refused
-- with a message naming the fix (PostgreSQL's own error would come from deep inside the DDL).
create or replace function ai_extra._vectorizer_check_names
( source_pk pg_catalog.jsonb
, source_schema pg_catalog.name, source_table pg_catalog.name
, target_schema pg_catalog.name, target_table pg_catalog.name
, view_schema pg_catalog.name, view_name pg_catalog.name
, queue_schema pg_catalog.name, queue_table pg_catalog.name
) returns void
as $func$
declare
    _clash pg_catalog.name;
    _empty pg_catalog.text;
begin
    select x.param into _empty
    from (values ('target_schema', target_schema), ('target_table', target_table), ('view_schema', view_schema)
               , ('view_name', view_name), ('queue_schema', queue_schema), ('queue_table', queue_table)) x(param, value)
    where x.value operator(pg_catalog.=) ''
    limit 1;
    if found then
        raise exception '% must not be empty', _empty
            using hint = 'an empty destination makes the view name empty; pass a name, or leave the argument out for the default';
    end if;
    if (target_schema, target_table) operator(pg_catalog.=) (view_schema, view_name) then
        raise exception 'the target table and the view would both be named %.%', pg_catalog.quote_ident(target_schema), pg_catalog.quote_ident(target_table)
            using hint = 'pass different target_table and view_name (or another destination)';
    end if;
    if (queue_schema, queue_table) in ((target_schema, target_table), (view_schema, view_name)) then
        raise exception 'the queue table would be named %.%, like the target table or the view', pg_catalog.quote_ident(queue_schema), pg_catalog.quote_ident(queue_table)
            using hint = 'pass another queue_table';
    end if;
    select e operator(pg_catalog.->>) 'attname' into _clash
    from pg_catalog.jsonb_array_elements(source_pk) e
    where e operator(pg_catalog.->>) 'attname' in ('embedding_uuid', 'chunk_seq', 'chunk', 'embedding', 'queued_at')
    limit 1;
    if found then
        raise exception 'a primary-key column of %.% is named %, like a column the vectorizer adds (embedding_uuid, chunk_seq, chunk, embedding, queued_at)',
            pg_catalog.quote_ident(source_schema), pg_catalog.quote_ident(source_table), pg_catalog.quote_ident(_clash)
            using hint = 'rename that column';
    end if;
    select a.attname into _clash
    from pg_catalog.pg_attribute a
    where a.attrelid operator(pg_catalog.=) pg_catalog.format('%I.%I', source_schema, source_table)::pg_catalog.regclass
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
      and a.attname in ('embedding_uuid', 'chunk_seq', 'chunk', 'embedding')
    limit 1;
    if found then
        raise exception 'the source table has a column named %, which the vectorizer''s view also defines', pg_catalog.quote_ident(_clash)
            using hint = 'rename that source column';
    end if;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

-- Drops a vectorizer: its schedule, trigger and trigger function, queue table and catalog row;
-- with drop_all also its view and target table.
create or replace function ai.drop_vectorizer(vectorizer_id pg_catalog.int4, drop_all pg_catalog.bool default false) returns void
as $func$
declare
    _v ai.vectorizer;
begin
    begin
        select * into strict _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id for update;
    exception when no_data_found then
        raise exception 'query returned no rows' using errcode = 'no_data_found'
            , detail = pg_catalog.format('vectorizer %s does not exist', coalesce(vectorizer_id::pg_catalog.text, 'null'));
    end;
    -- the row goes first, so the sql_drop event trigger finds nothing to clean up after us
    delete from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    perform ai_extra._vectorizer_drop_objects(_v, drop_all, false);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- What drop_vectorizer drops (after the catalog row). `guarded`: called by the sql_drop event
-- trigger, which runs as its owner: an object is dropped only when the session user could drop
-- it (roles granted ai usage may write the catalog rows that name the objects).
create or replace function ai_extra._vectorizer_drop_objects(v ai.vectorizer, drop_all pg_catalog.bool, guarded pg_catalog.bool) returns void
as $func$
declare
    _owner pg_catalog.oid;
    _rel pg_catalog.regclass;
    _fn pg_catalog.regprocedure;
    _src pg_catalog.regclass = pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.source_schema, v.source_table));
    _obj pg_catalog.text;
begin
    perform ai_extra._vectorizer_unschedule_job(v.id, (v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int8);
    -- the trigger (gone if the source is), then its function
    if _src is not null and exists (select 1 from pg_catalog.pg_trigger t where t.tgrelid operator(pg_catalog.=) _src and t.tgname operator(pg_catalog.=) v.trigger_name) then
        select k.relowner into _owner from pg_catalog.pg_class k where k.oid operator(pg_catalog.=) _src;
        if guarded and not pg_catalog.pg_has_role(session_user, _owner, 'usage') then
            raise warning 'vectorizer %: its trigger on % was not dropped: the table belongs to %', v.id, _src, pg_catalog.pg_get_userbyid(_owner);
        else
            execute pg_catalog.format('drop trigger %I on %s', v.trigger_name, _src);
        end if;
    end if;
    _fn = pg_catalog.to_regprocedure(pg_catalog.format('%I.%I()', v.queue_schema, v.trigger_name));
    if _fn is not null and (select p.prorettype operator(pg_catalog.=) 'pg_catalog.trigger'::pg_catalog.regtype from pg_catalog.pg_proc p where p.oid operator(pg_catalog.=) _fn) then
        select p.proowner into _owner from pg_catalog.pg_proc p where p.oid operator(pg_catalog.=) _fn;
        if guarded and not pg_catalog.pg_has_role(session_user, _owner, 'usage') then
            raise warning 'vectorizer %: function % was not dropped: it belongs to %', v.id, _fn, pg_catalog.pg_get_userbyid(_owner);
        else
            execute pg_catalog.format('drop function %s cascade', _fn);
        end if;
    end if;
    foreach _obj in array array
    [ pg_catalog.format('%I.%I', v.queue_schema, v.queue_table)
    , case when drop_all then pg_catalog.format('%I.%I', v.view_schema, v.view_name) end
    , case when drop_all then pg_catalog.format('%I.%I', v.target_schema, v.target_table) end
    ] loop
        _rel = pg_catalog.to_regclass(_obj);
        continue when _rel is null;
        select k.relowner into _owner from pg_catalog.pg_class k where k.oid operator(pg_catalog.=) _rel;
        if guarded and not pg_catalog.pg_has_role(session_user, _owner, 'usage') then
            raise warning 'vectorizer %: % was not dropped: it belongs to %', v.id, _rel, pg_catalog.pg_get_userbyid(_owner);
            continue;
        end if;
        execute pg_catalog.format('drop %s %s'
            , case (select k.relkind from pg_catalog.pg_class k where k.oid operator(pg_catalog.=) _rel) when 'v' then 'view' else 'table' end
            , _rel);
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Items waiting in a vectorizer's queue. Without exact_count at most 10,001 rows are counted:
-- a queue that long answers the largest bigint ("more than 10,000").
create or replace function ai.vectorizer_queue_pending(vectorizer_id pg_catalog.int4, exact_count pg_catalog.bool default false)
returns pg_catalog.int8
as $func$
declare
    _queue_schema pg_catalog.name;
    _queue_table pg_catalog.name;
    _n pg_catalog.int8;
begin
    select v.queue_schema, v.queue_table into _queue_schema, _queue_table
    from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    if _queue_schema is null or _queue_table is null then
        raise exception 'vectorizer has no queue table';
    end if;
    if exact_count then
        execute pg_catalog.format('select pg_catalog.count(1) from %I.%I', _queue_schema, _queue_table) into strict _n;
        return _n;
    end if;
    execute pg_catalog.format('select pg_catalog.count(1) from (select 1 from %I.%I limit 10001) x', _queue_schema, _queue_table) into strict _n;
    if _n operator(pg_catalog.=) 10001 then
        return 9223372036854775807;
    end if;
    return _n;
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace view ai.vectorizer_status as
select
  v.id
, pg_catalog.format('%I.%I', v.source_schema, v.source_table) as source_table
, pg_catalog.format('%I.%I', v.target_schema, v.target_table) as target_table
, pg_catalog.format('%I.%I', v.view_schema, v.view_name) as "view"
, case when v.queue_table is not null and
    pg_catalog.has_table_privilege
    ( current_user
    , pg_catalog.format('%I.%I', v.queue_schema, v.queue_table)
    , 'select'
    )
    then ai.vectorizer_queue_pending(v.id)
    else null
  end as pending_items
from ai.vectorizer v;

-- This project's addition: which worker last watched each vectorizer, and its last error.
create or replace view ai_extra.vectorizer_worker_status as
select v.id
, w.worker
, w.last_heartbeat
, e.message operator(pg_catalog.||) coalesce(': ' operator(pg_catalog.||) (e.details operator(pg_catalog.->>) 'error_reason'), '') as last_error
, e.recorded as last_error_at
from ai.vectorizer v
left join ai_extra.vectorizer_worker_progress w on w.vectorizer_id operator(pg_catalog.=) v.id
left join lateral
( select x.message, x.details, x.recorded
  from ai.vectorizer_errors x
  where x.id operator(pg_catalog.=) v.id
  order by x.recorded desc
  limit 1
) e on true;
