-- source_pk's typname becomes format_type's text (`timestamp with time zone`, `character
-- varying(20)`, a domain qualified when needed), which DDL can use as it is.
declare
    _v pg_catalog.record;
    _pk pg_catalog.jsonb;
begin
    for _v in select v.id, v.source_schema, v.source_table from ai.vectorizer v loop
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object
            ( 'attnum', a.attnum, 'pknum', k.pknum, 'attname', a.attname
            , 'typname', pg_catalog.format_type(a.atttypid, a.atttypmod)) order by k.pknum)
        into _pk
        from pg_catalog.pg_constraint c
        cross join lateral pg_catalog.unnest(c.conkey) with ordinality k(attnum, pknum)
        join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) c.conrelid and a.attnum operator(pg_catalog.=) k.attnum
        where c.contype operator(pg_catalog.=) 'p'
          and c.conrelid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.source_schema, _v.source_table));
        if _pk is not null then
            update ai.vectorizer set source_pk = _pk where id operator(pg_catalog.=) _v.id;
        end if;
    end loop;
end;
