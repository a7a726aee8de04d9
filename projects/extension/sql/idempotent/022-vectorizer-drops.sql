-- When a vectorizer's source or target table is dropped, the vectorizer goes with it: its
-- catalog row, queue table and trigger functions. Security definer: whoever drops the table
-- may not own the catalog.
create or replace function ai._vectorizer_handle_drops() returns event_trigger
as $func$
declare
    _d record;
    _v ai.vectorizer;
    _obj pg_catalog.text;
    _owner pg_catalog.oid;
begin
    for _d in select * from pg_catalog.pg_event_trigger_dropped_objects() where object_type operator(pg_catalog.=) 'table' loop
        for _v in
            select * from ai.vectorizer v
            where (v.source_schema operator(pg_catalog.=) _d.schema_name and v.source_table operator(pg_catalog.=) _d.object_name)
               or (v.target_schema operator(pg_catalog.=) _d.schema_name and v.target_table operator(pg_catalog.=) _d.object_name)
        loop
            -- Usually `drop ... cascade` already took the queue and the trigger functions (they
            -- depend on the source, see 025-vectorizer-dependencies.sql). What is left is
            -- dropped only when the session user could have dropped it: the catalog row names
            -- it, and roles granted ai usage may write catalog rows.
            _obj = pg_catalog.format('%I.%I', _v.queue_schema, _v.queue_table);
            select k.relowner into _owner from pg_catalog.pg_class k
            where k.oid operator(pg_catalog.=) pg_catalog.to_regclass(_obj) and k.relkind in ('r', 'p');
            if found then
                if pg_catalog.pg_has_role(session_user, _owner, 'usage') then
                    execute pg_catalog.format('drop table %s', _obj);
                else
                    raise warning 'vectorizer %: queue table % was not dropped: it belongs to %', _v.id, _obj, pg_catalog.pg_get_userbyid(_owner);
                end if;
            end if;
            for _obj in select pg_catalog.format('%I.%I()', _v.queue_schema, f)
                from pg_catalog.unnest(array[_v.trigger_name::pg_catalog.text, _v.trigger_name operator(pg_catalog.||) '_truncate']) f
            loop
                select p.proowner into _owner from pg_catalog.pg_proc p where p.oid operator(pg_catalog.=) pg_catalog.to_regprocedure(_obj);
                if found then
                    if pg_catalog.pg_has_role(session_user, _owner, 'usage') then
                        execute pg_catalog.format('drop function %s cascade', _obj);
                    else
                        raise warning 'vectorizer %: function % was not dropped: it belongs to %', _v.id, _obj, pg_catalog.pg_get_userbyid(_owner);
                    end if;
                end if;
            end loop;
            begin
                perform ai._vectorizer_unschedule_job(_v.id, (_v.config operator(pg_catalog.#>>) '{scheduling,job_id}')::pg_catalog.int8);
            exception when others then
                raise warning 'vectorizer %: its TimescaleDB job was not deleted: %', _v.id, sqlerrm;
            end;
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
