-- Runs first in every `pgai install`, inside the install's one transaction: the bookkeeping
-- tables, one install at a time, and the version checks. `__version__` is the catalog version
-- this pgai installs (substituted by the installer).
set local search_path = pg_catalog, pg_temp;

-- Two installs at once would both create the schema and the tables below before either could
-- lock ai.pgai_lib_migration: the second waits here for the first to commit.
select pg_catalog.pg_advisory_xact_lock(8214651987250041933);

-- (only when missing: CREATE SCHEMA IF NOT EXISTS needs the right to create one even then, and
-- a role that may not should hear why below)
do $schema$
begin
    if not exists (select 1 from pg_catalog.pg_namespace n where n.nspname operator(pg_catalog.=) 'ai') then
        create schema ai;
    end if;
end;
$schema$;

do $bootstrap$
declare
    _owner pg_catalog.oid;
    _dbowner pg_catalog.oid;
begin
    select k.relowner into _owner
    from pg_catalog.pg_class k join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
    where n.nspname operator(pg_catalog.=) 'ai' and k.relname operator(pg_catalog.=) 'pgai_lib_migration';
    if _owner is null then
        create table ai.pgai_lib_migration
        ( "name" pg_catalog.text not null primary key
        , applied_at_version pg_catalog.text not null
        , applied_at pg_catalog.timestamptz not null default pg_catalog.clock_timestamp()
        , body pg_catalog.text not null
        );
        return;
    end if;
    -- as pgai: only the role that installed the catalog (or, when the database owner role owns
    -- it, the database's owner) may change it
    if _owner operator(pg_catalog.=) 'pg_database_owner'::pg_catalog.regrole then
        select d.datdba into strict _dbowner from pg_catalog.pg_database d
        where d.datname operator(pg_catalog.=) pg_catalog.current_database();
        _owner = _dbowner;
    end if;
    if _owner operator(pg_catalog.<>) (select r.oid from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) current_user) then
        raise exception 'only the owner of the ai.pgai_lib_migration table can run database migrations'
            using hint = pg_catalog.format('connect as %s to install or upgrade pgai in this database', _owner::pg_catalog.regrole);
    end if;
end;
$bootstrap$;

lock table ai.pgai_lib_migration;

create table if not exists ai.pgai_lib_feature_flag
( "name" pg_catalog.text not null primary key
, applied_at_version pg_catalog.text not null
, applied_at pg_catalog.timestamptz not null default pg_catalog.clock_timestamp()
);

create table if not exists ai.pgai_lib_version
( "name" pg_catalog.text not null primary key
, version pg_catalog.text not null
, installed_at pg_catalog.timestamptz not null default pg_catalog.clock_timestamp()
);

do $version$
declare
    _installed pg_catalog.text;
    _parts pg_catalog.int4[];
    _ours pg_catalog.int4[];
begin
    select v.version into _installed from ai.pgai_lib_version v where v."name" operator(pg_catalog.=) 'ai';
    if _installed is null then
        return;
    end if;
    if _installed operator(pg_catalog.=) '__version__' then
        raise exception 'the pgai library has already been installed/upgraded' using errcode = 'duplicate_object';
    end if;
    -- never downgrade: an older pgai does not know what a newer catalog changed
    _parts = pg_catalog.string_to_array(pg_catalog.substring(_installed, '^[0-9]+\.[0-9]+\.[0-9]+'), '.')::pg_catalog.int4[];
    _ours = pg_catalog.string_to_array(pg_catalog.substring('__version__', '^[0-9]+\.[0-9]+\.[0-9]+'), '.')::pg_catalog.int4[];
    if _parts operator(pg_catalog.>) _ours then
        raise exception 'the pgai catalog in this database is version %, newer than this pgai''s __version__', _installed
            using errcode = 'object_not_in_prerequisite_state'
            , hint = pg_catalog.format('upgrade pgai to %s or later to install or upgrade here', _installed);
    end if;
end;
$version$;

insert into ai.pgai_lib_version ("name", version) values ('ai', '__version__')
on conflict ("name") do update set version = excluded.version;
