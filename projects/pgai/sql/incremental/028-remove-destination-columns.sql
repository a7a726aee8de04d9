-- Where the embeddings go moves into config.destination (a table, or a column of the source):
-- the catalog's target and view columns go, and with them what used them.
update ai.vectorizer set config = config operator(pg_catalog.||) pg_catalog.jsonb_build_object
    ( 'destination', pg_catalog.jsonb_build_object
        ( 'implementation', 'table', 'config_type', 'destination'
        , 'target_schema', target_schema, 'target_table', target_table
        , 'view_schema', view_schema, 'view_name', view_name));
drop view if exists ai.vectorizer_status;
drop event trigger if exists _vectorizer_handle_drops;
drop function if exists ai._vectorizer_handle_drops();
alter table ai.vectorizer drop column target_schema, drop column target_table, drop column view_schema, drop column view_name;
drop function if exists ai._vectorizer_build_trigger_definition(pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.jsonb);
drop function if exists ai.create_vectorizer(pg_catalog.regclass, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.jsonb, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name[], pg_catalog.bool);
drop function if exists ai._vectorizer_vector_index_exists(pg_catalog.name, pg_catalog.name, pg_catalog.jsonb);
drop function if exists ai._vectorizer_create_vector_index(pg_catalog.name, pg_catalog.name, pg_catalog.jsonb);
