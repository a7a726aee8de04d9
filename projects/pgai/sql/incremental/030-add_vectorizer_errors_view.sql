-- The errors table becomes ai._vectorizer_errors; ai.vectorizer_errors is a view over it that
-- names the vectorizer. Whoever could read the table may read the view.
declare
    _grant pg_catalog.record;
begin
    alter table ai.vectorizer_errors rename to _vectorizer_errors;
    alter index ai.vectorizer_errors_id_recorded_idx rename to _vectorizer_errors_id_recorded_idx;
    create or replace view ai.vectorizer_errors as
    select e.*, v.name from ai._vectorizer_errors e left join ai.vectorizer v on e.id operator(pg_catalog.=) v.id;
    for _grant in
        select distinct a.grantee, a.is_grantable
        from pg_catalog.pg_class k
        cross join lateral pg_catalog.aclexplode(k.relacl) a
        where k.oid operator(pg_catalog.=) 'ai._vectorizer_errors'::pg_catalog.regclass
          and a.privilege_type operator(pg_catalog.=) 'SELECT'
          and a.grantee operator(pg_catalog.<>) k.relowner
    loop
        execute pg_catalog.format('grant select on ai.vectorizer_errors to %s%s'
            , case when _grant.grantee operator(pg_catalog.=) 0 then 'public' else _grant.grantee::pg_catalog.regrole::pg_catalog.text end
            , case when _grant.is_grantable then ' with grant option' else '' end);
    end loop;
end;
