-- Semantic catalogs: descriptions of database objects, example SQL and facts, stored with their
-- embeddings for text-to-SQL. A catalog is three tables, ai.semantic_catalog_{obj,sql,fact}_<id>,
-- with one vector column per embedding configuration; a client embeds the rows whose vector is
-- NULL, and a change of anything else in a row sets its vectors back to NULL.

-- The update trigger of each of a catalog's tables: a change of any non-vector column clears
-- the row's vectors (they describe what changed). Rebuilt when embeddings come or go.
create or replace function ai._semantic_catalog_make_triggers(semantic_catalog_id pg_catalog.int4) returns void
as $func$
declare
    _vector pg_catalog.oid;
    _tbl pg_catalog.text;
    _changed pg_catalog.text;
    _clear pg_catalog.text;
begin
    select d.objid into strict _vector
    from pg_catalog.pg_depend d
    join pg_catalog.pg_extension e on e.oid operator(pg_catalog.=) d.refobjid
    where e.extname operator(pg_catalog.=) 'vector'
      and d.classid operator(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
      and d.deptype operator(pg_catalog.=) 'e'
      and (select t.typname from pg_catalog.pg_type t where t.oid operator(pg_catalog.=) d.objid) operator(pg_catalog.=) 'vector';
    foreach _tbl in array array['obj', 'sql', 'fact'] loop
        select pg_catalog.string_agg(pg_catalog.format('old.%I is distinct from new.%I', a.attname, a.attname), ' or ' order by a.attnum)
                 filter (where a.atttypid operator(pg_catalog.<>) _vector)
             , pg_catalog.string_agg(pg_catalog.format('new.%I = null;', a.attname), ' ' order by a.attnum)
                 filter (where a.atttypid operator(pg_catalog.=) _vector)
        into _changed, _clear
        from pg_catalog.pg_attribute a
        where a.attrelid operator(pg_catalog.=) pg_catalog.format('ai.semantic_catalog_%s_%s', _tbl, semantic_catalog_id)::pg_catalog.regclass
          and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped;
        execute pg_catalog.format(
            'create or replace function ai.%I() returns trigger as %L'
            ' language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp'
            , pg_catalog.format('semantic_catalog_%s_%s_trig', _tbl, semantic_catalog_id)
            , pg_catalog.format('begin if tg_op = ''UPDATE'' and (%s) then %s end if; return new; end'
                , coalesce(_changed, 'false'), coalesce(_clear, 'null;')));
        if not exists
        ( select 1 from pg_catalog.pg_trigger t
          where t.tgrelid operator(pg_catalog.=) pg_catalog.format('ai.semantic_catalog_%s_%s', _tbl, semantic_catalog_id)::pg_catalog.regclass
            and t.tgname operator(pg_catalog.=) pg_catalog.format('semantic_catalog_%s_%s_trig', _tbl, semantic_catalog_id)
        ) then
            execute pg_catalog.format('create trigger %I before update on ai.%I for each row execute function ai.%I()'
                , pg_catalog.format('semantic_catalog_%s_%s_trig', _tbl, semantic_catalog_id)
                , pg_catalog.format('semantic_catalog_%s_%s', _tbl, semantic_catalog_id)
                , pg_catalog.format('semantic_catalog_%s_%s_trig', _tbl, semantic_catalog_id));
        end if;
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Adds an embedding configuration: a vector column of its dimensions in the catalog's three
-- tables (NULL until a client embeds the rows). The name defaults to emb<n>.
create or replace function ai.sc_add_embedding
( config pg_catalog.jsonb
, embedding_name pg_catalog.name default null
, catalog_name pg_catalog.name default 'default'
) returns ai.semantic_catalog_embedding
as $func$
declare
    _dims pg_catalog.int4 = (config operator(pg_catalog.->) 'dimensions')::pg_catalog.int4;
    _id pg_catalog.int4;
    _row ai.semantic_catalog_embedding;
    _vector_schema pg_catalog.name;
    _tbl pg_catalog.text;
begin
    if _dims is null then
        raise exception 'embedding config is missing dimensions' using errcode = 'assert_failure';
    end if;
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_add_embedding.catalog_name;
    if embedding_name is null then
        select pg_catalog.format('emb%s', greatest(pg_catalog.count(*), coalesce(pg_catalog.max(pg_catalog.substring(e.embedding_name, '([0-9]+)$')::pg_catalog.int8), 0)) operator(pg_catalog.+) 1)
        into embedding_name
        from ai.semantic_catalog_embedding e where e.semantic_catalog_id operator(pg_catalog.=) _id;
    end if;
    insert into ai.semantic_catalog_embedding (semantic_catalog_id, embedding_name, config)
    values (_id, embedding_name, config)
    returning * into strict _row;
    select n.nspname into strict _vector_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
    where e.extname operator(pg_catalog.=) 'vector';
    foreach _tbl in array array['obj', 'sql', 'fact'] loop
        execute pg_catalog.format('alter table ai.%I add column %I %I.vector(%s)'
            , pg_catalog.format('semantic_catalog_%s_%s', _tbl, _id), embedding_name, _vector_schema, _dims);
    end loop;
    perform ai._semantic_catalog_make_triggers(_id);
    return _row;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_drop_embedding
( embedding_name pg_catalog.name
, catalog_name pg_catalog.name default 'default'
) returns void
as $func$
declare
    _id pg_catalog.int4;
    _row ai.semantic_catalog_embedding;
    _tbl pg_catalog.text;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_drop_embedding.catalog_name;
    delete from ai.semantic_catalog_embedding e
    where e.semantic_catalog_id operator(pg_catalog.=) _id and e.embedding_name operator(pg_catalog.=) sc_drop_embedding.embedding_name
    returning * into strict _row;
    foreach _tbl in array array['obj', 'sql', 'fact'] loop
        execute pg_catalog.format('alter table ai.%I drop column %I', pg_catalog.format('semantic_catalog_%s_%s', _tbl, _id), embedding_name);
    end loop;
    perform ai._semantic_catalog_make_triggers(_id);
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- A new catalog: its row, its three tables and its first embedding configuration.
create or replace function ai.create_semantic_catalog
( catalog_name pg_catalog.name default 'default'
, embedding_name pg_catalog.name default null
, embedding_config pg_catalog.jsonb default ai.embedding_sentence_transformers()
) returns pg_catalog.int4
as $func$
declare
    _id pg_catalog.int4 = pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('ai.semantic_catalog', 'id')::pg_catalog.regclass);
