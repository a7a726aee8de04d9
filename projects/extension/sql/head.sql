-- Runs first on every install and upgrade (version @AI_VERSION@).
-- Only the owner of the `ai` schema and of `ai.migration` may install or upgrade the extension:
-- anyone else could otherwise replace its functions with their own.
do $ai_head$
declare
    _me oid := pg_catalog.to_regrole('@extowner@')::oid;
    _schema_owner oid;
    _migration_owner oid;
begin
    select n.nspowner into _schema_owner
    from pg_catalog.pg_namespace n where n.nspname operator(pg_catalog.=) 'ai';
    if _schema_owner is null then
        create schema ai;  -- normally created from the control file's `schema = ai`
    elsif _schema_owner operator(pg_catalog.<>) _me then
        raise exception 'only the owner of the ai schema may install or upgrade the ai extension'
            using hint = 'connect as ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(_schema_owner)::text);
    end if;

    select c.relowner into _migration_owner
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace
    where n.nspname operator(pg_catalog.=) 'ai' and c.relname operator(pg_catalog.=) 'migration';
    if _migration_owner is not null and _migration_owner operator(pg_catalog.<>) _me then
        raise exception 'only the owner of ai.migration may install or upgrade the ai extension'
            using hint = 'connect as ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(_migration_owner)::text);
    end if;

    if _migration_owner is null then
        -- one row per incremental script ever applied in this database
        create table ai.migration
        ( "name" text not null primary key
        , applied_at_version text not null
        , applied_at timestamptz not null default pg_catalog.clock_timestamp()
        , body text not null
        );
        -- a trusted install runs as the bootstrap superuser: hand the table to the installing user
        alter table ai.migration owner to @extowner@;
    end if;
end;
$ai_head$;

-- feature flags that were on when a prerelease version was installed
do $ai_head$
begin
    if pg_catalog.to_regclass('ai.feature_flag') is null then
        create table ai.feature_flag
        ( "name" text not null primary key
        , applied_at_version text not null
        , applied_at timestamptz not null default pg_catalog.clock_timestamp()
        );
        alter table ai.feature_flag owner to @extowner@;
    end if;
end;
$ai_head$;

-- this project's additions (their schema: created here since the vectorizer catalog left the
-- extension in 0.10.0; before, by incremental/003-extra.sql)
create schema if not exists ai_extra;
