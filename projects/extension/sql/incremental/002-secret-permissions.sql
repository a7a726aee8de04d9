-- Which roles may read which secrets from the server's environment ('*': every secret).
create table ai._secret_permissions
( name text not null check (name = '*' or name ~ '^[A-Za-z0-9_.]+$')
, "role" text not null
, primary key (name, "role")
);
-- Every install creates the two default rows, for the installing session's user and
-- pg_database_owner, so a dump leaves them out (a restore would collide).
select pg_catalog.pg_extension_config_dump('ai._secret_permissions'::pg_catalog.regclass, pg_catalog.format(
    'where not (name = %L and "role" in (%L, %L))', '*', 'pg_database_owner', session_user));
insert into ai._secret_permissions (name, "role")
values ('*', session_user), ('*', 'pg_database_owner')
on conflict do nothing;
