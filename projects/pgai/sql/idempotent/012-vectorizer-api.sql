-- The vectorizer's public API: create, drop, enable and disable, queue size, status, embedding
-- a query, scheduling. create_vectorizer checks in pgai's order, with its messages; this
-- project's further checks come after pgai's, where pgai would have failed later with
-- PostgreSQL's own error or accepted what a worker cannot run.

create or replace function ai.create_vectorizer
( source pg_catalog.regclass
, name pg_catalog.text default null
, destination pg_catalog.jsonb default ai.destination_table()
, loading pg_catalog.jsonb default null
, parsing pg_catalog.jsonb default ai.parsing_auto()
, embedding pg_catalog.jsonb default null
, chunking pg_catalog.jsonb default ai.chunking_recursive_character_text_splitter()
, indexing pg_catalog.jsonb default ai.indexing_default()
, formatting pg_catalog.jsonb default ai.formatting_python_template()
, scheduling pg_catalog.jsonb default ai.scheduling_default()
, processing pg_catalog.jsonb default ai.processing_default()
, queue_schema pg_catalog.name default null
, queue_table pg_catalog.name default null
, grant_to pg_catalog.name[] default ai.grant_to()
, enqueue_existing pg_catalog.bool default true
, if_not_exists pg_catalog.bool default false
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
    _existing pg_catalog.int4;
    _trigger_name pg_catalog.name;
    _queue_failed_table pg_catalog.name;
    _job_id pg_catalog.int8;
    _is_table pg_catalog.bool;
    _name pg_catalog.text;
    _clash pg_catalog.text;
    _keys pg_catalog.text;
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

    -- 2. the configurations without a default
    if embedding is null then
        raise exception 'embedding configuration is required';
    end if;
    if loading is null then
        raise exception 'loading configuration is required'
            using hint = 'name the column to embed: loading => ai.loading_column(''body'')';
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

    -- 4. the size of the vectors
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

    -- 6. the id (consumed even if a later step fails, as a sequence is), and the queue's names
    _id = pg_catalog.nextval('ai.vectorizer_id_seq'::pg_catalog.regclass);
    _trigger_name = pg_catalog.format('_vectorizer_src_trg_%s', _id);
    queue_schema = coalesce(queue_schema, 'ai');
    queue_table = coalesce(queue_table, pg_catalog.format('_vectorizer_q_%s', _id));
    _queue_failed_table = pg_catalog.format('_vectorizer_q_failed_%s', _id);
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', queue_schema, queue_table)) is not null then
        raise exception 'an object named %.% already exists. specify an alternate queue_table explicitly', queue_schema, queue_table
            using errcode = 'duplicate_object';
    end if;

    -- 7. the configurations, defaults resolved
    perform ai._validate_loading(loading, _source_schema, _source_table);
    perform ai._validate_parsing(parsing, loading, _source_schema, _source_table);
    perform ai._validate_destination(destination, chunking);
    perform ai._validate_embedding(embedding);
    perform ai._validate_chunking(chunking);
    if (indexing operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'default' then
        indexing = ai._resolve_indexing_default();
    end if;
    perform ai._validate_indexing(indexing);
    perform ai._validate_formatting(formatting, _source_schema, _source_table);
    if (scheduling operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'default' then
        scheduling = ai._resolve_scheduling_default();
    end if;
    perform ai._validate_scheduling(scheduling);
    perform ai._validate_processing(processing);

    -- 8. an index needs something that builds it
    if (scheduling operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'none'
       and (indexing operator(pg_catalog.->>) 'implementation') operator(pg_catalog.<>) 'none' then
        raise exception 'automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()';
    end if;

    -- 9. where the embeddings go, and the vectorizer's name
    destination = ai._evaluate_destination(destination, _source_schema, _source_table);
    _is_table = (destination operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'table';
    if name is null then
        name = case when _is_table
            then pg_catalog.format('%s_%s', destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table')
            else pg_catalog.format('%s_%s_%s', _source_schema, _source_table, destination operator(pg_catalog.->>) 'embedding_column') end;
    end if;
    select v.id into _existing from ai.vectorizer v where v.name operator(pg_catalog.=) create_vectorizer.name;
    if _existing is not null then
        if if_not_exists then
            raise notice 'a vectorizer named % already exists, skipping', name;
            return _existing;
        end if;
        raise exception 'a vectorizer named % already exists.', name using errcode = 'duplicate_object';
    end if;
    if name operator(pg_catalog.!~) '^[a-z][a-z_0-9]*$' or pg_catalog.octet_length(name) operator(pg_catalog.>) 63 then
        raise exception 'invalid vectorizer name %: a name is lower-case letters, digits and underscores, starting with a letter (63 bytes at most)', pg_catalog.quote_literal(name)
            using errcode = 'check_violation'
            , hint = 'pass name => ''a_valid_name''';
    end if;
    perform ai._validate_destination_can_create_objects(destination);

    -- this project's checks: names PostgreSQL would cut or that collide, which would otherwise
    -- fail deep inside the DDL below or confuse the view
    for _name in
        select x.value from (values (destination operator(pg_catalog.->>) 'target_table'), (destination operator(pg_catalog.->>) 'view_name')
            , (destination operator(pg_catalog.->>) 'target_schema'), (destination operator(pg_catalog.->>) 'view_schema')
            , (destination operator(pg_catalog.->>) 'embedding_column'), (queue_schema), (queue_table)) x(value)
        where pg_catalog.octet_length(x.value) operator(pg_catalog.>) 63
    loop
        raise notice 'the name % is longer than 63 bytes: PostgreSQL names the object %', pg_catalog.quote_ident(_name), pg_catalog.quote_ident(_name::pg_catalog.name);
    end loop;
    select x.param into _clash
    from (values ('target_schema', destination operator(pg_catalog.->>) 'target_schema'), ('target_table', destination operator(pg_catalog.->>) 'target_table')
               , ('view_schema', destination operator(pg_catalog.->>) 'view_schema'), ('view_name', destination operator(pg_catalog.->>) 'view_name')
               , ('embedding_column', destination operator(pg_catalog.->>) 'embedding_column')
               , ('queue_schema', queue_schema), ('queue_table', queue_table)) x(param, value)
    where x.value operator(pg_catalog.=) ''
    limit 1;
    if found then
        raise exception '% must not be empty', _clash
            using hint = 'pass a name, or leave the argument out for the default';
    end if;
    if _is_table then
        if (destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table')
           operator(pg_catalog.=) (destination operator(pg_catalog.->>) 'view_schema', destination operator(pg_catalog.->>) 'view_name') then
            raise exception 'the target table and the view would both be named %.%'
                , pg_catalog.quote_ident(destination operator(pg_catalog.->>) 'target_schema'), pg_catalog.quote_ident(destination operator(pg_catalog.->>) 'target_table')
                using hint = 'pass different target_table and view_name (or another destination)';
        end if;
        if (queue_schema::pg_catalog.text, queue_table::pg_catalog.text) in
           ( (destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table')
           , (destination operator(pg_catalog.->>) 'view_schema', destination operator(pg_catalog.->>) 'view_name')) then
            raise exception 'the queue table would be named %.%, like the target table or the view', pg_catalog.quote_ident(queue_schema), pg_catalog.quote_ident(queue_table)
                using hint = 'pass another queue_table';
        end if;
        select e operator(pg_catalog.->>) 'attname' into _clash
        from pg_catalog.jsonb_array_elements(_source_pk) e
        where e operator(pg_catalog.->>) 'attname' in ('embedding_uuid', 'chunk_seq', 'chunk', 'embedding')
        limit 1;
        if found then
            raise exception 'a primary-key column of %.% is named %, like a column the vectorizer adds (embedding_uuid, chunk_seq, chunk, embedding)',
                pg_catalog.quote_ident(_source_schema), pg_catalog.quote_ident(_source_table), pg_catalog.quote_ident(_clash)
                using hint = 'rename that column, or use a column destination';
        end if;
        select a.attname into _clash
        from pg_catalog.pg_attribute a
        where a.attrelid operator(pg_catalog.=) source and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
          and a.attname in ('embedding_uuid', 'chunk_seq', 'chunk', 'embedding')
        limit 1;
        if found then
            raise exception 'the source table has a column named %, which the vectorizer''s view also defines', pg_catalog.quote_ident(_clash)
                using hint = 'rename that source column, or use a column destination';
        end if;
    else
        select pg_catalog.format_type(a.atttypid, a.atttypmod) into _clash
        from pg_catalog.pg_attribute a
        where a.attrelid operator(pg_catalog.=) source and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
          and a.attname operator(pg_catalog.=) (destination operator(pg_catalog.->>) 'embedding_column')
          and (a.atttypid operator(pg_catalog.<>) pg_catalog.to_regtype(pg_catalog.format('%I.vector', (select n.nspname from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace where e.extname operator(pg_catalog.=) 'vector')))
               or a.atttypmod operator(pg_catalog.<>) _dimensions);
        if found then
            raise exception 'column % of %.% is of type %, not vector(%): it cannot hold the embeddings', pg_catalog.quote_ident(destination operator(pg_catalog.->>) 'embedding_column')
                , pg_catalog.quote_ident(_source_schema), pg_catalog.quote_ident(_source_table), _clash, _dimensions
                using hint = 'name a new column (it is added) or a vector column of the embedding''s dimensions';
        end if;
        if (destination operator(pg_catalog.->>) 'embedding_column') operator(pg_catalog.=) (loading operator(pg_catalog.->>) 'column_name') then
            raise exception 'the embedding column and the loaded column are both %', pg_catalog.quote_ident(destination operator(pg_catalog.->>) 'embedding_column')
                using hint = 'name another embedding column';
        end if;
    end if;

    -- 10. the objects
    perform ai._vectorizer_grant_to_source(_source_schema, _source_table, grant_to);
    if _is_table then
        perform ai._vectorizer_create_destination_table(_source_schema, _source_table, _source_pk, _dimensions, destination, grant_to);
    else
        perform ai._vectorizer_create_destination_column(_source_schema, _source_table, _dimensions, destination);
    end if;
    perform ai._vectorizer_create_queue_table(queue_schema, queue_table, _source_pk, grant_to);
    perform ai._vectorizer_create_queue_failed_table(queue_schema, _queue_failed_table, _source_pk, grant_to);
    perform ai._vectorizer_create_source_trigger(_trigger_name, queue_schema, queue_table, _source_schema, _source_table
        , case when _is_table then destination operator(pg_catalog.->>) 'target_schema' end
        , case when _is_table then destination operator(pg_catalog.->>) 'target_table' end
        , _source_pk);
    _job_id = ai._vectorizer_schedule_job(_id, scheduling);
    if _job_id is not null then
        scheduling = pg_catalog.jsonb_insert(scheduling, '{job_id}', pg_catalog.to_jsonb(_job_id));
    end if;

    insert into ai.vectorizer
    ( id, source_schema, source_table, source_pk, trigger_name, queue_schema, queue_table, queue_failed_table, config, name )
    values
    ( _id, _source_schema, _source_table, _source_pk, _trigger_name, queue_schema, queue_table, _queue_failed_table
    , pg_catalog.jsonb_build_object
      ( 'version', '__version__'
      , 'loading', loading
      , 'parsing', parsing
      , 'embedding', embedding
      , 'chunking', chunking
      , 'indexing', indexing
      , 'formatting', formatting
      , 'scheduling', scheduling
      , 'processing', processing
      , 'destination', destination
      )
    , name
    );
    perform ai._vectorizer_grant_to_vectorizer(grant_to);

    if enqueue_existing then
        select pg_catalog.string_agg(pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
        into strict _keys
        from pg_catalog.jsonb_array_elements(_source_pk) e;
        execute pg_catalog.format('insert into %I.%I (%s) select %s from %I.%I', queue_schema, queue_table, _keys, _keys, _source_schema, _source_table);
    end if;
    return _id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Drops a vectorizer: its TimescaleDB job, triggers and trigger function, queue and failed
-- queue, and catalog row; with drop_all also a table destination's view and table (a column
-- destination's column stays: it is part of the source table).
create or replace function ai.drop_vectorizer(vectorizer_id pg_catalog.int4, drop_all pg_catalog.bool default false) returns void
as $func$
declare
    _v ai.vectorizer;
    _src pg_catalog.regclass;
    _fn pg_catalog.regprocedure;
    _tsdb pg_catalog.name;
    _d pg_catalog.jsonb;
begin
    select v.* into strict _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    _d = _v.config operator(pg_catalog.->) 'destination';
    if (_v.config operator(pg_catalog.#>>) '{scheduling,implementation}') operator(pg_catalog.=) 'timescaledb'
       and _v.config operator(pg_catalog.#>) '{scheduling,job_id}' is not null then
        select n.nspname into _tsdb
        from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
        where e.extname operator(pg_catalog.=) 'timescaledb';
        if _tsdb is not null then
            execute pg_catalog.format('select %I.delete_job(j.job_id) from timescaledb_information.jobs j where j.job_id operator(pg_catalog.=) $1', _tsdb)
            using (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int4;
        end if;
    end if;
    _src = pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.source_schema, _v.source_table));
    if _src is not null then
        execute pg_catalog.format('drop trigger if exists %I on %s', _v.trigger_name, _src);
        execute pg_catalog.format('drop trigger if exists %I on %s', _v.trigger_name operator(pg_catalog.||) '_truncate', _src);
    end if;
    _fn = pg_catalog.to_regprocedure(pg_catalog.format('%I.%I()', _v.queue_schema, _v.trigger_name));
    if _fn is not null and (select p.prorettype operator(pg_catalog.=) 'pg_catalog.trigger'::pg_catalog.regtype from pg_catalog.pg_proc p where p.oid operator(pg_catalog.=) _fn) then
        execute pg_catalog.format('drop function %s cascade', _fn);
    end if;
    execute pg_catalog.format('drop table if exists %I.%I', _v.queue_schema, _v.queue_table);
    if _v.queue_failed_table is not null then
        execute pg_catalog.format('drop table if exists %I.%I', _v.queue_schema, _v.queue_failed_table);
    end if;
    if drop_all and (_d operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'table' then
        execute pg_catalog.format('drop view if exists %I.%I', _d operator(pg_catalog.->>) 'view_schema', _d operator(pg_catalog.->>) 'view_name');
        execute pg_catalog.format('drop table if exists %I.%I', _d operator(pg_catalog.->>) 'target_schema', _d operator(pg_catalog.->>) 'target_table');
    end if;
    delete from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.drop_vectorizer(name pg_catalog.text, drop_all pg_catalog.bool default false) returns void
as $func$
    select ai.drop_vectorizer(v.id, drop_all) from ai.vectorizer v where v.name operator(pg_catalog.=) drop_vectorizer.name
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Disabling a vectorizer stops workers from processing it (and pauses its TimescaleDB job).
create or replace function ai.disable_vectorizer_schedule(vectorizer_id pg_catalog.int4) returns void
as $func$
declare
    _v ai.vectorizer;
    _tsdb pg_catalog.name;
begin
    update ai.vectorizer v set disabled = true where v.id operator(pg_catalog.=) vectorizer_id returning v.* into strict _v;
    select n.nspname into _tsdb
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'timescaledb';
    if _tsdb is not null and (_v.config operator(pg_catalog.#>>) '{scheduling,implementation}') operator(pg_catalog.=) 'timescaledb' then
        execute pg_catalog.format('select %I.alter_job(j.job_id, scheduled => false) from timescaledb_information.jobs j where j.job_id operator(pg_catalog.=) $1', _tsdb)
        using (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int4;
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.disable_vectorizer_schedule(name pg_catalog.text) returns void
as $func$
    select ai.disable_vectorizer_schedule(v.id) from ai.vectorizer v where v.name operator(pg_catalog.=) disable_vectorizer_schedule.name
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.enable_vectorizer_schedule(vectorizer_id pg_catalog.int4) returns void
as $func$
declare
    _v ai.vectorizer;
    _tsdb pg_catalog.name;
begin
    update ai.vectorizer v set disabled = false where v.id operator(pg_catalog.=) vectorizer_id returning v.* into strict _v;
    select n.nspname into _tsdb
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'timescaledb';
    if _tsdb is not null and (_v.config operator(pg_catalog.#>>) '{scheduling,implementation}') operator(pg_catalog.=) 'timescaledb' then
        execute pg_catalog.format('select %I.alter_job(j.job_id, scheduled => true) from timescaledb_information.jobs j where j.job_id operator(pg_catalog.=) $1', _tsdb)
        using (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int4;
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.enable_vectorizer_schedule(name pg_catalog.text) returns void
as $func$
    select ai.enable_vectorizer_schedule(v.id) from ai.vectorizer v where v.name operator(pg_catalog.=) enable_vectorizer_schedule.name
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

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

create or replace function ai.vectorizer_queue_pending(name pg_catalog.text, exact_count pg_catalog.bool default false)
returns pg_catalog.int8
as $func$
    select ai.vectorizer_queue_pending(v.id, exact_count) from ai.vectorizer v where v.name operator(pg_catalog.=) vectorizer_queue_pending.name
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace view ai.vectorizer_status as
select
  v.id
, v.name
, pg_catalog.format('%I.%I', v.source_schema, v.source_table) as source_table
, case when (v.config operator(pg_catalog.#>>) '{destination,implementation}') operator(pg_catalog.=) 'table'
    then pg_catalog.format('%I.%I', v.config operator(pg_catalog.#>>) '{destination,target_schema}', v.config operator(pg_catalog.#>>) '{destination,target_table}')
  end as target_table
, case when (v.config operator(pg_catalog.#>>) '{destination,implementation}') operator(pg_catalog.=) 'table'
    then pg_catalog.format('%I.%I', v.config operator(pg_catalog.#>>) '{destination,view_schema}', v.config operator(pg_catalog.#>>) '{destination,view_name}')
  end as "view"
, case when (v.config operator(pg_catalog.#>>) '{destination,implementation}') operator(pg_catalog.=) 'column'
    then pg_catalog.format('%I', v.config operator(pg_catalog.#>>) '{destination,embedding_column}')
    else 'embedding'
  end as embedding_column
, case when v.queue_table is not null
    and pg_catalog.has_table_privilege(current_user, pg_catalog.format('%I.%I', v.queue_schema, v.queue_table), 'select')
    then ai.vectorizer_queue_pending(v.id)
  end as pending_items
, v.disabled
from ai.vectorizer v;

-- Embeds a query text with a vectorizer's own model settings, for search. The model is called
-- through the ai extension's functions (ai.openai_embed, ...): without the extension, embed in
-- the application instead.
create or replace function ai.vectorizer_embed
( embedding_config pg_catalog.jsonb
, input_text pg_catalog.text
, input_type pg_catalog.text default null
) returns @extschema:vector@.vector
as $func$
declare
    _c pg_catalog.jsonb = embedding_config;
begin
    perform ai._validate_embedding(_c);
    if not exists (select 1 from pg_catalog.pg_extension e where e.extname operator(pg_catalog.=) 'ai') then
        raise exception 'ai.vectorizer_embed calls the model through the ai extension, which is not installed in this database'
            using hint = 'create extension ai (where the server has it), or embed the query in the application';
    end if;
    case _c operator(pg_catalog.->>) 'implementation'
        when 'openai' then
            return ai.openai_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , api_key_name => _c operator(pg_catalog.->>) 'api_key_name'
            , base_url => _c operator(pg_catalog.->>) 'base_url'
            , dimensions => (_c operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4
            , openai_user => _c operator(pg_catalog.->>) 'user'
            );
        when 'ollama' then
            return ai.ollama_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , host => _c operator(pg_catalog.->>) 'base_url'
            , keep_alive => _c operator(pg_catalog.->>) 'keep_alive'
            , embedding_options => _c operator(pg_catalog.->) 'options'
            );
        when 'voyageai' then
            return ai.voyageai_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , input_type => coalesce(input_type, _c operator(pg_catalog.->>) 'input_type')
            , api_key_name => _c operator(pg_catalog.->>) 'api_key_name'
            );
        when 'sentence_transformers' then
            return ai_extra.sentence_transformers_embed
            ( _c operator(pg_catalog.->>) 'model', input_text
            , engine => _c operator(pg_catalog.->>) 'engine'
            , dimensions => (_c operator(pg_catalog.->>) 'dimensions')::pg_catalog.int4
            );
        else
            raise exception 'unsupported embedding implementation'
                using detail = pg_catalog.format('%s models are called by the worker only', _c operator(pg_catalog.->>) 'implementation');
    end case;
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.vectorizer_embed
( vectorizer_id pg_catalog.int4
, input_text pg_catalog.text
, input_type pg_catalog.text default null
) returns @extschema:vector@.vector
as $func$
    select ai.vectorizer_embed(v.config operator(pg_catalog.->) 'embedding', input_text, input_type)
    from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.vectorizer_embed
( name pg_catalog.text
, input_text pg_catalog.text
, input_type pg_catalog.text default null
) returns @extschema:vector@.vector
as $func$
    select ai.vectorizer_embed(v.config operator(pg_catalog.->) 'embedding', input_text, input_type)
    from ai.vectorizer v where v.name operator(pg_catalog.=) vectorizer_embed.name
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

-- Runs a vectorizer now, by name, through the ai extension's executor call.
create or replace function ai.execute_vectorizer(vectorizer_name pg_catalog.text) returns void
as $func$
declare
    _id pg_catalog.int4;
begin
    select v.id into strict _id from ai.vectorizer v where v.name operator(pg_catalog.=) vectorizer_name;
    if not exists (select 1 from pg_catalog.pg_extension e where e.extname operator(pg_catalog.=) 'ai') then
        raise exception 'ai.execute_vectorizer signals the executor through the ai extension, which is not installed in this database'
            using hint = 'run a worker instead: pgai vectorizer worker';
    end if;
    execute 'select ai.execute_vectorizer($1)' using _id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Replaces a vectorizer's schedule (and indexing): its TimescaleDB job, if any, is deleted and
-- a new one made as `scheduling` says. Returns the vectorizer's new config.
create or replace function ai.set_scheduling
( vectorizer_id pg_catalog.int4
, scheduling pg_catalog.jsonb default ai.scheduling_default()
, indexing pg_catalog.jsonb default ai.indexing_default()
) returns pg_catalog.jsonb
as $func$
declare
    _v ai.vectorizer;
    _tsdb pg_catalog.name;
    _job_id pg_catalog.int8;
    _config pg_catalog.jsonb;
begin
    select v.* into strict _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id for update;
    if (indexing operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'default' then
        indexing = ai._resolve_indexing_default();
    end if;
    perform ai._validate_indexing(indexing);
    if (scheduling operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'default' then
        scheduling = ai._resolve_scheduling_default();
    end if;
    perform ai._validate_scheduling(scheduling);
    if (scheduling operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'none'
       and (indexing operator(pg_catalog.->>) 'implementation') operator(pg_catalog.<>) 'none' then
        raise exception 'automatic indexing is not supported without scheduling. set indexing=>ai.indexing_none() when scheduling=>ai.scheduling_none()';
    end if;
    if _v.config operator(pg_catalog.#>) '{scheduling,job_id}' is not null then
        select n.nspname into _tsdb
        from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
        where e.extname operator(pg_catalog.=) 'timescaledb';
        if _tsdb is not null then
            execute pg_catalog.format('select %I.delete_job(j.job_id) from timescaledb_information.jobs j where j.job_id operator(pg_catalog.=) $1', _tsdb)
            using (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int4;
        end if;
    end if;
    _job_id = ai._vectorizer_schedule_job(vectorizer_id, scheduling);
    if _job_id is not null then
        scheduling = pg_catalog.jsonb_insert(scheduling, '{job_id}', pg_catalog.to_jsonb(_job_id));
    end if;
    _config = _v.config operator(pg_catalog.||) pg_catalog.jsonb_build_object('scheduling', scheduling, 'indexing', indexing);
    update ai.vectorizer v set config = _config where v.id operator(pg_catalog.=) vectorizer_id;
    return _config;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
