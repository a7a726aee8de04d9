//! What the extension contains: a golden file of every member object (like `\dx+ ai`), and the
//! public functions of the reference API (../shared/spec/sql-api.md) with their exact signatures.

mod common;

use anyhow::Result;
use common::*;
use std::collections::BTreeMap;
use testkit::PgCluster;

/// Every member object, one line each, with a function's result, volatility and security.
const MEMBERS: &str = r#"select string_agg(line, E'\n' order by line) from (
             select pg_describe_object(d.classid, d.objid, 0)
                 || case when d.classid = 'pg_proc'::regclass then
                        coalesce(' returns ' || pg_get_function_result(d.objid), '')
                        || case when p.prokind = 'p' then ' (procedure)' when p.provolatile = 'i' then ' immutable' when p.provolatile = 's' then ' stable' else ' volatile' end
                        || case when p.prosecdef then ' security definer' else '' end
                    else '' end as line
             from pg_depend d
             left join pg_proc p on d.classid = 'pg_proc'::regclass and p.oid = d.objid
             where d.refclassid = 'pg_extension'::regclass and d.deptype = 'e'
               and d.refobjid = (select oid from pg_extension where extname = 'ai')) x"#;

/// The 0.7 layout's release (the vectorizer catalog inside the extension).
#[tokio::test]
async fn the_extension_contents_match_the_golden_file() -> Result<()> {
    testkit::require_suite!("CONTENTS");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "contents").await?;
    insta::assert_snapshot!("extension_contents", psql_ok(pg, &db, MEMBERS)?);
    Ok(())
}

/// The current version (0.10's layout: the model functions and this project's additions; the
/// catalog is `pgai install`'s).
#[tokio::test]
async fn the_current_versions_contents_match_the_golden_file() -> Result<()> {
    testkit::require_suite!("CONTENTS");
    let pg = PgCluster::shared();
    let db = pg.create_db("contents_now").await?;
    psql_ok(pg, &db, "create extension ai cascade")?;
    insta::assert_snapshot!("extension_contents_current", psql_ok(pg, &db, MEMBERS)?);
    Ok(())
}

/// A function or procedure of the reference API, in the spec's words.
struct Spec {
    /// written by the model-calling work (issues 3 and 7): absent is reported, not a failure
    pending: bool,
    procedure: bool,
    name: &'static str,
    args: &'static str,
    returns: &'static str,
    /// volatility, parallel safety, security
    markers: &'static str,
}

const fn f(name: &'static str, args: &'static str, returns: &'static str, markers: &'static str) -> Spec {
    Spec { pending: false, procedure: false, name, args, returns, markers }
}
const fn pending(name: &'static str, args: &'static str, returns: &'static str, markers: &'static str) -> Spec {
    Spec { pending: true, procedure: false, name, args, returns, markers }
}

