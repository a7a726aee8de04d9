-- Queue rows remember how often loading them failed, and when to try again.
declare
    _v pg_catalog.record;
begin
    for _v in select v.queue_schema, v.queue_table from ai.vectorizer v where v.queue_table is not null loop
        if pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.queue_schema, _v.queue_table)) is not null then
            execute pg_catalog.format(
                'alter table %I.%I add column if not exists loading_retries pg_catalog.int4 not null default 0'
                ', add column if not exists loading_retry_after pg_catalog.timestamptz default null'
                , _v.queue_schema, _v.queue_table);
        end if;
    end loop;
end;
