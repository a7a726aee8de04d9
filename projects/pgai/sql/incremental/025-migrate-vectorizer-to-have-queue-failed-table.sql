-- Every existing vectorizer gets its failed queue, with the privileges its queue has.
declare
    _v pg_catalog.record;
    _failed pg_catalog.name;
    _columns pg_catalog.text;
    _keys pg_catalog.text;
    _grantee pg_catalog.record;
begin
    for _v in select v.id, v.queue_schema, v.queue_table, v.source_pk from ai.vectorizer v where v.queue_table is not null loop
        _failed = pg_catalog.format('_vectorizer_q_failed_%s', _v.id);
        select pg_catalog.string_agg(pg_catalog.format('%I %s not null', e operator(pg_catalog.->>) 'attname', e operator(pg_catalog.->>) 'typname'), ', ' order by (e operator(pg_catalog.->>) 'attnum')::pg_catalog.int4)
             , pg_catalog.string_agg(pg_catalog.quote_ident(e operator(pg_catalog.->>) 'attname'), ', ' order by (e operator(pg_catalog.->>) 'pknum')::pg_catalog.int4)
        into strict _columns, _keys
        from pg_catalog.jsonb_array_elements(_v.source_pk) e;
        execute pg_catalog.format(
            'create table %I.%I (%s, created_at pg_catalog.timestamptz not null default pg_catalog.now(), failure_step pg_catalog.text not null default '''')'
            , _v.queue_schema, _failed, _columns);
        execute pg_catalog.format('create index on %I.%I (%s)', _v.queue_schema, _failed, _keys);
        update ai.vectorizer set queue_failed_table = _failed where id operator(pg_catalog.=) _v.id;
        for _grantee in
            select distinct a.grantee
            from pg_catalog.pg_class k
            cross join lateral pg_catalog.aclexplode(k.relacl) a
            where k.oid operator(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('%I.%I', _v.queue_schema, _v.queue_table))
              and a.grantee operator(pg_catalog.<>) k.relowner
        loop
            execute pg_catalog.format('grant usage on schema %I to %s', _v.queue_schema
                , case when _grantee.grantee operator(pg_catalog.=) 0 then 'public' else _grantee.grantee::pg_catalog.regrole::pg_catalog.text end);
            execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %s', _v.queue_schema, _failed
                , case when _grantee.grantee operator(pg_catalog.=) 0 then 'public' else _grantee.grantee::pg_catalog.regrole::pg_catalog.text end);
        end loop;
    end loop;
end;
