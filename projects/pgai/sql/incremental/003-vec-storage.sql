-- Embeddings are stored uncompressed and inline: pglz cannot shrink float vectors, and trying
-- costs every insert.
declare
    _v pg_catalog.record;
begin
    for _v in select v.target_schema, v.target_table from ai.vectorizer v loop
        if pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.target_schema, _v.target_table)) is not null then
            execute pg_catalog.format('alter table %I.%I alter column embedding set storage main', _v.target_schema, _v.target_table);
        end if;
    end loop;
end;
