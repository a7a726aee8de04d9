-- create_vectorizer's helpers: the source's key, the grants, and the objects a vectorizer makes
-- (queue and failed queue, trigger, destination table and view or column), the vector index,
-- and the TimescaleDB job. Every identifier that comes from a caller is quoted with
-- format('%I'); every value with format('%L') or a parameter.

-- The source's primary key: [{attnum, pknum, attname, typname}] in key order, or null. typname
-- is format_type's text, qualified when its schema is not pg_catalog, usable in DDL as it is.
create or replace function ai._vectorizer_source_pk(source_table pg_catalog.regclass) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_agg(x order by x.pknum)
    from
    ( select a.attnum, k.pknum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) as typname
      from pg_catalog.pg_constraint c
      cross join lateral pg_catalog.unnest(c.conkey) with ordinality k(attnum, pknum)
      join pg_catalog.pg_attribute a
        on a.attrelid operator(pg_catalog.=) c.conrelid and a.attnum operator(pg_catalog.=) k.attnum
      where c.conrelid operator(pg_catalog.=) source_table and c.contype operator(pg_catalog.=) 'p'
    ) x
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_grant_to_source
( source_schema pg_catalog.name
, source_table pg_catalog.name
, grant_to pg_catalog.name[]
) returns void
as $func$
declare
    _grantees pg_catalog.text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    if _grantees is null then
        return;
    end if;
    execute pg_catalog.format('grant usage on schema %I to %s', source_schema, _grantees);
    execute pg_catalog.format('grant select on %I.%I to %s', source_schema, source_table, _grantees);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_grant_to_vectorizer(grant_to pg_catalog.name[]) returns void
as $func$
declare
    _grantees pg_catalog.text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    if _grantees is null then
        return;
    end if;
    execute pg_catalog.format('grant usage on schema ai to %s', _grantees);
    execute pg_catalog.format('grant select on ai.vectorizer to %s', _grantees);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- One row per chunk: the source's key, the chunk's position and text, its embedding.