/// "Public functions, views and procedures" of the spec, verbatim but for the `ai.` prefix.
const PUBLIC: &[Spec] = &[
    pending("openai_tokenize", "model text, text_input text", "int[]", "immutable parallel safe security invoker"),
    pending("openai_detokenize", "model text, tokens int[]", "text", "immutable parallel safe security invoker"),
    pending("openai_list_models", "api_key text default null, api_key_name text default null, base_url text default null", "table (id text, created timestamptz, owned_by text)", "volatile parallel safe security invoker"),
    pending("openai_embed", "model text, input_text text, api_key text default null, api_key_name text default null, base_url text default null, dimensions int default null, openai_user text default null", "vector", "immutable parallel safe security invoker"),
    pending("openai_embed", "model text, input_texts text[], api_key text default null, api_key_name text default null, base_url text default null, dimensions int default null, openai_user text default null", "table (\"index\" int, embedding vector)", "immutable parallel safe security invoker"),
    pending("openai_embed", "model text, input_tokens int[], api_key text default null, api_key_name text default null, base_url text default null, dimensions int default null, openai_user text default null", "vector", "immutable parallel safe security invoker"),
    pending("openai_chat_complete", "model text, messages jsonb, api_key text default null, api_key_name text default null, base_url text default null, frequency_penalty float8 default null, logit_bias jsonb default null, logprobs boolean default null, top_logprobs int default null, max_tokens int default null, n int default null, presence_penalty float8 default null, response_format jsonb default null, seed int default null, stop text default null, temperature float8 default null, top_p float8 default null, tools jsonb default null, tool_choice jsonb default null, openai_user text default null", "jsonb", "volatile parallel safe security invoker"),
    pending("openai_chat_complete_simple", "message text, api_key text default null, api_key_name text default null", "text", "volatile parallel safe security invoker"),
    pending("openai_moderate", "model text, input_text text, api_key text default null, api_key_name text default null, base_url text default null", "jsonb", "immutable parallel safe security invoker"),
    pending("ollama_list_models", "host text default null", "table (\"name\" text, model text, size bigint, digest text, family text, format text, families jsonb, parent_model text, parameter_size text, quantization_level text, modified_at timestamptz)", "volatile parallel safe security invoker"),
    pending("ollama_ps", "host text default null", "table (\"name\" text, model text, size bigint, digest text, parent_model text, format text, family text, families jsonb, parameter_size text, quantization_level text, expires_at timestamptz, size_vram bigint)", "volatile parallel safe security invoker"),
    pending("ollama_embed", "model text, input_text text, host text default null, keep_alive text default null, embedding_options jsonb default null", "vector", "immutable parallel safe security invoker"),
    pending("ollama_generate", "model text, prompt text, host text default null, images bytea[] default null, keep_alive text default null, embedding_options jsonb default null, system_prompt text default null, template text default null, context int[] default null", "jsonb", "volatile parallel safe security invoker"),
    pending("ollama_chat_complete", "model text, messages jsonb, host text default null, keep_alive text default null, chat_options jsonb default null", "jsonb", "volatile parallel safe security invoker"),
    pending("anthropic_generate", "model text, messages jsonb, max_tokens int default 1024, api_key text default null, api_key_name text default null, base_url text default null, timeout float8 default null, max_retries int default null, system_prompt text default null, user_id text default null, stop_sequences text[] default null, temperature float8 default null, tool_choice jsonb default null, tools jsonb default null, top_k int default null, top_p float8 default null", "jsonb", "volatile parallel safe security invoker"),
    pending("cohere_list_models", "api_key text default null, api_key_name text default null, endpoint text default null, default_only bool default null", "table (\"name\" text, endpoints text[], finetuned bool, context_length int, tokenizer_url text, default_endpoints text[])", "volatile parallel safe security invoker"),
    pending("cohere_tokenize", "model text, text_input text, api_key text default null, api_key_name text default null", "int[]", "immutable parallel safe security invoker"),
    pending("cohere_detokenize", "model text, tokens int[], api_key text default null, api_key_name text default null", "text", "immutable parallel safe security invoker"),
    pending("cohere_embed", "model text, input_text text, api_key text default null, api_key_name text default null, input_type text default null, truncate_long_inputs text default null", "vector", "immutable parallel safe security invoker"),
    pending("cohere_classify", "model text, inputs text[], api_key text default null, api_key_name text default null, examples jsonb default null, truncate_long_inputs text default null", "jsonb", "immutable parallel safe security invoker"),
    pending("cohere_classify_simple", "model text, inputs text[], api_key text default null, api_key_name text default null, examples jsonb default null, truncate_long_inputs text default null", "table (input text, prediction text, confidence float8)", "immutable parallel safe security invoker"),
    pending("cohere_rerank", "model text, query text, documents jsonb, api_key text default null, api_key_name text default null, top_n integer default null, rank_fields text[] default null, return_documents bool default null, max_chunks_per_doc int default null", "jsonb", "immutable parallel safe security invoker"),
    pending("cohere_rerank_simple", "model text, query text, documents jsonb, api_key text default null, api_key_name text default null, top_n integer default null, max_chunks_per_doc int default null", "table (\"index\" int, \"document\" jsonb, relevance_score float8)", "immutable parallel safe security invoker"),
    pending("cohere_chat_complete", "model text, message text, api_key text default null, api_key_name text default null, preamble text default null, chat_history jsonb default null, conversation_id text default null, prompt_truncation text default null, connectors jsonb default null, search_queries_only bool default null, documents jsonb default null, citation_quality text default null, temperature float8 default null, max_tokens int default null, max_input_tokens int default null, k int default null, p float8 default null, seed int default null, stop_sequences text[] default null, frequency_penalty float8 default null, presence_penalty float8 default null, tools jsonb default null, tool_results jsonb default null, force_single_step bool default null", "jsonb", "volatile parallel safe security invoker"),
    f("chunking_character_text_splitter", "chunk_column name, chunk_size int4 default 800, chunk_overlap int4 default 400, separator text default E'\\n\\n', is_separator_regex bool default false", "jsonb", "immutable security invoker"),
    f("chunking_recursive_character_text_splitter", "chunk_column name, chunk_size int4 default 800, chunk_overlap int4 default 400, separators text[] default array[E'\\n\\n', E'\\n', '.', '?', '!', ' ', ''], is_separator_regex bool default false", "jsonb", "immutable security invoker"),
    f("formatting_python_template", "template text default '$chunk'", "jsonb", "immutable security invoker"),
    f("scheduling_none", "", "jsonb", "immutable security invoker"),
    f("scheduling_default", "", "jsonb", "immutable security invoker"),
    f("scheduling_timescaledb", "schedule_interval interval default interval '5m', initial_start timestamptz default null, fixed_schedule bool default null, timezone text default null", "jsonb", "immutable security invoker"),
    f("embedding_openai", "model text, dimensions int4, chat_user text default null, api_key_name text default 'OPENAI_API_KEY', base_url text default null", "jsonb", "immutable security invoker"),
    f("embedding_ollama", "model text, dimensions int4, base_url text default null, options jsonb default null, keep_alive text default null", "jsonb", "immutable security invoker"),
    f("embedding_voyageai", "model text, dimensions int4, input_type text default 'document', api_key_name text default 'VOYAGE_API_KEY'", "jsonb", "immutable security invoker"),
    f("indexing_none", "", "jsonb", "immutable security invoker"),
    f("indexing_default", "", "jsonb", "immutable security invoker"),
    f("indexing_diskann", "min_rows int4 default 100000, storage_layout text default null, num_neighbors int4 default null, search_list_size int4 default null, max_alpha float8 default null, num_dimensions int4 default null, num_bits_per_dimension int4 default null, create_when_queue_empty bool default true", "jsonb", "immutable security invoker"),
    f("indexing_hnsw", "min_rows int4 default 100000, opclass text default 'vector_cosine_ops', m int4 default null, ef_construction int4 default null, create_when_queue_empty bool default true", "jsonb", "immutable security invoker"),
    f("processing_default", "batch_size int4 default null, concurrency int4 default null", "jsonb", "immutable security invoker"),
    f("grant_to", "variadic grantees name[]", "name[]", "volatile security invoker"),
    f("grant_to", "", "name[]", "volatile security invoker"),
    f("execute_vectorizer", "vectorizer_id int4", "void", "volatile security invoker"),
    f("create_vectorizer", "source regclass, destination name default null, embedding jsonb default null, chunking jsonb default null, indexing jsonb default ai.indexing_default(), formatting jsonb default ai.formatting_python_template(), scheduling jsonb default ai.scheduling_default(), processing jsonb default ai.processing_default(), target_schema name default null, target_table name default null, view_schema name default null, view_name name default null, queue_schema name default null, queue_table name default null, grant_to name[] default ai.grant_to(), enqueue_existing bool default true", "int4", "volatile security invoker"),
    f("disable_vectorizer_schedule", "vectorizer_id int4", "void", "volatile security invoker"),
    f("enable_vectorizer_schedule", "vectorizer_id int4", "void", "volatile security invoker"),
    f("drop_vectorizer", "vectorizer_id int4, drop_all bool default false", "void", "volatile security invoker"),
    f("vectorizer_queue_pending", "vectorizer_id int4, exact_count bool default false", "int8", "stable security invoker"),
    pending("vectorizer_embed", "embedding_config jsonb, input_text text, input_type text default null", "vector", "immutable security invoker"),
    pending("vectorizer_embed", "vectorizer_id int4, input_text text, input_type text default null", "vector", "stable security invoker"),
    f("reveal_secret", "secret_name text, use_cache bool default true", "text", "stable security invoker"),
    f("grant_secret", "secret_name text, grant_to_role text", "void", "volatile security invoker"),
    f("revoke_secret", "secret_name text, revoke_from_role text", "void", "volatile security invoker"),
    pending("voyageai_embed", "model text, input_text text, input_type text default null, api_key text default null, api_key_name text default null", "vector", "immutable parallel safe security invoker"),
    pending("voyageai_embed", "model text, input_texts text[], input_type text default null, api_key text default null, api_key_name text default null", "table (\"index\" int, embedding vector)", "immutable parallel safe security invoker"),
    Spec { pending: true, procedure: true, name: "load_dataset_multi_txn", args: "name text, config_name text default null, split text default null, schema_name name default 'public', table_name name default null, if_table_exists text default 'error', field_types jsonb default null, batch_size int default 5000, max_batches int default null, commit_every_n_batches int default 1, kwargs jsonb default '{}'", returns: "", markers: "security invoker" },
    pending("load_dataset", "name text, config_name text default null, split text default null, schema_name name default 'public', table_name name default null, if_table_exists text default 'error', field_types jsonb default null, batch_size int default 5000, max_batches int default null, kwargs jsonb default '{}'", "bigint", "volatile security invoker"),
    f("grant_ai_usage", "to_user name, admin bool default false", "void", "volatile security invoker"),
];

