-- create_vectorizer and the helpers that build a vectorizer's objects. Every identifier that
-- comes from a caller is quoted with format('%I'); every value with format('%L') or a parameter.

-- The source's primary key: [{attnum, pknum, attname, typname}] in key order, or null.
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

-- "a", "b" / t."a", t."b" / "a" integer, "b" text: the key columns in the shapes the DDL needs.
create or replace function ai._pk_list(source_pk pg_catalog.jsonb, prefix pg_catalog.text default null, with_types pg_catalog.bool default false)
returns pg_catalog.text
as $func$
    select pg_catalog.string_agg(
        case when prefix is null then '' else prefix operator(pg_catalog.||) '.' end
        operator(pg_catalog.||) pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname')
        operator(pg_catalog.||) case when with_types then ' ' operator(pg_catalog.||) (e operator(pg_catalog.->>) 'typname') operator(pg_catalog.||) ' not null' else '' end
        , ', ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    from pg_catalog.jsonb_array_elements(source_pk) e
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._pk_join(source_pk pg_catalog.jsonb, l pg_catalog.text, r pg_catalog.text) returns pg_catalog.text
as $func$
    select pg_catalog.string_agg(pg_catalog.format('%s.%I operator(pg_catalog.=) %s.%I', l, e operator(pg_catalog.->>) 'attname', r, e operator(pg_catalog.->>) 'attname'), ' and ')
    from pg_catalog.jsonb_array_elements(source_pk) e
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vector_type(dimensions pg_catalog.int4) returns pg_catalog.text
as $func$
    select pg_catalog.format('%I.vector(%s)', n.nspname, dimensions)
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'vector'
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._relation_exists(schema_name pg_catalog.name, rel_name pg_catalog.name) returns pg_catalog.bool
as $func$
    select exists
    ( select 1 from pg_catalog.pg_class k join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
      where n.nspname operator(pg_catalog.=) schema_name and k.relname operator(pg_catalog.=) rel_name )
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_target_table
( source_schema pg_catalog.name, source_table pg_catalog.name, source_pk pg_catalog.jsonb
, target_schema pg_catalog.name, target_table pg_catalog.name, dimensions pg_catalog.int4
) returns void
as $func$
begin
    execute pg_catalog.format(
        'create table %I.%I'
        '( embedding_uuid pg_catalog.uuid not null primary key default pg_catalog.gen_random_uuid()'
        ', %s'
        ', chunk_seq pg_catalog.int4 not null'
        ', chunk pg_catalog.text not null'
        ', embedding %s storage main not null'
        ', unique (%s, chunk_seq)'
        ', foreign key (%s) references %I.%I (%s) on delete cascade'
        ')'
        , target_schema, target_table
        , ai._pk_list(source_pk, with_types => true)
        , ai._vector_type(dimensions)
        , ai._pk_list(source_pk)
        , ai._pk_list(source_pk), source_schema, source_table, ai._pk_list(source_pk));
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_view
( view_schema pg_catalog.name, view_name pg_catalog.name
, source_schema pg_catalog.name, source_table pg_catalog.name, source_pk pg_catalog.jsonb
, target_schema pg_catalog.name, target_table pg_catalog.name
) returns void
as $func$
declare
    _clash pg_catalog.name;
begin
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
    execute pg_catalog.format(
        'create view %I.%I as select t.embedding_uuid, t.chunk_seq, t.chunk, t.embedding, s.* from %I.%I t left join %I.%I s on (%s)'
        , view_schema, view_name, target_schema, target_table, source_schema, source_table
        , ai._pk_join(source_pk, 't', 's'));
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_queue_table
( queue_schema pg_catalog.name, queue_table pg_catalog.name, source_pk pg_catalog.jsonb
) returns void
as $func$
begin
    execute pg_catalog.format(
        'create table %I.%I (%s, queued_at pg_catalog.timestamptz not null default pg_catalog.now())'
        , queue_schema, queue_table, ai._pk_list(source_pk, with_types => true));
    execute pg_catalog.format('create index on %I.%I (%s)', queue_schema, queue_table, ai._pk_list(source_pk));
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Every inserted or updated row's key goes to the queue (the worker decides whether anything
-- changed); a truncate of the source empties the queue. Security definer: writers of the source
-- need no rights on the queue.
create or replace function ai._vectorizer_create_source_trigger
( trigger_name pg_catalog.name, queue_schema pg_catalog.name, queue_table pg_catalog.name
, source_schema pg_catalog.name, source_table pg_catalog.name, source_pk pg_catalog.jsonb
) returns void
as $func$
declare
    _new_keys pg_catalog.text;