begin
    insert into ai.semantic_catalog (id, catalog_name, obj_table, sql_table, fact_table)
    values
    ( _id, catalog_name
    , array['ai', pg_catalog.format('semantic_catalog_obj_%s', _id)]
    , array['ai', pg_catalog.format('semantic_catalog_sql_%s', _id)]
    , array['ai', pg_catalog.format('semantic_catalog_fact_%s', _id)]
    );
    execute pg_catalog.format(
        'create table ai.%I'
        '( id pg_catalog.int8 not null primary key generated by default as identity'
        ', classid pg_catalog.oid not null'
        ', objid pg_catalog.oid not null'
        ', objsubid pg_catalog.int4 not null'
        ', objtype pg_catalog.text not null'
        ', objnames pg_catalog.text[] not null'
        ', objargs pg_catalog.text[] not null'
        ', description pg_catalog.text'
        ', usage pg_catalog.int8 not null default 0'
        ', unique (classid, objid, objsubid) deferrable initially immediate'
        ', unique (objtype, objnames, objargs) deferrable initially immediate'
        ')', pg_catalog.format('semantic_catalog_obj_%s', _id));
    execute pg_catalog.format(
        'create table ai.%I'
        '( id pg_catalog.int8 not null primary key generated by default as identity'
        ', sql pg_catalog.text not null'
        ', description pg_catalog.text not null'
        ', usage pg_catalog.int8 not null default 0'
        ')', pg_catalog.format('semantic_catalog_sql_%s', _id));
    execute pg_catalog.format(
        'create table ai.%I'
        '( id pg_catalog.int8 not null primary key generated by default as identity'
        ', description pg_catalog.text not null'
        ', usage pg_catalog.int8 not null default 0'
        ')', pg_catalog.format('semantic_catalog_fact_%s', _id));
    perform ai.sc_add_embedding(embedding_name => embedding_name, config => embedding_config, catalog_name => catalog_name);
    return _id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Drops a catalog: its row (and embedding rows), its tables and their trigger functions.
create or replace function ai.drop_semantic_catalog(catalog_name pg_catalog.name) returns pg_catalog.int4
as $func$
declare
    _id pg_catalog.int4;
    _tbl pg_catalog.text;
