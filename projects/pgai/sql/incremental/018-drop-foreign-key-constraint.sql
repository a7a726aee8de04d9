-- Target tables no longer reference their source: the source trigger deletes a row's chunks,
-- and a foreign key made every delete of a source row scan the target.
declare
    _v pg_catalog.record;
    _fk pg_catalog.name;
begin
    for _v in select v.source_schema, v.source_table, v.target_schema, v.target_table from ai.vectorizer v loop
        select c.conname into _fk
        from pg_catalog.pg_constraint c
        where c.contype operator(pg_catalog.=) 'f'
          and c.conrelid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.target_schema, _v.target_table))
          and c.confrelid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.source_schema, _v.source_table));
        if _fk is not null then
            raise notice 'Dropping foreign key constraint % from %.%', _fk, _v.target_schema, _v.target_table;
            execute pg_catalog.format('alter table %I.%I drop constraint %I', _v.target_schema, _v.target_table, _fk);
        else
            raise notice 'No foreign key constraint found for %.%', _v.target_schema, _v.target_table;
        end if;
    end loop;
    drop function if exists ai._vectorizer_create_source_trigger(pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.name, pg_catalog.jsonb);
    drop function if exists ai._vectorizer_create_target_table(pg_catalog.name, pg_catalog.name, pg_catalog.jsonb, pg_catalog.name, pg_catalog.name, pg_catalog.int4, pg_catalog.name[]);
end;
