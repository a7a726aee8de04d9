-- pg_depend entries that tie a vectorizer's objects to its source, as if the database had made them
-- (all 'n', normal dependencies):
--   target table -> source table, queue table -> source table, queue table -> target table.
-- So `drop table <source>` is refused with PostgreSQL's usual "other objects depend on it" error,
-- and `drop table <source> cascade` drops the target and the queue too (the view already
-- depends on both tables); the sql_drop event trigger then drops the trigger function and the
-- catalog row. Dropping the target with cascade takes the view and the queue. As in pgai, the
-- trigger function and a TimescaleDB job get no entry: without the catalog row (deleted by
-- hand) they stay behind.
--
-- Why this is safe:
-- * It takes only a vectorizer id, never object names, and records edges between exactly the
--   objects named by that catalog row: three ordinary or partitioned tables.
-- * The session user must have the privileges of the owner of every one of them (pg_has_role
--   'usage'), i.e. could drop each of them anyway: tying them together lets nobody drop what they
--   could not drop before. A role that may insert into ai.vectorizer cannot use a forged row to
--   make someone else's table depend on, or be dropped with, its own.
-- * PostgreSQL removes the entries itself when a dependent object is dropped: nothing dangles.
-- * The edges form no cycle, so pg_dump can still order the objects.
-- As in PostgreSQL itself, the owner of the source may then drop the whole vectorizer with
-- `cascade` even when another role (say a superuser) created it, just as they may drop a view
-- another role made on their table.
-- It is security definer because only a superuser may write pg_depend (the function's owner is
-- the superuser that installed the extension: a trusted install runs as the bootstrap superuser).
--
-- pg_dump does not carry such entries; the trigger below records them again when pg_restore loads
-- the ai.vectorizer rows (after it created the tables and functions). pg_upgrade does not load
-- rows that way: after one, run `select ai._vectorizer_create_dependencies(id) from ai.vectorizer`.
create or replace function ai._vectorizer_create_dependencies(vectorizer_id pg_catalog.int4) returns void
as $func$
declare
    _v ai.vectorizer;
    _rels pg_catalog.oid[];
    _name pg_catalog.text;
    _oid pg_catalog.oid;
    _owner pg_catalog.oid;
    _kind pg_catalog."char";
    _pg_class constant pg_catalog.oid = 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid;
begin
    select * into strict _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    foreach _name in array array
    [ pg_catalog.format('%I.%I', _v.source_schema, _v.source_table)
    , pg_catalog.format('%I.%I', _v.target_schema, _v.target_table)
    , pg_catalog.format('%I.%I', _v.queue_schema, _v.queue_table)
    ] loop
        select k.oid, k.relowner, k.relkind into _oid, _owner, _kind
        from pg_catalog.pg_class k where k.oid operator(pg_catalog.=) pg_catalog.to_regclass(_name);
        if not found or _kind not in ('r', 'p') then
            raise exception 'vectorizer %: % is not a table', vectorizer_id, _name;
        end if;
        if not pg_catalog.pg_has_role(session_user, _owner, 'usage') then
            raise exception 'only the owner of % may record the dependencies of vectorizer %', _name, vectorizer_id
                using errcode = 'insufficient_privilege';
        end if;
        _rels = _rels operator(pg_catalog.||) _oid;
    end loop;
    if not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user) then
        raise exception 'the dependencies of vectorizer % can be recorded only by a function owned by a superuser (ai._vectorizer_create_dependencies is owned by %)',
            vectorizer_id, pg_catalog.quote_ident(current_user);
    end if;
    insert into pg_catalog.pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
    select e.classid, e.objid, 0, _pg_class, e.refobjid, 0, 'n'
    from
    ( values (_pg_class, _rels[2], _rels[1]), (_pg_class, _rels[3], _rels[1]), (_pg_class, _rels[3], _rels[2])
    ) e(classid, objid, refobjid)
    where not exists
    ( select 1 from pg_catalog.pg_depend d
      where d.classid operator(pg_catalog.=) e.classid
        and d.objid operator(pg_catalog.=) e.objid and d.objsubid operator(pg_catalog.=) 0
        and d.refclassid operator(pg_catalog.=) _pg_class
        and d.refobjid operator(pg_catalog.=) e.refobjid and d.refobjsubid operator(pg_catalog.=) 0
        and d.deptype operator(pg_catalog.=) 'n'
    );
end;
$func$ language plpgsql volatile security definer set search_path to pg_catalog, pg_temp;

-- Only roles given ai usage may call it (it checks ownership anyway).
revoke all on function ai._vectorizer_create_dependencies(pg_catalog.int4) from public;

-- Every row inserted into ai.vectorizer, by create_vectorizer or by pg_restore, gets its
-- dependencies. A failure is a warning, never an error: a restore must not lose catalog rows.
create or replace function ai_extra._vectorizer_record_dependencies() returns trigger
as $func$
begin
    begin
        perform ai._vectorizer_create_dependencies(new.id);
    exception when others then
        raise warning 'vectorizer %: dependencies on its source table not recorded: %', new.id, sqlerrm
            using hint = 'without them, drop table ... cascade on the source leaves the target table; the owner of the tables can run select ai._vectorizer_create_dependencies(id) later';
    end;
    return null;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace trigger _vectorizer_record_dependencies after insert on ai.vectorizer
for each row execute function ai_extra._vectorizer_record_dependencies();
