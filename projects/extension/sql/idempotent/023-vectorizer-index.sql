-- The indexing step: the vector index on a vectorizer's target table (hnsw from pgvector,
-- diskann from pgvectorscale), created once the target holds `min_rows` rows and, with
-- `create_when_queue_empty`, the queue is empty. The TimescaleDB job (ai._vectorizer_job) runs
-- it; so do this project's workers, after each batch
-- (ai_extra._vectorizer_create_vector_index_if_needed).

-- Whether the table has an index of the configured kind (hnsw or diskann) whose first key
-- column is `embedding`. Invalid indexes (a failed concurrent build) count too: the owner must
-- drop or rebuild them, a second index would not help.
create or replace function ai._vectorizer_vector_index_exists
( target_schema pg_catalog.name
, target_table pg_catalog.name
, indexing pg_catalog.jsonb
) returns pg_catalog.bool
as $func$
declare
    _implementation pg_catalog.text = indexing operator(pg_catalog.->>) 'implementation';
begin
    if _implementation is null or _implementation not in ('hnsw', 'diskann') then
        raise exception 'unrecognized index implementation: %s', _implementation;
    end if;
    return exists
    ( select 1
      from pg_catalog.pg_class k
      join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) k.relnamespace
      join pg_catalog.pg_index i on i.indrelid operator(pg_catalog.=) k.oid
      join pg_catalog.pg_class ik on ik.oid operator(pg_catalog.=) i.indexrelid
      join pg_catalog.pg_am am on am.oid operator(pg_catalog.=) ik.relam
      join pg_catalog.pg_attribute a
        on a.attrelid operator(pg_catalog.=) k.oid and a.attnum operator(pg_catalog.=) i.indkey[0]
      where n.nspname operator(pg_catalog.=) target_schema
        and k.relname operator(pg_catalog.=) target_table
        and a.attname operator(pg_catalog.=) 'embedding'
        and am.amname operator(pg_catalog.=) _implementation
    );
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Whether the vectorizer's index is due: indexing is hnsw or diskann, the index does not exist
-- yet, the queue is empty (unless create_when_queue_empty is false) and the target has at
-- least min_rows rows (counted up to min_rows only).
create or replace function ai._vectorizer_should_create_vector_index(vectorizer ai.vectorizer) returns pg_catalog.bool
as $func$
declare
    _indexing pg_catalog.jsonb = vectorizer.config operator(pg_catalog.->) 'indexing';
    _min_rows pg_catalog.int8;
    _count pg_catalog.int8;
    _queued pg_catalog.bool;
begin
    if _indexing is null or coalesce(_indexing operator(pg_catalog.->>) 'implementation', 'none') not in ('hnsw', 'diskann') then
        return false;
    end if;
    if pg_catalog.to_regclass(pg_catalog.format('%I.%I', vectorizer.target_schema, vectorizer.target_table)) is null then
        return false;
    end if;
    if ai._vectorizer_vector_index_exists(vectorizer.target_schema, vectorizer.target_table, _indexing) then
        return false;
    end if;
    if coalesce((_indexing operator(pg_catalog.->>) 'create_when_queue_empty')::pg_catalog.bool, true)
       and pg_catalog.to_regclass(pg_catalog.format('%I.%I', vectorizer.queue_schema, vectorizer.queue_table)) is not null then
        execute pg_catalog.format('select exists (select 1 from %I.%I)', vectorizer.queue_schema, vectorizer.queue_table)
        into _queued;
        if _queued then
            raise notice 'queue for %.% is not empty. skipping vector index creation', vectorizer.target_schema, vectorizer.target_table;
            return false;
        end if;
    end if;
    _min_rows = coalesce((_indexing operator(pg_catalog.->>) 'min_rows')::pg_catalog.int8, 0);
    if _min_rows operator(pg_catalog.<=) 0 then
        return true;
    end if;
    execute pg_catalog.format('select pg_catalog.count(*) from (select 1 from %I.%I limit %s) x',
        vectorizer.target_schema, vectorizer.target_table, _min_rows)
    into _count;
    return _count operator(pg_catalog.>=) _min_rows;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- Creates the vector index on the target's `embedding` column:
--   hnsw:    create index on <target> using hnsw (embedding <vector schema>.<opclass>) with (m, ef_construction)
--   diskann: create index on <target> using diskann (embedding) with (storage_layout, num_neighbors,
--            search_list_size, max_alpha, num_dimensions, num_bits_per_dimension)
-- Only the options that are set go in the `with` list. One session builds at a time: a
-- transaction-scoped advisory lock on the table; a session that cannot take it warns and returns
-- (it never waits), and the lock is held until the builder's transaction ends.
create or replace function ai._vectorizer_create_vector_index
( target_schema pg_catalog.name
, target_table pg_catalog.name
, indexing pg_catalog.jsonb
) returns void
as $func$
declare
    _implementation pg_catalog.text = indexing operator(pg_catalog.->>) 'implementation';
    _target pg_catalog.regclass = pg_catalog.format('%I.%I', target_schema, target_table)::pg_catalog.regclass;
    _vector_schema pg_catalog.name;
    _with pg_catalog.text;
