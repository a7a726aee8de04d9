-- When a vectorizer's source or target table is dropped, the vectorizer goes with it: its
-- catalog row, queue table and trigger functions. Security definer: whoever drops the table
-- may not own the catalog.
create or replace function ai._vectorizer_handle_drops() returns event_trigger
as $func$
declare
    _d record;
    _v ai.vectorizer;
begin
    for _d in select * from pg_catalog.pg_event_trigger_dropped_objects() where object_type operator(pg_catalog.=) 'table' loop
        for _v in
            select * from ai.vectorizer v
            where (v.source_schema operator(pg_catalog.=) _d.schema_name and v.source_table operator(pg_catalog.=) _d.object_name)
               or (v.target_schema operator(pg_catalog.=) _d.schema_name and v.target_table operator(pg_catalog.=) _d.object_name)
        loop
            execute pg_catalog.format('drop table if exists %I.%I', _v.queue_schema, _v.queue_table);
            execute pg_catalog.format('drop function if exists %I.%I() cascade', _v.queue_schema, _v.trigger_name);
            execute pg_catalog.format('drop function if exists %I.%I() cascade', _v.queue_schema, _v.trigger_name operator(pg_catalog.||) '_truncate');
            delete from ai.vectorizer v where v.id operator(pg_catalog.=) _v.id;
            raise notice 'vectorizer % was dropped with table %.%', _v.id, pg_catalog.quote_ident(_d.schema_name), pg_catalog.quote_ident(_d.object_name);
        end loop;
    end loop;
end;
$func$ language plpgsql volatile security definer set search_path to pg_catalog, pg_temp;

do $block$
begin
    if not exists (select 1 from pg_catalog.pg_event_trigger where evtname operator(pg_catalog.=) '_vectorizer_handle_drops') then
        create event trigger _vectorizer_handle_drops on sql_drop execute function ai._vectorizer_handle_drops();
    end if;
end;
$block$;
