-- One trigger function per vectorizer now handles deletes and truncates too (it deletes the
-- chunks of deleted rows): the triggers are made again, the function's body is written by the
-- idempotent part of every install.
declare
    _v pg_catalog.record;
begin
    for _v in select v.id, v.source_schema, v.source_table, v.queue_schema, v.trigger_name from ai.vectorizer v loop
        execute pg_catalog.format($sql$
            create or replace function %I.%I() returns trigger as $trg$
            begin
                raise exception 'This trigger function should be redefined in the idempotent code';
            end;
            $trg$ language plpgsql volatile parallel safe security definer set search_path to pg_catalog, pg_temp
            $sql$, _v.queue_schema, _v.trigger_name);
        execute pg_catalog.format('drop trigger if exists %I on %I.%I', _v.trigger_name, _v.source_schema, _v.source_table);
        execute pg_catalog.format('drop trigger if exists %I on %I.%I', _v.trigger_name operator(pg_catalog.||) '_truncate', _v.source_schema, _v.source_table);
        execute pg_catalog.format('create trigger %I after insert or update or delete on %I.%I for each row execute function %I.%I()'
            , _v.trigger_name, _v.source_schema, _v.source_table, _v.queue_schema, _v.trigger_name);
        execute pg_catalog.format('create trigger %I after truncate on %I.%I for each statement execute function %I.%I()'
            , _v.trigger_name operator(pg_catalog.||) '_truncate', _v.source_schema, _v.source_table, _v.queue_schema, _v.trigger_name);
    end loop;
end;
