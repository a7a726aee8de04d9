-- Secret permissions: which roles may read which secrets (ai.reveal_secret checks them before
-- the server's environment or the executor is consulted). Admin-only: see 999-privileges.sql.

-- The rows that apply to the current user: those of existing roles it is a member of.
create or replace view ai.secret_permissions as
select name, "role"
from ai._secret_permissions
where pg_catalog.to_regrole("role") is not null
  and pg_catalog.pg_has_role(current_user, "role"::pg_catalog.name, 'member');

-- A plain insert, as in pgai: the role need not exist yet, a repeated grant is the primary-key
-- violation and a bad name the table's check constraint.
create or replace function ai.grant_secret(secret_name pg_catalog.text, grant_to_role pg_catalog.text) returns void
as $func$
    insert into ai._secret_permissions (name, "role") values (secret_name, grant_to_role);
$func$ language sql volatile security invoker
set search_path to pg_catalog, pg_temp;

create or replace function ai.revoke_secret(secret_name pg_catalog.text, revoke_from_role pg_catalog.text) returns void
as $func$
    delete from ai._secret_permissions
    where name operator(pg_catalog.=) secret_name and "role" operator(pg_catalog.=) revoke_from_role;
$func$ language sql volatile security invoker
set search_path to pg_catalog, pg_temp;
