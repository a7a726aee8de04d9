-- Privileges, as pgai 0.7 has them: nothing for PUBLIC, administrators at install, and
-- ai.grant_ai_usage for everyone else.

-- Grants `to_user` what it needs to use the extension, on the extension's own objects (its
-- members, as they are now: run it again after an upgrade that adds objects):
--   usage and create on schema ai; select, insert, update, delete on its tables but the
--   bookkeeping ones (ai.migration, ai.feature_flag, ai._secret_permissions); usage, select and
--   update on its sequences; select on its views; execute on its functions and procedures but
--   the administrators' (grant_ai_usage, grant_secret, revoke_secret).
-- With admin => true: all privileges on all of them, with grant option, and every secret (a '*'
-- row in ai._secret_permissions). A vectorizer's queue, target and view belong to its creator;
-- create_vectorizer's grant_to gives other roles access to those.
create or replace function ai.grant_ai_usage(to_user pg_catalog.name, admin pg_catalog.bool default false) returns void
as $func$
declare
    _sql pg_catalog.text;
    _option pg_catalog.text = case when admin then ' with grant option' else '' end;
begin
    admin = coalesce(admin, false);
    -- GRANT without the grant option only warns ("no privileges were granted"): refuse instead
    if not pg_catalog.has_schema_privilege(current_user, 'ai', 'create with grant option') then
        raise exception 'only the owner of the ai schema or an ai admin may grant ai usage'
            using errcode = 'insufficient_privilege'
            , hint = 'an owner makes admins with select ai.grant_ai_usage(''<role>'', admin => true)';
    end if;

    execute pg_catalog.format('grant %s on schema ai to %I%s'
        , case when admin then 'all privileges' else 'usage, create' end, to_user, _option);
    -- this project's additions (ai_extra), which pgai's functions call
    execute pg_catalog.format('grant %s on schema ai_extra to %I%s'
        , case when admin then 'all privileges' else 'usage' end, to_user, _option);

    for _sql in
        select pg_catalog.format('grant %s on %s %I.%I to %I%s'
            , case when admin then 'all privileges'
                   when k.relkind in ('r', 'p') then 'select, insert, update, delete'
                   when k.relkind operator(pg_catalog.=) 'S' then 'usage, select, update'
                   else 'select' end
            , case when k.relkind operator(pg_catalog.=) 'S' then 'sequence' else 'table' end
            , n.nspname, k.relname, to_user, _option)
        from pg_catalog.pg_depend d
        join pg_catalog.pg_extension e on e.oid operator(pg_catalog.=) d.refobjid
        join pg_catalog.pg_class k on k.oid operator(pg_catalog.=) d.objid
        join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
        where d.classid operator(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
          and d.refclassid operator(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          and d.deptype operator(pg_catalog.=) 'e'
          and e.extname operator(pg_catalog.=) 'ai'
          and k.relkind in ('r', 'p', 'S', 'v', 'm')
          and (admin or (n.nspname, k.relname) not in
              (('ai', 'migration'), ('ai', 'feature_flag'), ('ai', '_secret_permissions')))
        order by 1
    loop
        execute _sql;
    end loop;

    for _sql in
        select pg_catalog.format('grant %s on %s %I.%I(%s) to %I%s'
            , case when admin then 'all privileges' else 'execute' end
            , case when p.prokind operator(pg_catalog.=) 'p' then 'procedure' else 'function' end
            , n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), to_user, _option)
        from pg_catalog.pg_depend d
        join pg_catalog.pg_extension e on e.oid operator(pg_catalog.=) d.refobjid
        join pg_catalog.pg_proc p on p.oid operator(pg_catalog.=) d.objid
        join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) p.pronamespace
        where d.classid operator(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
          and d.refclassid operator(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          and d.deptype operator(pg_catalog.=) 'e'
          and e.extname operator(pg_catalog.=) 'ai'
          and p.prokind in ('f', 'p')
          and (admin or p.proname not in ('grant_ai_usage', 'grant_secret', 'revoke_secret'))
        order by 1
    loop
        execute _sql;
    end loop;

    if admin then
        insert into ai._secret_permissions (name, "role") values ('*', to_user)
        on conflict (name, "role") do nothing;
    end if;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Schema ai_extra belongs, like schema ai, to the installing user (only the owner of ai may
-- upgrade the extension, see head.sql).
alter schema ai_extra owner to @extowner@;

-- The installing session's user and every database owner administer the extension, as in pgai.
-- (A trusted install runs this script as the bootstrap superuser, which owns the objects it
-- creates: without these grants the installing user could not even create a vectorizer.) These
-- grants, made by the install script, are the objects' initial privileges: pg_dump leaves them
-- out.
select ai.grant_ai_usage(session_user, admin => true);
select ai.grant_ai_usage('pg_database_owner', admin => true);

-- PUBLIC gets nothing: not the schema, nor EXECUTE, which PostgreSQL gives every new function.
-- Run on every install and upgrade, so functions an upgrade adds are covered too.
do $block$
declare
    _sql pg_catalog.text;
begin
    revoke all on schema ai from public;
    revoke all on schema ai_extra from public;
    for _sql in
        select case when p.oid is not null
            then pg_catalog.format('revoke all on %s %I.%I(%s) from public'
                , case when p.prokind operator(pg_catalog.=) 'p' then 'procedure' else 'function' end
                , pn.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
            else pg_catalog.format('revoke all on %s %I.%I from public'
                , case when k.relkind operator(pg_catalog.=) 'S' then 'sequence' else 'table' end
                , kn.nspname, k.relname) end
        from pg_catalog.pg_depend d
        join pg_catalog.pg_extension e on e.oid operator(pg_catalog.=) d.refobjid
        left join pg_catalog.pg_proc p on d.classid operator(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass and p.oid operator(pg_catalog.=) d.objid
        left join pg_catalog.pg_namespace pn on pn.oid operator(pg_catalog.=) p.pronamespace
        left join pg_catalog.pg_class k on d.classid operator(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass and k.oid operator(pg_catalog.=) d.objid
        left join pg_catalog.pg_namespace kn on kn.oid operator(pg_catalog.=) k.relnamespace
        where d.refclassid operator(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
          and d.deptype operator(pg_catalog.=) 'e'
          and e.extname operator(pg_catalog.=) 'ai'
          and (p.prokind in ('f', 'p') or k.relkind in ('r', 'p', 'S', 'v', 'm'))
    loop
        execute _sql;
    end loop;
end;
$block$;
