-- 0.10.0: the vectorizer catalog leaves the extension, as in pgai 0.10: `pgai install` installs
-- and upgrades it in any PostgreSQL, and this extension keeps the model functions and its own
-- additions. A database upgraded from 0.7.x keeps its vectorizers: their tables, rows, queues
-- and embeddings stay; the 0.7 functions and views go; the catalog's tables leave the extension
-- for the database owner; and ai.pgai_lib_migration records what of `pgai install`'s migrations
-- the 0.7 catalog already is, so that `pgai install` converts the rest (names, loading,
-- destinations, failed queues, ...) without embedding anything again. Until then the worker
-- goes on processing the vectorizers as they are.
do $divest$
declare
    _dbowner pg_catalog.name;
    _left pg_catalog.text[];
    _before pg_catalog.int4;
    _f pg_catalog.record;
    -- the 0.7 catalog's functions (pgai install brings today's)
    _gone pg_catalog.text[] = array
        [ 'ai.create_vectorizer', 'ai.drop_vectorizer', 'ai.vectorizer_queue_pending', 'ai.vectorizer_embed'
        , 'ai.enable_vectorizer_schedule', 'ai.disable_vectorizer_schedule', 'ai._vectorizer_job', 'ai._vectorizer_handle_drops'
        , 'ai._vectorizer_create_dependencies', 'ai._vectorizer_schedule_job', 'ai._vectorizer_create_vector_index'
        , 'ai._vectorizer_should_create_vector_index', 'ai._vectorizer_vector_index_exists', 'ai._vectorizer_create_queue_table'
        , 'ai._vectorizer_create_source_trigger', 'ai._vectorizer_create_target_table', 'ai._vectorizer_create_view'
        , 'ai._vectorizer_grant_to_source', 'ai._vectorizer_grant_to_vectorizer', 'ai._vectorizer_source_pk'
        , 'ai.chunking_character_text_splitter', 'ai.chunking_recursive_character_text_splitter', 'ai._validate_chunking'
        , 'ai.formatting_python_template', 'ai._validate_formatting', 'ai._validate_formatting_python_template'
        , 'ai.embedding_openai', 'ai.embedding_ollama', 'ai.embedding_voyageai', 'ai._validate_embedding'
        , 'ai.indexing_none', 'ai.indexing_default', 'ai.indexing_diskann', 'ai.indexing_hnsw', 'ai._validate_indexing'
        , 'ai._validate_indexing_diskann', 'ai._validate_indexing_hnsw', 'ai._resolve_indexing_default'
        , 'ai.scheduling_none', 'ai.scheduling_default', 'ai.scheduling_timescaledb', 'ai._resolve_scheduling_default'
        , 'ai._validate_scheduling', 'ai.processing_default', 'ai._validate_processing', 'ai.grant_to'
        , 'ai_extra._python_template_placeholders', 'ai_extra._known_model_dimensions', 'ai_extra._validate_model_dimensions'
        , 'ai_extra._validate_indexing_ranges', 'ai_extra._grantees', 'ai_extra._pk_list', 'ai_extra._vectorizer_pk_type'
        , 'ai_extra._vectorizer_check_names', 'ai_extra._vectorizer_drop_objects', 'ai_extra._vectorizer_create_vector_index_if_needed'
        , 'ai_extra._timescaledb_schema', 'ai_extra._vectorizer_set_scheduled', 'ai_extra._vectorizer_unschedule_job'
        , 'ai_extra._vectorizer_record_dependencies', 'ai_extra._vectorizer_check_secret'
        ];
begin
    if pg_catalog.to_regclass('ai.vectorizer') is null or not exists
    ( select 1 from pg_catalog.pg_depend d
      join pg_catalog.pg_extension e on e.oid operator(pg_catalog.=) d.refobjid
      where d.classid operator(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
        and d.objid operator(pg_catalog.=) pg_catalog.to_regclass('ai.vectorizer')
        and d.deptype operator(pg_catalog.=) 'e' and e.extname operator(pg_catalog.=) 'ai'
    ) then
        return;  -- a fresh install, or a catalog of `pgai install`: nothing to hand over
    end if;

    -- the 0.7 API: its event trigger, triggers, views and functions
    drop event trigger if exists _vectorizer_handle_drops;
    drop trigger if exists _vectorizer_record_dependencies on ai.vectorizer;
    drop trigger if exists _vectorizer_check_secret on ai.vectorizer;
    drop view if exists ai.vectorizer_status;
    drop view if exists ai_extra.vectorizer_worker_status;
    drop table if exists ai_extra.vectorizer_worker_progress;
    -- dropped in passes: a function may be another's default, and none is dropped with cascade
    -- (an object of the user's that uses one stops the upgrade, with PostgreSQL's message)
    loop
        select pg_catalog.count(*) into _before
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) p.pronamespace
        where n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) p.proname operator(pg_catalog.=) any(_gone);
        exit when _before operator(pg_catalog.=) 0;
        _left = '{}';
        for _f in
            select p.oid::pg_catalog.regprocedure as fn, p.prokind
            from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) p.pronamespace
            where n.nspname operator(pg_catalog.||) '.' operator(pg_catalog.||) p.proname operator(pg_catalog.=) any(_gone)
        loop
            begin
                execute pg_catalog.format('drop %s %s', case when _f.prokind operator(pg_catalog.=) 'p' then 'procedure' else 'function' end, _f.fn);
            exception when dependent_objects_still_exist then
                _left = _left operator(pg_catalog.||) _f.fn::pg_catalog.text;
            end;
        end loop;
        if pg_catalog.cardinality(_left) operator(pg_catalog.=) _before then
            raise exception 'the 0.7 vectorizer functions % are in use by other objects: drop or change those first', _left
                using hint = 'see which with: select pg_describe_object(classid, objid, objsubid) from pg_depend where refobjid = ''<function>''::regprocedure';
        end if;
    end loop;

    -- the catalog's tables leave the extension, for the database owner (who runs `pgai install`)
    select pg_catalog.pg_get_userbyid(d.datdba) into strict _dbowner
    from pg_catalog.pg_database d where d.datname operator(pg_catalog.=) pg_catalog.current_database();
    alter extension ai drop table ai.vectorizer;
    alter extension ai drop sequence ai.vectorizer_id_seq;
    alter extension ai drop table ai.vectorizer_errors;
    execute pg_catalog.format('alter table ai.vectorizer owner to %I', _dbowner);
    execute pg_catalog.format('alter table ai.vectorizer_errors owner to %I', _dbowner);

    -- what `pgai install` would have done to make this catalog: recorded as done
    create table ai.pgai_lib_migration
    ( "name" pg_catalog.text not null primary key
    , applied_at_version pg_catalog.text not null
    , applied_at pg_catalog.timestamptz not null default pg_catalog.clock_timestamp()
    , body pg_catalog.text not null
    );
    alter extension ai drop table ai.pgai_lib_migration;
    execute pg_catalog.format('alter table ai.pgai_lib_migration owner to %I', _dbowner);
    insert into ai.pgai_lib_migration ("name", applied_at_version, body)
    select x, 'unpackaged', '-- done by the ai extension before 0.10.0, recorded when it handed the catalog over'
    from pg_catalog.unnest(array['001-vectorizer.sql', '003-vec-storage.sql', '005-vectorizer-queue-pending.sql', '006-drop-vectorizer.sql']) x;
end;
$divest$;