begin
    if not pg_catalog.pg_try_advisory_xact_lock(1982010642, _target::pg_catalog.oid::pg_catalog.int4) then
        raise warning 'another process is already building a vector index on %.%', target_schema, target_table;
        return;
    end if;
    if _implementation in ('hnsw', 'diskann') and ai._vectorizer_vector_index_exists(target_schema, target_table, indexing) then
        raise notice 'the vector index on %.% already exists', target_schema, target_table;
        return;
    end if;
    case _implementation
        when 'hnsw' then
            select n.nspname into _vector_schema
            from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) e.extnamespace
            where e.extname operator(pg_catalog.=) 'vector';
            select pg_catalog.string_agg(pg_catalog.format('%s=%s', o.k, (indexing operator(pg_catalog.->>) o.k)::pg_catalog.int4), ', ' order by o.ord)
            into _with
            from pg_catalog.unnest(array['m', 'ef_construction']) with ordinality o(k, ord)
            where indexing operator(pg_catalog.->>) o.k is not null;
            execute pg_catalog.format('create index on %I.%I using hnsw (embedding %I.%I)%s'
                , target_schema, target_table, _vector_schema
                , coalesce(indexing operator(pg_catalog.->>) 'opclass', 'vector_cosine_ops')
                , case when _with is null then '' else ' with (' operator(pg_catalog.||) _with operator(pg_catalog.||) ')' end);
        when 'diskann' then
            select pg_catalog.string_agg(case o.k
                    when 'storage_layout' then pg_catalog.format('%s=%L', o.k, indexing operator(pg_catalog.->>) o.k)
                    when 'max_alpha' then pg_catalog.format('%s=%s', o.k, (indexing operator(pg_catalog.->>) o.k)::pg_catalog.float8)
                    else pg_catalog.format('%s=%s', o.k, (indexing operator(pg_catalog.->>) o.k)::pg_catalog.int4) end
                , ', ' order by o.ord)
            into _with
            from pg_catalog.unnest(array['storage_layout', 'num_neighbors', 'search_list_size', 'max_alpha'
                , 'num_dimensions', 'num_bits_per_dimension']) with ordinality o(k, ord)
            where indexing operator(pg_catalog.->>) o.k is not null;
            execute pg_catalog.format('create index on %I.%I using diskann (embedding)%s'
                , target_schema, target_table
                , case when _with is null then '' else ' with (' operator(pg_catalog.||) _with operator(pg_catalog.||) ')' end);
        else
            raise exception 'unrecognized index implementation: %s', _implementation;
    end case;
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;

-- This project's indexing step, for its workers (after each batch): ai._vectorizer_job's
-- indexing part for one vectorizer. Returns true when it created the index. Safe to call from
-- many sessions at once: a transaction-scoped advisory lock per vectorizer lets one session
-- check while the others return false at once (they never wait, so a worker that calls this
-- inside its batch transaction cannot deadlock with another). Building the index needs
-- ownership of the target table: when the index is due and the caller does not own it, this is
-- an error (SQLSTATE 42501) that names the owner.
create or replace function ai_extra._vectorizer_create_vector_index_if_needed(vectorizer_id pg_catalog.int4) returns pg_catalog.bool
as $func$
declare
    _v ai.vectorizer;
    _owner pg_catalog.oid;
begin
    select * into _v from ai.vectorizer v where v.id operator(pg_catalog.=) vectorizer_id;
    if not found then
        raise exception 'vectorizer % does not exist', vectorizer_id;
    end if;
    if coalesce(_v.config operator(pg_catalog.#>>) '{indexing,implementation}', 'none') not in ('hnsw', 'diskann') then
        return false;
    end if;
    if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('ai_extra._vectorizer_create_vector_index_if_needed'), vectorizer_id) then
        return false;  -- another session is checking or building this index right now
    end if;
    if not ai._vectorizer_should_create_vector_index(_v) then
        return false;
    end if;
    select k.relowner into _owner from pg_catalog.pg_class k
    where k.oid operator(pg_catalog.=) pg_catalog.format('%I.%I', _v.target_schema, _v.target_table)::pg_catalog.regclass;
    if not pg_catalog.pg_has_role(current_user, _owner, 'usage') then
        raise exception 'the vector index of vectorizer % is due, but role % does not own its target table %.%',
            vectorizer_id, pg_catalog.quote_ident(current_user), pg_catalog.quote_ident(_v.target_schema), pg_catalog.quote_ident(_v.target_table)
            using errcode = 'insufficient_privilege'
            , hint = pg_catalog.format('run the indexing step as %s, the owner: select ai_extra._vectorizer_create_vector_index_if_needed(%s)', pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(_owner)), vectorizer_id);
    end if;
    if _v.config operator(pg_catalog.#>>) '{indexing,implementation}' operator(pg_catalog.=) 'diskann'
       and not exists (select 1 from pg_catalog.pg_extension where extname operator(pg_catalog.=) 'vectorscale') then
        raise exception 'indexing_diskann needs the vectorscale extension (pgvectorscale), which is not installed'
            using hint = 'create extension vectorscale, or switch the vectorizer to ai.indexing_hnsw()';
    end if;
    perform ai._vectorizer_create_vector_index(_v.target_schema, _v.target_table, _v.config operator(pg_catalog.->) 'indexing');
    return ai._vectorizer_vector_index_exists(_v.target_schema, _v.target_table, _v.config operator(pg_catalog.->) 'indexing');
end;
$func$ language plpgsql volatile security invoker set search_path to pg_catalog, pg_temp;
