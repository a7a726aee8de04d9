-- create_vectorizer's helpers: the source's key, the grants, and the objects a vectorizer makes
-- (target table, queue table, trigger, view), with pgai 0.7's signatures. Every identifier that
-- comes from a caller is quoted with format('%I'); every value with format('%L') or a parameter.

-- The source's primary key: [{attnum, pknum, attname, typname}] in key order, or null.
-- typname is pg_type.typname as the catalog has it (int4, timestamptz, varchar: no typmod).
create or replace function ai._vectorizer_source_pk(source_table pg_catalog.regclass) returns pg_catalog.jsonb
as $func$
    select pg_catalog.jsonb_agg(x order by x.pknum)
    from
    ( select a.attnum, k.pknum, a.attname, y.typname
      from pg_catalog.pg_constraint c
      cross join lateral pg_catalog.unnest(c.conkey) with ordinality k(attnum, pknum)
      join pg_catalog.pg_attribute a
        on a.attrelid operator(pg_catalog.=) c.conrelid and a.attnum operator(pg_catalog.=) k.attnum
      join pg_catalog.pg_type y on y.oid operator(pg_catalog.=) a.atttypid
      where c.conrelid operator(pg_catalog.=) source_table and c.contype operator(pg_catalog.=) 'p'
    ) x
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

-- The type named by a source_pk typname, as DDL may write it: the catalog's own types by their
-- name, another schema's type qualified (the DDL runs with search_path pg_catalog).
create or replace function ai_extra._vectorizer_pk_type(typname pg_catalog.text) returns pg_catalog.text
as $func$
declare
    _types pg_catalog.text[];
begin
    if pg_catalog.to_regtype(pg_catalog.quote_ident(typname)) is not null then
        return pg_catalog.quote_ident(typname);
    end if;
    select pg_catalog.array_agg(pg_catalog.format('%I.%I', n.nspname, y.typname)) into _types
    from pg_catalog.pg_type y join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) y.typnamespace
    where y.typname operator(pg_catalog.=) _vectorizer_pk_type.typname;
    if pg_catalog.array_length(_types, 1) is distinct from 1 then
        raise exception 'cannot tell which type % of the primary key is (% types have that name)', typname, coalesce(pg_catalog.array_length(_types, 1), 0);
    end if;
    return _types[1];
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

