-- When a table of a vectorizer (its source, target or queue) is dropped, the vectorizer goes with
-- it: what is left of its objects, and its catalog row. Security definer: whoever drops the table
-- may not own the catalog. What is left is dropped only where the session user could have
-- dropped it (see ai_extra._vectorizer_drop_objects).
create or replace function ai._vectorizer_handle_drops() returns event_trigger
as $func$
declare
    _v ai.vectorizer;
begin
    for _v in
        select distinct on (v.id) v.*
        from pg_catalog.pg_event_trigger_dropped_objects() d
        join ai.vectorizer v
          on (v.source_schema, v.source_table) operator(pg_catalog.=) (d.schema_name, d.object_name)
          or (v.target_schema, v.target_table) operator(pg_catalog.=) (d.schema_name, d.object_name)
          or (v.queue_schema, v.queue_table) operator(pg_catalog.=) (d.schema_name, d.object_name)
        where d.object_type operator(pg_catalog.=) 'table'
        order by v.id
    loop
        raise notice 'associated table for vectorizer % dropped. dropping vectorizer', _v.id;
        delete from ai.vectorizer v where v.id operator(pg_catalog.=) _v.id;
        perform ai_extra._vectorizer_drop_objects(_v, false, true);
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