/// Internal helpers of the reference that this project keeps under the same names and signatures
/// (the spec allows others to differ).
const HELPERS: &[Spec] = &[
    f(
        "_vectorizer_vector_index_exists",
        "target_schema name, target_table name, indexing jsonb",
        "bool",
        "volatile security invoker",
    ),
    f("_vectorizer_should_create_vector_index", "vectorizer ai.vectorizer", "boolean", "volatile security invoker"),
    f(
        "_vectorizer_create_vector_index",
        "target_schema name, target_table name, indexing jsonb",
        "void",
        "volatile security invoker",
    ),
    Spec {
        pending: false,
        procedure: true,
        name: "_vectorizer_job",
        args: "job_id int4 default null, config jsonb default null",
        returns: "",
        markers: "security invoker",
    },
    f("_vectorizer_schedule_job", "vectorizer_id int4, scheduling jsonb", "int8", "volatile security invoker"),
    f("_vectorizer_create_dependencies", "vectorizer_id int4", "void", "volatile security definer"),
    f("_vectorizer_handle_drops", "", "event_trigger", "volatile security definer"),
    f("_vectorizer_source_pk", "source_table regclass", "jsonb", "stable security invoker"),
    f("_resolve_scheduling_default", "", "jsonb", "volatile security invoker"),
    f("_resolve_indexing_default", "", "jsonb", "volatile security invoker"),
    f("_validate_indexing_diskann", "config jsonb", "void", "immutable security invoker"),
    f("_validate_indexing_hnsw", "config jsonb", "void", "immutable security invoker"),
    f("_validate_indexing", "config jsonb", "void", "immutable security invoker"),
    f("_validate_scheduling", "config jsonb", "void", "immutable security invoker"),
    f("_validate_processing", "config jsonb", "void", "immutable security invoker"),
];