-- The key columns in the shapes the DDL needs, in the given order ('pk': key order, 'att':
-- table order): `"a", "b"`; with a prefix `t."a", t."b"`; with types `"a" int4 not null, ...`.
create or replace function ai_extra._pk_list(source_pk pg_catalog.jsonb, prefix pg_catalog.text default null, with_types pg_catalog.bool default false, by_attnum pg_catalog.bool default false)
returns pg_catalog.text
as $func$
    select pg_catalog.string_agg(
        case when prefix is null then '' else prefix operator(pg_catalog.||) '.' end
        operator(pg_catalog.||) pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname')
        operator(pg_catalog.||) case when with_types then ' ' operator(pg_catalog.||) ai_extra._vectorizer_pk_type(e operator(pg_catalog.->>) 'typname') operator(pg_catalog.||) ' not null' else '' end
        , ', ' order by case when by_attnum then (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4 else (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4 end)
    from pg_catalog.jsonb_array_elements(source_pk) e
$func$ language sql stable security invoker set search_path to pg_catalog, pg_temp;

-- grant_to as SQL names a GRANT can list: quote_ident, so `public` is the PUBLIC keyword.
create or replace function ai_extra._grantees(grant_to pg_catalog.name[]) returns pg_catalog.text
as $func$
    select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g
$func$ language sql immutable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_grant_to_source
( source_schema pg_catalog.name
, source_table pg_catalog.name
, grant_to pg_catalog.name[]
) returns void
as $func$
begin
    if grant_to is null or pg_catalog.array_length(grant_to, 1) is null then
        return;
    end if;
    execute pg_catalog.format('grant usage on schema %I to %s', source_schema, ai_extra._grantees(grant_to));
    execute pg_catalog.format('grant select on %I.%I to %s', source_schema, source_table, ai_extra._grantees(grant_to));
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_grant_to_vectorizer(grant_to pg_catalog.name[]) returns void
as $func$
begin
    if grant_to is null or pg_catalog.array_length(grant_to, 1) is null then
        return;
    end if;
    execute pg_catalog.format('grant usage on schema ai to %s', ai_extra._grantees(grant_to));
    execute pg_catalog.format('grant select on ai.vectorizer to %s', ai_extra._grantees(grant_to));
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_target_table
( source_schema pg_catalog.name
, source_table pg_catalog.name
, source_pk pg_catalog.jsonb
, target_schema pg_catalog.name
, target_table pg_catalog.name
, dimensions pg_catalog.int4
, grant_to pg_catalog.name[]
) returns void
as $func$
declare
    _vector_schema pg_catalog.name;
begin
    select n.nspname into strict _vector_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'vector';
    execute pg_catalog.format(
        'create table %I.%I'
        '( embedding_uuid pg_catalog.uuid not null primary key default pg_catalog.gen_random_uuid()'
        ', %s'
        ', chunk_seq pg_catalog.int4 not null'
        ', chunk pg_catalog.text not null'
        ', embedding %I.vector(%s) storage main not null'
        ', unique (%s, chunk_seq)'
        ', foreign key (%s) references %I.%I (%s) on delete cascade'
        ')'
        , target_schema, target_table
        , ai_extra._pk_list(source_pk, with_types => true, by_attnum => true)
        , _vector_schema, dimensions
        , ai_extra._pk_list(source_pk)
        , ai_extra._pk_list(source_pk), source_schema, source_table, ai_extra._pk_list(source_pk));
    if grant_to is not null and pg_catalog.array_length(grant_to, 1) is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', target_schema, ai_extra._grantees(grant_to));
        execute pg_catalog.format('grant select, insert, update on %I.%I to %s', target_schema, target_table, ai_extra._grantees(grant_to));
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai._vectorizer_create_queue_table
( queue_schema pg_catalog.name
, queue_table pg_catalog.name
, source_pk pg_catalog.jsonb
, grant_to pg_catalog.name[]
) returns void
as $func$
begin
    execute pg_catalog.format(
        'create table %I.%I (%s, queued_at pg_catalog.timestamptz not null default pg_catalog.now())'
        , queue_schema, queue_table, ai_extra._pk_list(source_pk, with_types => true, by_attnum => true));
    execute pg_catalog.format('create index on %I.%I (%s)', queue_schema, queue_table, ai_extra._pk_list(source_pk));
    if grant_to is not null and pg_catalog.array_length(grant_to, 1) is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', queue_schema, ai_extra._grantees(grant_to));
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %s', queue_schema, queue_table, ai_extra._grantees(grant_to));
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The trigger that queues the key of every inserted or updated row (the worker decides whether
-- anything changed). Security definer: writers of the source need no rights on the queue.
create or replace function ai._vectorizer_create_source_trigger
( trigger_name pg_catalog.name
, queue_schema pg_catalog.name
, queue_table pg_catalog.name
, source_schema pg_catalog.name
, source_table pg_catalog.name
, source_pk pg_catalog.jsonb
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
        $sql$, queue_schema, trigger_name, queue_schema, queue_table, ai_extra._pk_list(source_pk), _new_keys);
    execute pg_catalog.format('revoke all on function %I.%I() from public', queue_schema, trigger_name);
    execute pg_catalog.format('create trigger %I after insert or update on %I.%I for each row execute function %I.%I()'
        , trigger_name, source_schema, source_table, queue_schema, trigger_name);
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
begin
    select pg_catalog.string_agg(pg_catalog.format('t.%I operator(pg_catalog.=) s.%I', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'attname'), ' and ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
    into strict _join
    from pg_catalog.jsonb_array_elements(source_pk) e;
    select pg_catalog.string_agg(pg_catalog.format('%s.%I'
        , case when a.attname operator(pg_catalog.=) any(array(select e operator(pg_catalog.->>) 'attname' from pg_catalog.jsonb_array_elements(source_pk) e))
               then 't' else 's' end
        , a.attname), ', ' order by a.attnum)
    into strict _columns
    from pg_catalog.pg_class k
    join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) k.oid
    where n.nspname operator(pg_catalog.=) source_schema
      and k.relname operator(pg_catalog.=) source_table
      and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped;
    execute pg_catalog.format(
        'create view %I.%I as select t.embedding_uuid, t.chunk_seq, t.chunk, t.embedding, %s from %I.%I t left join %I.%I s on (%s)'
        , view_schema, view_name, _columns, target_schema, target_table, source_schema, source_table
        , _join);
    if grant_to is not null and pg_catalog.array_length(grant_to, 1) is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', view_schema, ai_extra._grantees(grant_to));
        execute pg_catalog.format('grant select on %I.%I to %s', view_schema, view_name, ai_extra._grantees(grant_to));
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
