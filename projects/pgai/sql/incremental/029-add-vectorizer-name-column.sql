-- Vectorizers get a unique name (lower case letters, digits, underscores), which every function
-- that takes an id also takes: an existing one is named after its destination.
alter table ai.vectorizer add column name pg_catalog.name check (name operator(pg_catalog.~) '^[a-z][a-z_0-9]*$');
update ai.vectorizer set name = case config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'implementation'
    when 'column' then pg_catalog.format('%s_%s_%s', source_schema, source_table, config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'embedding_column')
    else pg_catalog.format('%s_%s', config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'target_schema', config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'target_table')
    end;
alter table ai.vectorizer alter column name set not null, add constraint vectorizer_name_unique unique (name);
drop function if exists ai.disable_vectorizer_schedule(pg_catalog.int4);
drop function if exists ai.enable_vectorizer_schedule(pg_catalog.int4);
drop function if exists ai.drop_vectorizer(pg_catalog.int4, pg_catalog.bool);
drop function if exists ai.vectorizer_queue_pending(pg_catalog.int4, pg_catalog.bool);
drop function if exists ai.vectorizer_embed(pg_catalog.int4, pg_catalog.text, pg_catalog.text);