/// What PostgreSQL says about one function: its arguments with names and defaults, its result,
/// kind, volatility, parallel safety and security.
#[derive(Debug, PartialEq, Clone)]
struct Described {
    argtypes: String,
    arguments: String,
    result: String,
    kind: String,
    volatility: String,
    parallel: String,
    security_definer: bool,
}

type Catalog = BTreeMap<String, Vec<Described>>;
/// name, argument types, arguments, result, kind, volatility, parallel safety, security definer
type ProcRow = (String, String, String, String, String, String, String, bool);

async fn describe(tx: &mut sqlx::PgConnection, schema: &str) -> Result<Catalog> {
    let rows: Vec<ProcRow> = sqlx::query_as(
        "select p.proname::text, p.proargtypes::text, pg_get_function_arguments(p.oid), coalesce(pg_get_function_result(p.oid), ''),
                p.prokind::text, p.provolatile::text, p.proparallel::text, p.prosecdef
         from pg_proc p where p.pronamespace = $1::regnamespace order by 1, 2",
    )
    .bind(schema)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Catalog::new();
    for (name, argtypes, arguments, result, kind, volatility, parallel, security_definer) in rows {
        out.entry(name).or_default().push(Described {
            argtypes,
            arguments,
            result,
            kind,
            volatility,
            parallel,
            security_definer,
        });
    }
    Ok(out)
}