begin
    delete from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) drop_semantic_catalog.catalog_name
    returning c.id into strict _id;
    foreach _tbl in array array['obj', 'sql', 'fact'] loop
        execute pg_catalog.format('drop table if exists ai.%I', pg_catalog.format('semantic_catalog_%s_%s', _tbl, _id));
        execute pg_catalog.format('drop function if exists ai.%I()', pg_catalog.format('semantic_catalog_%s_%s_trig', _tbl, _id));
    end loop;
    return _id;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Grants: read (the registry and one catalog), write (one catalog's rows), admin (every
-- catalog that exists now), and read access to the objects a catalog describes.
create or replace function ai.sc_grant_read(catalog_name pg_catalog.name, role_name pg_catalog.name) returns void
as $func$
declare
    _id pg_catalog.int4;
    _tbl pg_catalog.text;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_grant_read.catalog_name;
    execute pg_catalog.format('grant usage on schema ai to %I', role_name);
    execute pg_catalog.format('grant select on ai.semantic_catalog, ai.semantic_catalog_embedding to %I', role_name);
    foreach _tbl in array array['obj', 'sql', 'fact'] loop
        execute pg_catalog.format('grant select on ai.%I to %I', pg_catalog.format('semantic_catalog_%s_%s', _tbl, _id), role_name);
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_grant_write(catalog_name pg_catalog.name, role_name pg_catalog.name) returns void
as $func$
declare
    _id pg_catalog.int4;
    _tbl pg_catalog.text;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_grant_write.catalog_name;
    execute pg_catalog.format('grant usage on schema ai to %I', role_name);
    execute pg_catalog.format('grant select on ai.semantic_catalog, ai.semantic_catalog_embedding to %I', role_name);
    foreach _tbl in array array['obj', 'sql', 'fact'] loop
        execute pg_catalog.format('grant select, insert, update, delete on ai.%I to %I', pg_catalog.format('semantic_catalog_%s_%s', _tbl, _id), role_name);
        execute pg_catalog.format('grant usage, select, update on sequence ai.%I to %I', pg_catalog.format('semantic_catalog_%s_%s_id_seq', _tbl, _id), role_name);
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_grant_admin(role_name pg_catalog.name) returns void
as $func$
declare
    _id pg_catalog.int4;
    _tbl pg_catalog.text;
begin
    execute pg_catalog.format('grant usage on schema ai to %I', role_name);
    execute pg_catalog.format('grant select, insert, update, delete, truncate on ai.semantic_catalog, ai.semantic_catalog_embedding to %I', role_name);
    execute pg_catalog.format('grant usage, select, update on sequence ai.semantic_catalog_id_seq, ai.semantic_catalog_embedding_id_seq to %I', role_name);
    for _id in select c.id from ai.semantic_catalog c order by c.id loop
        foreach _tbl in array array['obj', 'sql', 'fact'] loop
            execute pg_catalog.format('grant select, insert, update, delete on ai.%I to %I', pg_catalog.format('semantic_catalog_%s_%s', _tbl, _id), role_name);
            execute pg_catalog.format('grant usage, select, update on sequence ai.%I to %I', pg_catalog.format('semantic_catalog_%s_%s_id_seq', _tbl, _id), role_name);
        end loop;
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The objects a catalog describes (one row per object; column rows too).
create or replace function ai._sc_obj(catalog_id pg_catalog.int4)
returns table(id pg_catalog.int8, classid pg_catalog.oid, objid pg_catalog.oid, objsubid pg_catalog.int4, objtype pg_catalog.text, objnames pg_catalog.text[], objargs pg_catalog.text[], description pg_catalog.text)
as $func$
begin
    return query execute pg_catalog.format(
        'select x.id, x.classid, x.objid, x.objsubid, x.objtype, x.objnames, x.objargs, x.description from ai.%I x'
        , pg_catalog.format('semantic_catalog_obj_%s', catalog_id));