create or replace function ai._vectorizer_create_target_table
( source_pk pg_catalog.jsonb
, target_schema pg_catalog.name
, target_table pg_catalog.name
, dimensions pg_catalog.int4
, grant_to pg_catalog.name[]
) returns void
as $func$
declare
    _vector_schema pg_catalog.name;
    _columns pg_catalog.text;
    _keys pg_catalog.text;
    _grantees pg_catalog.text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select n.nspname into strict _vector_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'vector';
    select pg_catalog.string_agg(pg_catalog.format('%I %s not null', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'typname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
         , pg_catalog.string_agg(pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into strict _columns, _keys
    from pg_catalog.jsonb_array_elements(source_pk) e;
    execute pg_catalog.format(
        'create table %I.%I'
        '( embedding_uuid pg_catalog.uuid not null primary key default pg_catalog.gen_random_uuid()'
        ', %s'
        ', chunk_seq pg_catalog.int4 not null'
        ', chunk pg_catalog.text not null'
        ', embedding %I.vector(%s) not null'
        ', unique (%s, chunk_seq)'
        ')'
        , target_schema, target_table, _columns, _vector_schema, dimensions, _keys);
    -- vectors do not compress: store them inline, uncompressed
    execute pg_catalog.format('alter table %I.%I alter column embedding set storage main', target_schema, target_table);
    if _grantees is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', target_schema, _grantees);
        execute pg_catalog.format('grant select, insert, update on %I.%I to %s', target_schema, target_table, _grantees);
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The keys waiting to be embedded (no primary key: a key may be queued more than once), with
-- the count of failed loading attempts and when to try again.
create or replace function ai._vectorizer_create_queue_table
( queue_schema pg_catalog.name
, queue_table pg_catalog.name
, source_pk pg_catalog.jsonb
, grant_to pg_catalog.name[]
) returns void
as $func$
declare
    _columns pg_catalog.text;
    _keys pg_catalog.text;
    _grantees pg_catalog.text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg(pg_catalog.format('%I %s not null', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'typname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
         , pg_catalog.string_agg(pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into strict _columns, _keys
    from pg_catalog.jsonb_array_elements(source_pk) e;
    execute pg_catalog.format(
        'create table %I.%I'
        '( %s'
        ', queued_at pg_catalog.timestamptz not null default pg_catalog.now()'
        ', loading_retries pg_catalog.int4 not null default 0'
        ', loading_retry_after pg_catalog.timestamptz'
        ')'
        , queue_schema, queue_table, _columns);
    execute pg_catalog.format('create index on %I.%I (%s)', queue_schema, queue_table, _keys);
    if _grantees is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', queue_schema, _grantees);
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %s', queue_schema, queue_table, _grantees);
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The keys whose loading failed `retries` times, and at which step.
create or replace function ai._vectorizer_create_queue_failed_table
( queue_schema pg_catalog.name
, queue_failed_table pg_catalog.name
, source_pk pg_catalog.jsonb
, grant_to pg_catalog.name[]
) returns void
as $func$
declare
    _columns pg_catalog.text;
    _keys pg_catalog.text;
    _grantees pg_catalog.text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg(pg_catalog.format('%I %s not null', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'typname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
         , pg_catalog.string_agg(pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into strict _columns, _keys
    from pg_catalog.jsonb_array_elements(source_pk) e;
    execute pg_catalog.format(
        'create table %I.%I'
        '( %s'
        ', created_at pg_catalog.timestamptz not null default pg_catalog.now()'
        ', failure_step pg_catalog.text not null default '''''
        ')'
        , queue_schema, queue_failed_table, _columns);
    execute pg_catalog.format('create index on %I.%I (%s)', queue_schema, queue_failed_table, _keys);
    if _grantees is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', queue_schema, _grantees);
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %s', queue_schema, queue_failed_table, _grantees);
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The body of a vectorizer's trigger function. Inserted rows are queued; an update is queued
-- when a column other than an embedding column (of any column-destination vectorizer of the
-- table, looked up when the trigger fires) changed. With a table destination (target given), a
-- deleted row's chunks are deleted, an update of the key deletes the old key's chunks, and a
-- truncate empties the target and the queue.
create or replace function ai._vectorizer_build_trigger_definition
( queue_schema pg_catalog.name
, queue_table pg_catalog.name
, target_schema pg_catalog.name
, target_table pg_catalog.name
, source_schema pg_catalog.name
, source_table pg_catalog.name
, source_pk pg_catalog.jsonb
) returns pg_catalog.text
as $func$
declare
    _keys pg_catalog.text;
    _new_keys pg_catalog.text;
    _old_match pg_catalog.text;
    _key_changed pg_catalog.text;
    _enqueue pg_catalog.text;
    _changed pg_catalog.text;
begin
    select pg_catalog.string_agg(pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
         , pg_catalog.string_agg(pg_catalog.format('new.%I', e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
         , pg_catalog.string_agg(pg_catalog.format('%I = old.%I', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'attname'), ' and ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
         , pg_catalog.string_agg(pg_catalog.format('old.%I is distinct from new.%I', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'attname'), ' or ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into strict _keys, _new_keys, _old_match, _key_changed
    from pg_catalog.jsonb_array_elements(source_pk) e;
    _enqueue = pg_catalog.format('insert into %I.%I (%s) values (%s);', queue_schema, queue_table, _keys, _new_keys);
    _changed = '(to_jsonb(old) - _embedding_columns) is distinct from (to_jsonb(new) - _embedding_columns)';
    if target_table is null then
        return pg_catalog.format($body$
declare
    _embedding_columns text[];
begin
    if tg_op = 'INSERT' then
        %1$s
    elsif tg_op = 'UPDATE' then
        select coalesce(array_agg(v.config->'destination'->>'embedding_column'), '{}') into _embedding_columns
        from ai.vectorizer v
        where v.source_schema = %2$L and v.source_table = %3$L and v.config->'destination'->>'implementation' = 'column';
        if %4$s then
            %1$s
        end if;
    end if;
    return null;
end;
$body$, _enqueue, source_schema, source_table, _changed);
    end if;
    return pg_catalog.format($body$
declare
    _embedding_columns text[];
begin
    if tg_op = 'TRUNCATE' then
        truncate table %5$I.%6$I;
        truncate table %7$I.%8$I;
        return null;
    elsif tg_op = 'DELETE' then
        delete from %5$I.%6$I where %9$s;
        return null;
    elsif tg_op = 'UPDATE' then
        if %10$s then
            delete from %5$I.%6$I where %9$s;
            %1$s
        else
            select coalesce(array_agg(v.config->'destination'->>'embedding_column'), '{}') into _embedding_columns
            from ai.vectorizer v
            where v.source_schema = %2$L and v.source_table = %3$L and v.config->'destination'->>'implementation' = 'column';
            if %4$s then
                %1$s
            end if;
        end if;
        return new;
    end if;
    %1$s
    return new;
end;
$body$, _enqueue, source_schema, source_table, _changed, target_schema, target_table, queue_schema, queue_table, _old_match, _key_changed);
end;
$func$ language plpgsql immutable security invoker set search_path to pg_catalog, pg_temp;

-- The trigger function (security definer: writers of the source need no rights on the queue or
-- the target) and its two triggers, per row and on truncate.
create or replace function ai._vectorizer_create_source_trigger
( trigger_name pg_catalog.name
, queue_schema pg_catalog.name
, queue_table pg_catalog.name
, source_schema pg_catalog.name
, source_table pg_catalog.name
, target_schema pg_catalog.name
, target_table pg_catalog.name
, source_pk pg_catalog.jsonb
) returns void
as $func$
begin
    execute pg_catalog.format(
        'create or replace function %I.%I() returns trigger as %L'
        ' language plpgsql volatile parallel safe security definer set search_path to pg_catalog, pg_temp'
        , queue_schema, trigger_name
        , ai._vectorizer_build_trigger_definition(queue_schema, queue_table, target_schema, target_table, source_schema, source_table, source_pk));
    execute pg_catalog.format('revoke all on function %I.%I() from public', queue_schema, trigger_name);
    execute pg_catalog.format('create trigger %I after insert or update or delete on %I.%I for each row execute function %I.%I()'
        , trigger_name, source_schema, source_table, queue_schema, trigger_name);
    execute pg_catalog.format('create trigger %I after truncate on %I.%I for each statement execute function %I.%I()'
        , trigger_name operator(pg_catalog.||) '_truncate', source_schema, source_table, queue_schema, trigger_name);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The view: the target's columns, then every source column in table order, the key columns
-- taken from the target (so a chunk shows its key even when its row is gone).
create or replace function ai._vectorizer_create_view
( view_schema pg_catalog.name
, view_name pg_catalog.name
, source_schema pg_catalog.name
, source_table pg_catalog.name
, source_pk pg_catalog.jsonb
, target_schema pg_catalog.name
, target_table pg_catalog.name
, grant_to pg_catalog.name[]
) returns void
as $func$
declare
    _columns pg_catalog.text;
    _join pg_catalog.text;
    _grantees pg_catalog.text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg(pg_catalog.format('t.%I = s.%I', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'attname'), ' and ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into strict _join
    from pg_catalog.jsonb_array_elements(source_pk) e;
    select pg_catalog.string_agg(pg_catalog.format('%s.%I'
        , case when a.attname operator(pg_catalog.=) any(array(select e operator(pg_catalog.->>) 'attname' from pg_catalog.jsonb_array_elements(source_pk) e))
               then 't' else 's' end
        , a.attname), ', ' order by a.attnum)
    into strict _columns
    from pg_catalog.pg_attribute a
    where a.attrelid operator(pg_catalog.=) pg_catalog.format('%I.%I', source_schema, source_table)::pg_catalog.regclass
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped;
    execute pg_catalog.format(
        'create view %I.%I as select t.embedding_uuid, t.chunk_seq, t.chunk, t.embedding, %s from %I.%I t left join %I.%I s on (%s)'
        , view_schema, view_name, _columns, target_schema, target_table, source_schema, source_table, _join);
    if _grantees is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', view_schema, _grantees);
        execute pg_catalog.format('grant select on %I.%I to %s', view_schema, view_name, _grantees);
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_destination_table
( source_schema pg_catalog.name
, source_table pg_catalog.name
, source_pk pg_catalog.jsonb
, dimensions pg_catalog.int4
, destination pg_catalog.jsonb
, grant_to pg_catalog.name[]
) returns void
as $func$
begin
    perform ai._vectorizer_create_target_table(source_pk
        , destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table'
        , dimensions, grant_to);
    perform ai._vectorizer_create_view(destination operator(pg_catalog.->>) 'view_schema', destination operator(pg_catalog.->>) 'view_name'
        , source_schema, source_table, source_pk
        , destination operator(pg_catalog.->>) 'target_schema', destination operator(pg_catalog.->>) 'target_table', grant_to);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- A nullable vector column on the source (a column of that name already there is used as it is).
create or replace function ai._vectorizer_add_embedding_column
( source_schema pg_catalog.name
, source_table pg_catalog.name
, dimensions pg_catalog.int4
, embedding_column pg_catalog.name
) returns void
as $func$
declare
    _vector_schema pg_catalog.name;
begin
    if exists
    ( select 1 from pg_catalog.pg_attribute a
      where a.attrelid operator(pg_catalog.=) pg_catalog.format('%I.%I', source_schema, source_table)::pg_catalog.regclass
        and a.attname operator(pg_catalog.=) embedding_column and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped
    ) then
        raise notice 'embedding column % already exists in %.% skipping creation', embedding_column, source_schema, source_table;
        return;
    end if;
    select n.nspname into strict _vector_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'vector';
    execute pg_catalog.format('alter table %I.%I add column %I %I.vector(%s) default null'
        , source_schema, source_table, embedding_column, _vector_schema, dimensions);
    execute pg_catalog.format('alter table %I.%I alter column %I set storage main', source_schema, source_table, embedding_column);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_destination_column
( source_schema pg_catalog.name
, source_table pg_catalog.name
, dimensions pg_catalog.int4
, destination pg_catalog.jsonb
) returns void
as $func$
    select ai._vectorizer_add_embedding_column(source_schema, source_table, dimensions, (destination operator(pg_catalog.->>) 'embedding_column')::pg_catalog.name)
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Creates the TimescaleDB job that runs ai._vectorizer_job for this vectorizer; returns its id
-- (null without one). Only the options that are set are passed on: TimescaleDB's defaults apply
-- to the others. TimescaleDB is reached through dynamic SQL in its schema, so nothing here needs
-- it until a vectorizer is scheduled with it; the job calls ai.execute_vectorizer, which the ai
-- extension provides.
create or replace function ai._vectorizer_schedule_job
( vectorizer_id pg_catalog.int4
, scheduling pg_catalog.jsonb
) returns pg_catalog.int8
as $func$
declare
    _schema pg_catalog.name;
    _args pg_catalog.text = '';
    _job_id pg_catalog.int8;
begin
    case scheduling operator(pg_catalog.->>) 'implementation'
        when 'none', 'worker' then
            return null;
        when 'timescaledb' then
            if not exists (select 1 from pg_catalog.pg_extension e where e.extname operator(pg_catalog.=) 'ai') then
                raise exception 'ai extension not found but it is needed for timescaledb scheduling.'
                    using hint = 'create extension ai, or pass scheduling => ai.scheduling_none() and run a worker (pgai vectorizer worker)';
            end if;
            select n.nspname into _schema
            from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
            where e.extname operator(pg_catalog.=) 'timescaledb';
            if _schema is null then
                raise exception 'timescaledb extension not found'
                    using hint = 'install it, or pass scheduling => ai.scheduling_none() and run a worker (pgai vectorizer worker)';
            end if;
        else
            raise exception 'scheduling implementation not recognized';
    end case;
    if scheduling operator(pg_catalog.?) 'schedule_interval' then
        _args = _args operator(pg_catalog.||) ', schedule_interval => $1';
    end if;
    if scheduling operator(pg_catalog.?) 'initial_start' then
        _args = _args operator(pg_catalog.||) ', initial_start => $3';
    end if;
    if scheduling operator(pg_catalog.?) 'fixed_schedule' then
        _args = _args operator(pg_catalog.||) ', fixed_schedule => $4';
    end if;
    if scheduling operator(pg_catalog.?) 'timezone' then
        _args = _args operator(pg_catalog.||) ', timezone => $5';
    end if;
    execute pg_catalog.format('select %I.add_job(%L::pg_catalog.regproc%s, config => $2)', _schema, 'ai._vectorizer_job', _args)
    into strict _job_id
    using (scheduling operator(pg_catalog.->>) 'schedule_interval')::pg_catalog.interval
        , pg_catalog.jsonb_build_object('vectorizer_id', vectorizer_id)
        , (scheduling operator(pg_catalog.->>) 'initial_start')::pg_catalog.timestamptz
        , (scheduling operator(pg_catalog.->>) 'fixed_schedule')::pg_catalog.bool
        , scheduling operator(pg_catalog.->>) 'timezone';
    return _job_id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Whether the table has an index of the configured kind (hnsw or diskann) whose first key
-- column is `column_name`. Invalid indexes (a failed concurrent build) count too: the owner must
-- drop or rebuild them, a second index would not help.
create or replace function ai._vectorizer_vector_index_exists
( target_schema pg_catalog.name
, target_table pg_catalog.name
, indexing pg_catalog.jsonb
, column_name pg_catalog.name default 'embedding'
) returns pg_catalog.bool
as $func$
declare
    _implementation pg_catalog.text = indexing operator(pg_catalog.->>) 'implementation';
begin
    if _implementation is null or _implementation not in ('hnsw', 'diskann') then
        raise exception 'unrecognized index implementation: %', _implementation;
    end if;
    return exists
    ( select 1
      from pg_catalog.pg_index i
      join pg_catalog.pg_class ik on ik.oid operator(pg_catalog.=) i.indexrelid
      join pg_catalog.pg_am am on am.oid operator(pg_catalog.=) ik.relam
      join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) i.indrelid and a.attnum operator(pg_catalog.=) i.indkey[0]
      where i.indrelid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', target_schema, target_table))
        and a.attname operator(pg_catalog.=) column_name
        and am.amname operator(pg_catalog.=) _implementation
    );
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Whether the vectorizer's index is due: indexing is hnsw or diskann, the index does not exist
-- yet, the queue is empty (unless create_when_queue_empty is false) and the table has at least
-- min_rows rows (counted up to min_rows only; for a column destination, rows with an embedding).
create or replace function ai._vectorizer_should_create_vector_index(vectorizer ai.vectorizer) returns pg_catalog.bool
as $func$
declare
    _indexing pg_catalog.jsonb = vectorizer.config operator(pg_catalog.->) 'indexing';
    _destination pg_catalog.jsonb = vectorizer.config operator(pg_catalog.->) 'destination';
    _schema pg_catalog.name;
    _table pg_catalog.name;
    _column pg_catalog.name = 'embedding';
    _min_rows pg_catalog.int8;
    _count pg_catalog.int8;
    _queued pg_catalog.bool;
begin
    if _indexing is null or coalesce(_indexing operator(pg_catalog.->>) 'implementation', 'none') not in ('hnsw', 'diskann') then
        return false;
    end if;
    if (_destination operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'column' then
        _schema = vectorizer.source_schema;
        _table = vectorizer.source_table;
        _column = _destination operator(pg_catalog.->>) 'embedding_column';
    else
        _schema = _destination operator(pg_catalog.->>) 'target_schema';
        _table = _destination operator(pg_catalog.->>) 'target_table';
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', _schema, _table)) is null then
        return false;
    end if;
    if ai._vectorizer_vector_index_exists(_schema, _table, _indexing, _column) then
        return false;
    end if;
    if coalesce((_indexing operator(pg_catalog.->>) 'create_when_queue_empty')::pg_catalog.bool, true)
       and pg_catalog.to_regclass(pg_catalog.format('%I.%I', vectorizer.queue_schema, vectorizer.queue_table)) is not null then
        execute pg_catalog.format('select exists (select 1 from %I.%I)', vectorizer.queue_schema, vectorizer.queue_table)
        into _queued;
        if _queued then
            raise notice 'queue for %.% is not empty. skipping vector index creation', _schema, _table;
            return false;
        end if;
    end if;
    _min_rows = coalesce((_indexing operator(pg_catalog.->>) 'min_rows')::pg_catalog.int8, 0);
    if _min_rows operator(pg_catalog.<=) 0 then
        return true;
    end if;
    execute pg_catalog.format('select pg_catalog.count(*) from (select 1 from %I.%I where %I is not null limit %s) x', _schema, _table, _column, _min_rows)
    into _count;
    return _count operator(pg_catalog.>=) _min_rows;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Creates the vector index on `column_name`:
--   hnsw:    using hnsw (<column> <vector schema>.<opclass>) with (m, ef_construction)
--   diskann: using diskann (<column>) with (storage_layout, num_neighbors, search_list_size,
--            max_alpha, num_dimensions, num_bits_per_dimension)
-- Only the options that are set go in the `with` list. One session builds at a time: a
-- transaction-scoped advisory lock on the table; a session that cannot take it warns and
-- returns (it never waits).
create or replace function ai._vectorizer_create_vector_index
( target_schema pg_catalog.name
, target_table pg_catalog.name
, indexing pg_catalog.jsonb
, column_name pg_catalog.name default 'embedding'
) returns void
as $func$
declare
    _implementation pg_catalog.text = indexing operator(pg_catalog.->>) 'implementation';
    _target pg_catalog.regclass = pg_catalog.format('%I.%I', target_schema, target_table)::pg_catalog.regclass;
    _vector_schema pg_catalog.name;
    _with pg_catalog.text;
begin
    if not pg_catalog.pg_try_advisory_xact_lock(1982010642, _target::pg_catalog.oid::pg_catalog.int4) then
        raise warning 'another process is already building a vector index on %.%', target_schema, target_table;
        return;
    end if;
    if _implementation in ('hnsw', 'diskann') and ai._vectorizer_vector_index_exists(target_schema, target_table, indexing, column_name) then
        raise notice 'the vector index on %.% already exists', target_schema, target_table;
        return;
    end if;
    case _implementation
        when 'hnsw' then
            select n.nspname into _vector_schema
            from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
            where e.extname operator(pg_catalog.=) 'vector';
            select pg_catalog.string_agg(pg_catalog.format('%s=%s', o.k, (indexing operator(pg_catalog.->>) o.k)::pg_catalog.int4), ', ' order by o.ord)
            into _with
            from pg_catalog.unnest(array['m', 'ef_construction']) with ordinality o(k, ord)
            where indexing operator(pg_catalog.->>) o.k is not null;
            execute pg_catalog.format('create index on %I.%I using hnsw (%I %I.%I)%s'
                , target_schema, target_table, column_name, _vector_schema
                , coalesce(indexing operator(pg_catalog.->>) 'opclass', 'vector_cosine_ops')
                , case when _with is null then '' else ' with (' operator(pg_catalog.||) _with operator(pg_catalog.||) ')' end);
        when 'diskann' then
            select pg_catalog.string_agg(case o.k
                    when 'storage_layout' then pg_catalog.format('%s=%L', o.k, indexing operator(pg_catalog.->>) o.k)
                    when 'max_alpha' then pg_catalog.format('%s=%s', o.k, (indexing operator(pg_catalog.->>) o.k)::pg_catalog.float8)
                    else pg_catalog.format('%s=%s', o.k, (indexing operator(pg_catalog.->>) o.k)::pg_catalog.int4) end
                , ', ' order by o.ord)
            into _with
            from pg_catalog.unnest(array['storage_layout', 'num_neighbors', 'search_list_size', 'max_alpha'
                , 'num_dimensions', 'num_bits_per_dimension']) with ordinality o(k, ord)
            where indexing operator(pg_catalog.->>) o.k is not null;
            execute pg_catalog.format('create index on %I.%I using diskann (%I)%s'
                , target_schema, target_table, column_name
                , case when _with is null then '' else ' with (' operator(pg_catalog.||) _with operator(pg_catalog.||) ')' end);
        else
            raise exception 'unrecognized index implementation: %', _implementation;
    end case;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- What a vectorizer's TimescaleDB job runs: the indexing step when due, then, when the queue
-- has rows, ai.execute_vectorizer (the ai extension's) once per 50 queued rows, at most 10
-- times. It commits between steps, so it has no SET clause and qualifies every name itself.
create or replace procedure ai._vectorizer_job
( job_id pg_catalog.int4 default null
, config pg_catalog.jsonb default null
)
as $func$
declare
    _vectorizer_id pg_catalog.int4;
    _vectorizer ai.vectorizer;
    _destination pg_catalog.jsonb;
    _has_row pg_catalog.bool;
    _count pg_catalog.int8;
begin
    if config is null then
        raise exception 'config is null';
    end if;
    _vectorizer_id = (config operator(pg_catalog.->>) 'vectorizer_id')::pg_catalog.int4;
    select v.* into strict _vectorizer from ai.vectorizer v where v.id operator(pg_catalog.=) _vectorizer_id;
    commit;
    if ai._vectorizer_should_create_vector_index(_vectorizer) then
        _destination = _vectorizer.config operator(pg_catalog.->) 'destination';
        if (_destination operator(pg_catalog.->>) 'implementation') operator(pg_catalog.=) 'column' then
            perform ai._vectorizer_create_vector_index(_vectorizer.source_schema, _vectorizer.source_table
                , _vectorizer.config operator(pg_catalog.->) 'indexing', (_destination operator(pg_catalog.->>) 'embedding_column')::pg_catalog.name);
        else
            perform ai._vectorizer_create_vector_index(_destination operator(pg_catalog.->>) 'target_schema', _destination operator(pg_catalog.->>) 'target_table'
                , _vectorizer.config operator(pg_catalog.->) 'indexing');
        end if;
    end if;
    commit;
    execute pg_catalog.format('select exists (select 1 from %I.%I for update skip locked)', _vectorizer.queue_schema, _vectorizer.queue_table)
    into _has_row;
    if not _has_row then
        return;
    end if;
    execute pg_catalog.format('select pg_catalog.count(1) from (select 1 from %I.%I limit 501) x', _vectorizer.queue_schema, _vectorizer.queue_table)
    into _count;
    commit;
    for i in 1 .. least(10, pg_catalog.ceil(_count::pg_catalog.numeric operator(pg_catalog./) 50)::pg_catalog.int4) loop
        execute 'select ai.execute_vectorizer($1)' using _vectorizer_id;
    end loop;
end;
$func$ language plpgsql security invoker;

-- Every install writes each vectorizer's trigger function anew, from the definition above.
do $upgrade$
declare
    _v pg_catalog.record;
begin
    for _v in select v.* from ai.vectorizer v order by v.id loop
        execute pg_catalog.format(
            'create or replace function %I.%I() returns trigger as %L'
            ' language plpgsql volatile parallel safe security definer set search_path to pg_catalog, pg_temp'
            , _v.queue_schema, _v.trigger_name
            , ai._vectorizer_build_trigger_definition(_v.queue_schema, _v.queue_table
                , case when _v.config operator(pg_catalog.#>>) '{destination,implementation}' operator(pg_catalog.=) 'table' then _v.config operator(pg_catalog.#>>) '{destination,target_schema}' end
                , case when _v.config operator(pg_catalog.#>>) '{destination,implementation}' operator(pg_catalog.=) 'table' then _v.config operator(pg_catalog.#>>) '{destination,target_table}' end
                , _v.source_schema, _v.source_table, _v.source_pk));
    end loop;
end;
$upgrade$;