begin
    select pg_catalog.string_agg(pg_catalog.format('new.%I', e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into _new_keys
    from pg_catalog.jsonb_array_elements(source_pk) e;

    execute pg_catalog.format($sql$
        create function %I.%I() returns trigger as $trg$
        begin
            insert into %I.%I (%s) values (%s);
            return null;
        end;
        $trg$ language plpgsql volatile parallel safe security definer
        set search_path to pg_catalog, pg_temp
        $sql$, queue_schema, trigger_name, queue_schema, queue_table, ai._pk_list(source_pk), _new_keys);
    execute pg_catalog.format($sql$
        create function %I.%I() returns trigger as $trg$
        begin
            truncate %I.%I;
            return null;
        end;
        $trg$ language plpgsql volatile parallel safe security definer
        set search_path to pg_catalog, pg_temp
        $sql$, queue_schema, trigger_name operator(pg_catalog.||) '_truncate', queue_schema, queue_table);
    execute pg_catalog.format('revoke all on function %I.%I() from public', queue_schema, trigger_name);
    execute pg_catalog.format('revoke all on function %I.%I() from public', queue_schema, trigger_name operator(pg_catalog.||) '_truncate');

    execute pg_catalog.format('create trigger %I after insert or update on %I.%I for each row execute function %I.%I()'
        , trigger_name, source_schema, source_table, queue_schema, trigger_name);
    execute pg_catalog.format('create trigger %I after truncate on %I.%I for each statement execute function %I.%I()'
        , trigger_name operator(pg_catalog.||) '_truncate', source_schema, source_table, queue_schema, trigger_name operator(pg_catalog.||) '_truncate');
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Grants what readers and workers need; roles that do not exist are skipped with a warning.
create or replace function ai._vectorizer_grant
( grant_to pg_catalog.name[], source_schema pg_catalog.name, source_table pg_catalog.name
, target_schema pg_catalog.name, target_table pg_catalog.name
, view_schema pg_catalog.name, view_name pg_catalog.name
, queue_schema pg_catalog.name, queue_table pg_catalog.name
) returns void
as $func$
declare
    _role pg_catalog.name;
begin
    foreach _role in array coalesce(grant_to, '{}') loop
        if not exists (select 1 from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) _role) then
            raise warning 'role % does not exist: no privileges granted to it', pg_catalog.quote_ident(_role);
            continue;
        end if;
        execute pg_catalog.format('grant usage on schema %I, %I, %I, %I to %I', source_schema, target_schema, view_schema, queue_schema, _role);
        execute pg_catalog.format('grant select on %I.%I to %I', source_schema, source_table, _role);
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %I', target_schema, target_table, _role);
        execute pg_catalog.format('grant select on %I.%I to %I', view_schema, view_name, _role);
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %I', queue_schema, queue_table, _role);
        execute pg_catalog.format('grant usage on schema ai to %I', _role);
        execute pg_catalog.format('grant select on ai.vectorizer to %I', _role);
        execute pg_catalog.format('grant select, insert on ai.vectorizer_errors to %I', _role);
        execute pg_catalog.format('grant select, insert, update on ai.vectorizer_worker_progress to %I', _role);
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
