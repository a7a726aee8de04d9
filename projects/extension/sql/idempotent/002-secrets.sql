-- Secret permissions: which roles may read which secrets from the server's environment.

create or replace view ai.secret_permissions as
select p.name, p."role"
from ai._secret_permissions p
where exists
( select 1 from pg_catalog.pg_roles r
  where r.rolname operator(pg_catalog.=) p."role"
    and pg_catalog.pg_has_role(current_user, r.oid, 'member')
);

create or replace function ai.grant_secret(secret_name pg_catalog.text, grant_to_role pg_catalog.text) returns void
as $func$
begin
    if pg_catalog.to_regrole(pg_catalog.quote_ident(grant_to_role)) is null then
        raise exception 'role % does not exist', pg_catalog.quote_ident(grant_to_role);
    end if;
    insert into ai._secret_permissions (name, "role") values (secret_name, grant_to_role)
    on conflict (name, "role") do nothing;
end;
$func$ language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.revoke_secret(secret_name pg_catalog.text, revoke_from_role pg_catalog.text) returns void
as $func$
    delete from ai._secret_permissions
    where name operator(pg_catalog.=) secret_name and "role" operator(pg_catalog.=) revoke_from_role;
$func$ language sql volatile security invoker
set search_path to pg_catalog, pg_temp;

-- Only administrators read the table itself; others see their own rows through the view.
revoke all on ai._secret_permissions from public;
grant select on ai.secret_permissions to public;
