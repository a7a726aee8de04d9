-- Roles to grant a new vectorizer's objects to: the given ones plus the comma-separated,
-- trimmed entries of the setting ai.grant_to_default.
create or replace function ai.grant_to(variadic grantees pg_catalog.name[]) returns pg_catalog.name[]
as $func$
    select coalesce(pg_catalog.array_agg(distinct g), '{}')
    from
    ( select pg_catalog.unnest(grantees) as g
      union
      select pg_catalog.btrim(d)::pg_catalog.name
      from pg_catalog.regexp_split_to_table(coalesce(pg_catalog.current_setting('ai.grant_to_default', true), ''), ',') d
    ) x
    where g is not null and g operator(pg_catalog.<>) ''
$func$ language sql volatile security invoker set search_path to pg_catalog, pg_temp;

create or replace function ai.grant_to() returns pg_catalog.name[]
as $func$ select ai.grant_to(variadic array[]::pg_catalog.name[]) $func$
language sql volatile security invoker set search_path to pg_catalog, pg_temp;