end;
$func$ language plpgsql stable security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_grant_obj_read(catalog_name pg_catalog.name, role_name pg_catalog.name) returns void
as $func$
declare
    _id pg_catalog.int4;
    _o pg_catalog.record;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_grant_obj_read.catalog_name;
    if not pg_catalog.has_table_privilege(role_name, pg_catalog.format('ai.semantic_catalog_obj_%s', _id), 'select') then
        raise exception 'user must have access to the catalog first';
    end if;
    for _o in select distinct x.objnames[1] as schema_name from ai._sc_obj(_id) x where x.objsubid operator(pg_catalog.=) 0 order by 1 loop
        execute pg_catalog.format('grant usage on schema %I to %I', _o.schema_name, role_name);
    end loop;
    for _o in select x.objtype, x.objnames, x.objargs from ai._sc_obj(_id) x where x.objsubid operator(pg_catalog.=) 0 order by x.objnames loop
        if _o.objtype in ('function', 'aggregate', 'procedure') then
            execute pg_catalog.format('grant execute on %s %I.%I(%s) to %I'
                , case when _o.objtype operator(pg_catalog.=) 'procedure' then 'procedure' else 'function' end
                , _o.objnames[1], _o.objnames[2], pg_catalog.array_to_string(_o.objargs, ', '), role_name);
        else
            -- tables, views, materialized views and foreign tables are all granted as tables
            execute pg_catalog.format('grant select on table %I.%I to %I', _o.objnames[1], _o.objnames[2], role_name);
        end if;
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Describes an object (an upsert on its identity: classid, objid, objsubid); returns the row id.
create or replace function ai.sc_set_obj_desc
( classid pg_catalog.oid
, objid pg_catalog.oid
, objsubid pg_catalog.int4
, objtype pg_catalog.text
, objnames pg_catalog.text[]
, objargs pg_catalog.text[]
, description pg_catalog.text
, catalog_name pg_catalog.name default 'default'
) returns pg_catalog.int8
as $func$
declare
    _id pg_catalog.int4;
    _row pg_catalog.int8;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_set_obj_desc.catalog_name;
    -- (not ON CONFLICT: the unique constraints are deferrable, for renames, and cannot arbitrate)
    execute pg_catalog.format(
        'update ai.%I x set description = $7 where x.classid = $1 and x.objid = $2 and x.objsubid = $3 returning x.id'
        , pg_catalog.format('semantic_catalog_obj_%s', _id))
    into _row
    using classid, objid, objsubid, objtype, objnames, objargs, description;
    if _row is null then
        execute pg_catalog.format(
            'insert into ai.%I (classid, objid, objsubid, objtype, objnames, objargs, description) values ($1, $2, $3, $4, $5, $6, $7) returning id'
            , pg_catalog.format('semantic_catalog_obj_%s', _id))
        into strict _row
        using classid, objid, objsubid, objtype, objnames, objargs, description;
    end if;
    return _row;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The same for an object named by its address (pg_get_object_address's terms).
create or replace function ai.sc_set_obj_desc
( objtype pg_catalog.text
, objnames pg_catalog.text[]
, objargs pg_catalog.text[]
, description pg_catalog.text
, catalog_name pg_catalog.name default 'default'
) returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc(x.classid, x.objid, x.objsubid, objtype, objnames, objargs, description, catalog_name)
    from pg_catalog.pg_get_object_address(objtype, objnames, objargs) x
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_table_desc(classid pg_catalog.oid, objid pg_catalog.oid, schema_name pg_catalog.name, table_name pg_catalog.name, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, 0, 'table', array[schema_name, table_name]::pg_catalog.text[], '{}', description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_table_col_desc(classid pg_catalog.oid, objid pg_catalog.oid, objsubid pg_catalog.int4, schema_name pg_catalog.name, table_name pg_catalog.name, column_name pg_catalog.name, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, objsubid, 'table column', array[schema_name, table_name, column_name]::pg_catalog.text[], '{}', description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_view_desc(classid pg_catalog.oid, objid pg_catalog.oid, schema_name pg_catalog.name, view_name pg_catalog.name, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, 0, 'view', array[schema_name, view_name]::pg_catalog.text[], '{}', description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_view_col_desc(classid pg_catalog.oid, objid pg_catalog.oid, objsubid pg_catalog.int4, schema_name pg_catalog.name, view_name pg_catalog.name, column_name pg_catalog.name, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, objsubid, 'view column', array[schema_name, view_name, column_name]::pg_catalog.text[], '{}', description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_proc_desc(classid pg_catalog.oid, objid pg_catalog.oid, schema_name pg_catalog.name, proc_name pg_catalog.name, objargs pg_catalog.text[], description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, 0, 'procedure', array[schema_name, proc_name]::pg_catalog.text[], coalesce(objargs, '{}'), description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_func_desc(classid pg_catalog.oid, objid pg_catalog.oid, schema_name pg_catalog.name, func_name pg_catalog.name, objargs pg_catalog.text[], description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, 0, 'function', array[schema_name, func_name]::pg_catalog.text[], coalesce(objargs, '{}'), description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_agg_desc(classid pg_catalog.oid, objid pg_catalog.oid, schema_name pg_catalog.name, agg_name pg_catalog.name, objargs pg_catalog.text[], description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$ select ai.sc_set_obj_desc(classid, objid, 0, 'aggregate', array[schema_name, agg_name]::pg_catalog.text[], coalesce(objargs, '{}'), description, catalog_name) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;

-- The same, for an object given as regclass or regprocedure: its address comes from
-- PostgreSQL; an object of another kind (or a missing column) describes nothing (NULL).
create or replace function ai.sc_set_table_desc(t pg_catalog.regclass, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, 0, a.type, a.object_names, a.object_args, description, catalog_name)
    from pg_catalog.pg_class k
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, 0) a
    where k.oid operator(pg_catalog.=) t and k.relkind in ('r', 'p', 'f')
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_table_col_desc(t pg_catalog.regclass, column_name pg_catalog.name, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, c.attnum, a.type, a.object_names, a.object_args, description, catalog_name)
    from pg_catalog.pg_class k
    join pg_catalog.pg_attribute c on c.attrelid operator(pg_catalog.=) k.oid and c.attname operator(pg_catalog.=) column_name and c.attnum operator(pg_catalog.>) 0 and not c.attisdropped
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, c.attnum) a
    where k.oid operator(pg_catalog.=) t and k.relkind in ('r', 'p', 'f')
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_view_desc(v pg_catalog.regclass, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, 0, a.type, a.object_names, a.object_args, description, catalog_name)
    from pg_catalog.pg_class k
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, 0) a
    where k.oid operator(pg_catalog.=) v and k.relkind in ('v', 'm')
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_view_col_desc(v pg_catalog.regclass, column_name pg_catalog.name, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, c.attnum, a.type, a.object_names, a.object_args, description, catalog_name)
    from pg_catalog.pg_class k
    join pg_catalog.pg_attribute c on c.attrelid operator(pg_catalog.=) k.oid and c.attname operator(pg_catalog.=) column_name and c.attnum operator(pg_catalog.>) 0 and not c.attisdropped
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_class'::pg_catalog.regclass, k.oid, c.attnum) a
    where k.oid operator(pg_catalog.=) v and k.relkind in ('v', 'm')
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_proc_desc(p pg_catalog.regprocedure, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_proc'::pg_catalog.regclass, f.oid, 0, a.type, a.object_names, a.object_args, description, catalog_name)
    from pg_catalog.pg_proc f
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_proc'::pg_catalog.regclass, f.oid, 0) a
    where f.oid operator(pg_catalog.=) p and f.prokind operator(pg_catalog.=) 'p'
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_func_desc(f pg_catalog.regprocedure, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_proc'::pg_catalog.regclass, x.oid, 0, a.type, a.object_names, a.object_args, description, catalog_name)
    from pg_catalog.pg_proc x
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_proc'::pg_catalog.regclass, x.oid, 0) a
    where x.oid operator(pg_catalog.=) f and x.prokind in ('f', 'w')
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_set_agg_desc(a pg_catalog.regprocedure, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
    select ai.sc_set_obj_desc('pg_catalog.pg_proc'::pg_catalog.regclass, x.oid, 0, y.type, y.object_names, y.object_args, description, catalog_name)
    from pg_catalog.pg_proc x
    cross join lateral pg_catalog.pg_identify_object_as_address('pg_catalog.pg_proc'::pg_catalog.regclass, x.oid, 0) y
    where x.oid operator(pg_catalog.=) a and x.prokind operator(pg_catalog.=) 'a'
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Example SQL and facts.
create or replace function ai.sc_add_sql_desc(sql pg_catalog.text, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
declare
    _id pg_catalog.int4;
    _row pg_catalog.int8;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_add_sql_desc.catalog_name;
    execute pg_catalog.format('insert into ai.%I (sql, description) values ($1, $2) returning id', pg_catalog.format('semantic_catalog_sql_%s', _id))
    into strict _row using sql, description;
    return _row;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_update_sql_desc(id pg_catalog.int8, sql pg_catalog.text, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns void
as $func$
declare
    _id pg_catalog.int4;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_update_sql_desc.catalog_name;
    execute pg_catalog.format('update ai.%I x set sql = $2, description = $3 where x.id = $1', pg_catalog.format('semantic_catalog_sql_%s', _id))
    using id, sql, description;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_add_fact(description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns pg_catalog.int8
as $func$
declare
    _id pg_catalog.int4;
    _row pg_catalog.int8;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_add_fact.catalog_name;
    execute pg_catalog.format('insert into ai.%I (description) values ($1) returning id', pg_catalog.format('semantic_catalog_fact_%s', _id))
    into strict _row using description;
    return _row;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.sc_update_fact(id pg_catalog.int8, description pg_catalog.text, catalog_name pg_catalog.name default 'default') returns void
as $func$
declare
    _id pg_catalog.int4;
begin
    select c.id into strict _id from ai.semantic_catalog c where c.catalog_name operator(pg_catalog.=) sc_update_fact.catalog_name;
    execute pg_catalog.format('update ai.%I x set description = $2 where x.id = $1', pg_catalog.format('semantic_catalog_fact_%s', _id))
    using id, description;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