/// Declares every entry as a stub in schema `spec` so PostgreSQL spells both sides the same way.
fn stubs(entries: &[Spec]) -> String {
    let mut sql = String::from(
        "set local check_function_bodies = off; set local search_path = public, pg_catalog; create schema spec;\n",
    );
    for e in entries {
        if e.procedure {
            sql.push_str(&format!(
                "create procedure spec.{}({}) language plpgsql {} as $s$ begin end $s$;\n",
                e.name, e.args, e.markers
            ));
        } else {
            sql.push_str(&format!(
                "create function spec.{}({}) returns {} language plpgsql {} as $s$ begin end $s$;\n",
                e.name, e.args, e.returns, e.markers
            ));
        }
    }
    sql
}

/// Problems (which fail the test) and notes (pending entries that are absent) for `entries`.
async fn compare(pg: &PgCluster, db: &str, entries: &[Spec]) -> Result<(Vec<String>, Vec<String>)> {
    let pool = pg.pool(db).await?;
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(&stubs(entries)).execute(&mut *tx).await?;
    let spec = describe(&mut tx, "spec").await?;
    let ai = describe(&mut tx, "ai").await?;
    tx.rollback().await?;

    let (mut problems, mut notes) = (Vec::new(), Vec::new());
    for (name, wanted) in &spec {
        let pending = entries.iter().any(|e| e.name == name && e.pending);
        let found = ai.get(name).cloned().unwrap_or_default();
        for w in wanted {
            match found.iter().find(|a| a.argtypes == w.argtypes) {
                Some(a) if a == w => {}
                Some(a) => problems.push(format!("ai.{name}: signature differs\n    spec: {w:?}\n    ours: {a:?}")),
                None if pending && found.is_empty() => {
                    notes.push(format!("ai.{name}({}): missing (pending issue 3/7)", w.arguments))
                }
                None => problems.push(format!("ai.{name}({}): missing", w.arguments)),
            }
        }
        // an overload the spec does not list, under a spec name, is a wrong signature
        for a in found.iter().filter(|a| !wanted.iter().any(|w| w.argtypes == a.argtypes)) {
            problems
                .push(format!("ai.{name}({}) -> {}: not in the spec (wrong argument types?)", a.arguments, a.result));
        }
    }
    Ok((problems, notes))
}

#[tokio::test]
async fn every_public_function_of_the_spec_exists_with_its_exact_signature() -> Result<()> {
    testkit::require_suite!("CONTENTS");
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "signatures").await?;
    let (mut problems, notes) = compare(pg, &db, PUBLIC).await?;
    let (helper_problems, _) = compare(pg, &db, HELPERS).await?;
    problems.extend(helper_problems);

    // the views
    for (view, columns) in [
        ("ai.vectorizer_status", "id integer, source_table text, target_table text, view text, pending_items bigint"),
        ("ai.secret_permissions", "name text, role text"),
    ] {
        let got = psql_ok(pg, &db, &format!("select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum) from pg_attribute where attrelid = '{view}'::regclass and attnum > 0 and (select relkind from pg_class where oid = '{view}'::regclass) = 'v'"))?;
        // exactly the spec's: this project's additions live in schema ai_extra
        if got != columns {
            problems.push(format!("view {view}: columns {got:?}, spec {columns:?}"));
        }
    }
    for n in &notes {
        println!("{n}");
    }
    assert!(problems.is_empty(), "{} differences from the spec:\n{}", problems.len(), problems.join("\n"));
    Ok(())
}
