-- ai.grant_vectorizer_usage: what a role needs to create and use vectorizers (admin: everything
-- on the catalog). The vectorizers' own objects are granted by create_vectorizer's grant_to.
create or replace function ai.grant_vectorizer_usage(to_user pg_catalog.name, admin pg_catalog.bool default false) returns void
as $func$
declare
    _sql pg_catalog.text;
begin
    foreach _sql in array case when admin then array
        [ 'grant all privileges on schema ai to %I'
        , 'grant all privileges on table ai.pgai_lib_migration to %I'
        , 'grant all privileges on table ai.pgai_lib_version to %I'
        , 'grant all privileges on table ai.pgai_lib_feature_flag to %I'
        , 'grant all privileges on table ai.vectorizer to %I'
        , 'grant all privileges on table ai._vectorizer_errors to %I'
        , 'grant all privileges on table ai.vectorizer_errors to %I'
        , 'grant all privileges on table ai.vectorizer_status to %I'
        , 'grant all privileges on sequence ai.vectorizer_id_seq to %I'
        ] else array
        [ 'grant usage, create on schema ai to %I'
        , 'grant select, insert, update, delete on table ai.vectorizer to %I'
        , 'grant select on ai._vectorizer_errors to %I'
        , 'grant select on ai.vectorizer_errors to %I'
        , 'grant select on ai.vectorizer_status to %I'
        , 'grant select, usage on sequence ai.vectorizer_id_seq to %I'
        ] end
    loop
        execute pg_catalog.format(_sql, to_user);
    end loop;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
