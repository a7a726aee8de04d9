-- Which roles may read which secrets from the server's environment ('*': every secret).
create table ai._secret_permissions
( name text not null check (name = '*' or name ~ '^[A-Za-z0-9_.]+$')
, "role" text not null
, primary key (name, "role")
);
-- Every install creates the two default rows, so a dump leaves them out (a restore would collide).
select pg_catalog.pg_extension_config_dump('ai._secret_permissions'::pg_catalog.regclass, pg_catalog.format(
    'where not (name = %L and "role" in (%L, %L))', '*', 'pg_database_owner',
    (select r.rolname from pg_catalog.pg_roles r where r.oid = pg_catalog.to_regrole('@extowner@'))));
insert into ai._secret_permissions (name, "role")
select '*', r.rolname
from pg_catalog.pg_roles r
where r.oid = pg_catalog.to_regrole('@extowner@') or r.rolname = 'pg_database_owner'
on conflict do nothing;
