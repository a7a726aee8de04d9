//! The model-calling functions, through SQL on a real PostgreSQL, against local servers that
//! speak each provider's protocol (testkit::fake). Checks what was sent as well as what came back.

mod common;

use anyhow::Result;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::fake::{self, fake_embedding};
use testkit::http::Reply;
use testkit::PgCluster;

const KEY: &str = "sk-test-key-0123456789abcdef";
const FORBIDDEN: &str = "forbidden-env-secret-5d1f";

fn cluster() -> Result<PgCluster> {
    PgCluster::builder().env("TEST_FORBIDDEN_KEY", FORBIDDEN).start()
}

async fn db(pg: &PgCluster, prefix: &str) -> Result<String> {
    let db = pg.create_db(prefix).await?;
    psql_ok(pg, &db, &format!("create extension ai version '{LAYOUT_07}' cascade"))?;
    Ok(db)
}

fn floats(text: &str) -> Vec<f32> {
    text.trim_matches(|c| c == '[' || c == ']').split(',').map(|x| x.trim().parse().unwrap()).collect()
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
}

#[tokio::test]
async fn openai_functions() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "openai").await?;
    let f = fake::openai(KEY);
    let base = f.base_url();
    let args = format!("api_key => '{KEY}', base_url => '{base}'");

    let v = psql_ok(&pg, &db, &format!("select ai.openai_embed('text-embedding-3-small', 'hello world', {args})"))?;
    assert_close(&floats(&v), &fake_embedding("hello world", 1536));
    let sent = f.last_request().unwrap();
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(sent.json()["model"], "text-embedding-3-small");
    assert_eq!(sent.json()["encoding_format"], "base64");

    // named arguments, dimensions and user; the key from the session setting
    let v = psql_ok(&pg, &db, &format!("set ai.openai_api_key = '{KEY}'; select ai.openai_embed(model => 'text-embedding-3-small', input_text => 'x', base_url => '{base}', dimensions => 4, openai_user => 'bob')"))?;
    assert_close(&floats(&v), &fake_embedding("x", 4));
    assert_eq!(f.last_request().unwrap().json()["dimensions"], 4);
    assert_eq!(f.last_request().unwrap().json()["user"], "bob");

    // the array form, in input order although the server answers in reverse
    let rows = psql_ok(&pg, &db, &format!("select string_agg(index || ':' || vector_dims(embedding), ',' order by index) from ai.openai_embed('text-embedding-3-small', array['a', 'b', 'c'], {args}, dimensions => 3)"))?;
    assert_eq!(rows, "0:3,1:3,2:3");
    let first = psql_ok(&pg, &db, &format!("select embedding from ai.openai_embed('text-embedding-3-small', array['a', 'b'], {args}, dimensions => 3) where index = 1"))?;
    assert_close(&floats(&first), &fake_embedding("b", 3));
    // token arrays
    let v = psql_ok(
        &pg,
        &db,
        &format!("select ai.openai_embed('text-embedding-3-small', array[15339, 1917], {args}, dimensions => 5)"),
    )?;
    assert_close(&floats(&v), &fake_embedding(&fake::tokens_text(&[15339, 1917]), 5));

    // offline tokenization
    assert_eq!(
        psql_ok(&pg, &db, "select ai.openai_tokenize('text-embedding-3-small', 'hello world')")?,
        "{15339,1917}"
    );
    assert_eq!(
        psql_ok(&pg, &db, "select ai.openai_detokenize('gpt-4o', ai.openai_tokenize('gpt-4o', 'héllo wörld'))")?,
        "héllo wörld"
    );
    psql_err(&pg, &db, "postgres", "select ai.openai_tokenize('no-such-model', 'x')", "no-such-model")?;

    // models, chat, moderation
    let models = psql_ok(&pg, &db, &format!("select id || '|' || owned_by || '|' || extract(epoch from created)::bigint from ai.openai_list_models({args}) where id = 'gpt-4o'"))?;
    assert_eq!(models, "gpt-4o|system|1715367049");
    let chat = psql_ok(
        &pg,
        &db,
        &format!(
            r#"select ai.openai_chat_complete('gpt-4o', '[{{"role": "user", "content": "hi"}}]', {args}, frequency_penalty => 0.5, logit_bias => '{{"50256": -100}}', logprobs => true, top_logprobs => 2, max_tokens => 10, n => 1, presence_penalty => 0.1, response_format => '{{"type": "text"}}', seed => 42, stop => 'END', temperature => 0.2, top_p => 0.9, tools => '[]', tool_choice => '"none"', openai_user => 'u1')->'choices'->0->'message'->>'role'"#
        ),
    )?;
    assert_eq!(chat, "assistant");
    let body = f.last_request().unwrap().json();
    for (k, v) in [
        ("frequency_penalty", "0.5"),
        ("logprobs", "true"),
        ("top_logprobs", "2"),
        ("max_tokens", "10"),
        ("seed", "42"),
        ("stop", "\"END\""),
        ("temperature", "0.2"),
        ("top_p", "0.9"),
        ("user", "\"u1\""),
        ("tool_choice", "\"none\""),
    ] {
        assert_eq!(body[k].to_string(), v, "{k} in {body}");
    }
    assert_eq!(body["logit_bias"]["50256"], -100);
    assert_eq!(body["response_format"]["type"], "text");
    let simple = psql_ok(
        &pg,
        &db,
        &format!(
            "set ai.openai_base_url = '{base}'; select ai.openai_chat_complete_simple('hi there', api_key => '{KEY}')"
        ),
    )?;
    assert!(!simple.is_empty());
    assert_eq!(f.last_request().unwrap().json()["model"], "gpt-4o");
    let flagged = psql_ok(
        &pg,
        &db,
        &format!(
            "select ai.openai_moderate('omni-moderation-latest', 'I will attack', {args})->'results'->0->>'flagged'"
        ),
    )?;
    assert_eq!(flagged, "true");
    Ok(())
}

#[tokio::test]
async fn openai_errors_name_what_to_fix_and_never_the_key() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "openai_err").await?;
    let f = fake::openai(KEY);
    let base = f.base_url();
    let role = format!("not_granted_{}", std::process::id());
    psql_ok(&pg, &db, &format!("create role {role} login; select ai.grant_ai_usage('{role}')"))?;

    // no key for the public API
    psql_err(
        &pg,
        &db,
        "postgres",
        "set ai.secret_env_enabled = false; select ai.openai_embed('m', 'x')",
        "plpy.Error: missing OPENAI_API_KEY secret",
    )?;
    psql_err(
        &pg,
        &db,
        "postgres",
        "select ai.openai_embed('m', 'x', api_key_name => 'MY_OTHER_KEY')",
        "plpy.Error: missing MY_OTHER_KEY secret",
    )?;
    // an environment secret the role was not granted
    psql_err(
        &pg,
        &db,
        &role,
        "select ai.openai_embed('m', 'x', api_key_name => 'TEST_FORBIDDEN_KEY')",
        "plpy.Error: user does not have access to secret 'TEST_FORBIDDEN_KEY'",
    )?;
    // at another base URL the call goes on without the key (such servers may need none)
    let out = psql(
        &pg,
        &db,
        &role,
        &format!("select ai.openai_embed('m', 'x', api_key_name => 'TEST_FORBIDDEN_KEY', base_url => '{base}')"),
    )?;
    assert!(!out.ok && out.stderr.contains("401") && !out.stderr.contains(FORBIDDEN), "{}", out.stderr);
    // a wrong key: the provider's 401 and message, without the key
    let wrong = "sk-wrong-key-that-must-not-leak-9999";
    testkit::evidence::secret(wrong);
    let out = psql(
        &pg,
        &db,
        "postgres",
        &format!("select ai.openai_embed('m', 'x', api_key => '{wrong}', base_url => '{base}')"),
    )?;
    assert!(!out.ok && out.stderr.contains("401") && out.stderr.contains("Incorrect API key"), "{}", out.stderr);
    assert!(!out.stderr.contains(wrong), "the key leaked: {}", out.stderr);
    // a malformed answer
    f.fail_next(1, Reply::text(200, "{\"data\": [truncated"));
    psql_err(
        &pg,
        &db,
        "postgres",
        &format!("select ai.openai_embed('m', 'x', api_key => '{KEY}', base_url => '{base}')"),
        "openai",
    )?;
    // the server log never holds a key, except where Postgres quotes a failed statement that
    // itself contained one as a literal (documented: prefer `set ai.openai_api_key` or secrets)
    let log = std::fs::read_to_string(pg.log_path())?;
    for line in log.lines().filter(|l| !l.contains("STATEMENT:  ")) {
        for secret in [KEY, wrong, FORBIDDEN] {
            assert!(!line.contains(secret), "{secret} found in the server log: {line}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_slow_model_call_is_cancelled_by_statement_timeout_and_pg_cancel_backend() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "cancel").await?;
    let f = fake::openai(KEY);
    f.set_fault(|_| Some(Reply::ok(serde_json::json!({})).delay(Duration::from_secs(20))));
    let call = format!("select ai.openai_embed('m', 'x', api_key => '{KEY}', base_url => '{}')::text", f.base_url());
    let pool = pg.pool(&db).await?;
    let mut conn = pool.acquire().await?;

    sqlx::query("set statement_timeout = '300ms'").execute(&mut *conn).await?;
    let t = Instant::now();
    let err = sqlx::query(&call).execute(&mut *conn).await.unwrap_err().to_string();
    assert!(err.contains("statement timeout"), "{err}");
    assert!(t.elapsed() < Duration::from_millis(1300), "took {:?}", t.elapsed());
    sqlx::query("set statement_timeout = 0").execute(&mut *conn).await?;
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut *conn).await?;
    assert_eq!(one, 1, "the backend stays usable");

    let pid: i32 = sqlx::query_scalar("select pg_backend_pid()").fetch_one(&mut *conn).await?;
    let canceller = pool.clone();
    let cancel = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query("select pg_cancel_backend($1)").bind(pid).execute(&canceller).await
    });
    let t = Instant::now();
    let err = sqlx::query(&call).execute(&mut *conn).await.unwrap_err().to_string();
    cancel.await??;
    assert!(err.contains("canceling statement due to user request"), "{err}");
    assert!(t.elapsed() < Duration::from_millis(1300), "took {:?}", t.elapsed());
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut *conn).await?;
    assert_eq!(one, 1);
    Ok(())
}

#[tokio::test]
async fn connections_are_reused_across_calls_in_a_backend() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "reuse").await?;
    let f = fake::openai(KEY);
    let call = format!(
        "select ai.openai_embed('m', 'x', api_key => '{KEY}', base_url => '{}', dimensions => 2)",
        f.base_url()
    );
    psql_ok(&pg, &db, &format!("{call}; {call}; {call}"))?;
    let conns: Vec<u64> = f.requests().iter().map(|r| r.connection).collect();
    assert_eq!(conns.len(), 3);
    assert!(conns.iter().all(|c| *c == conns[0]), "one kept-alive connection: {conns:?}");
    Ok(())
}

#[tokio::test]
async fn ollama_functions() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "ollama").await?;
    let f = fake::ollama();
    let host = f.base_url();
    let set = format!("set ai.ollama_host = '{host}';");

    let v = psql_ok(&pg, &db, &format!("{set} select ai.ollama_embed('nomic-embed-text', 'hello', keep_alive => '1m', embedding_options => '{{\"num_ctx\": 512}}')"))?;
    assert_close(&floats(&v), &fake_embedding("hello", 768));
    let sent = f.last_request().unwrap().json();
    assert_eq!((sent["keep_alive"].as_str(), sent["options"]["num_ctx"].as_i64()), (Some("1m"), Some(512)));
    let models = psql_ok(&pg, &db, &format!("select string_agg(name || ':' || family || ':' || (modified_at is not null), ',' order by name) from ai.ollama_list_models(host => '{host}')"))?;
    assert_eq!(models, "all-minilm:latest:bert:true,llama3:latest:llama:true,nomic-embed-text:latest:nomic-bert:true");
    let ps = psql_ok(&pg, &db, &format!("{set} select name || ':' || (size_vram > 0) || ':' || (expires_at is not null) || ':' || jsonb_typeof(families) from ai.ollama_ps()"))?;
    assert_eq!(ps, "llama3:latest:true:true:array");
    let gen = psql_ok(&pg, &db, &format!("{set} select ai.ollama_generate('llama3', 'why is the sky blue?', images => array['\\x89504e47'::bytea], system_prompt => 'be brief', template => '{{{{ .Prompt }}}}', context => array[1, 2, 3], embedding_options => '{{\"temperature\": 0}}')->>'done'"))?;
    assert_eq!(gen, "true");
    let sent = f.last_request().unwrap().json();
    assert_eq!(sent["images"][0], "iVBORw==", "images travel base64-encoded");
    assert_eq!(
        (sent["system"].as_str(), sent["context"].to_string().as_str(), sent["stream"].as_bool()),
        (Some("be brief"), "[1,2,3]", Some(false))
    );
    let chat = psql_ok(
        &pg,
        &db,
        &format!(
            r#"{set} select ai.ollama_chat_complete('llama3', '[{{"role": "user", "content": "hi"}}]', chat_options => '{{"seed": 1}}')->'message'->>'role'"#
        ),
    )?;
    assert_eq!(chat, "assistant");
    psql_err(&pg, &db, "postgres", &format!("{set} select ai.ollama_embed('no-such-model', 'x')"), "not found")?;
    Ok(())
}

#[tokio::test]
async fn anthropic_cohere_and_voyage_functions() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "others").await?;
    let a = fake::anthropic(KEY);
    let out = psql_ok(
        &pg,
        &db,
        &format!(
            r#"select ai.anthropic_generate('claude-3-5-sonnet-latest', '[{{"role": "user", "content": "hello"}}]', max_tokens => 50, api_key => '{KEY}', base_url => '{}', timeout => 30, max_retries => 1, system_prompt => 'terse', user_id => 'u9', stop_sequences => array['STOP'], temperature => 0.3, top_k => 5, top_p => 0.8)->>'type'"#,
            a.base_url()
        ),
    )?;
    assert_eq!(out, "message");
    let sent = a.last_request().unwrap();
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    let body = sent.json();
    assert_eq!(
        (
            body["max_tokens"].as_i64(),
            body["system"].as_str(),
            body["metadata"]["user_id"].as_str(),
            body["top_k"].as_i64()
        ),
        (Some(50), Some("terse"), Some("u9"), Some(5))
    );

    let c = fake::cohere(KEY);
    let set = format!("set ai.cohere_api_key = '{KEY}'; set ai.cohere_base_url = '{}';", c.base_url());
    let tokens = psql_ok(&pg, &db, &format!("{set} select ai.cohere_tokenize('command-r', 'hi')"))?;
    assert_eq!(psql_ok(&pg, &db, &format!("{set} select ai.cohere_detokenize('command-r', '{tokens}'::int[])"))?, "hi");
    assert!(psql_ok(
        &pg,
        &db,
        &format!("{set} select count(*) > 0 from ai.cohere_list_models(endpoint => 'embed', default_only => false)")
    )?
    .starts_with('t'));
    let v = psql_ok(&pg, &db, &format!("{set} select vector_dims(ai.cohere_embed('embed-english-v3.0', 'hello', input_type => 'search_document', truncate_long_inputs => 'END'))"))?;
    assert!(v.parse::<i32>()? > 0);
    assert_eq!(c.last_request().unwrap().json()["truncate"], "END");
    let examples = r#"'[{"text": "great", "label": "pos"}, {"text": "awful", "label": "neg"}, {"text": "good", "label": "pos"}, {"text": "bad", "label": "neg"}]'"#;
    let cls = psql_ok(&pg, &db, &format!("{set} select count(*) from ai.cohere_classify_simple('embed-english-v3.0', array['nice', 'terrible'], examples => {examples})"))?;
    assert_eq!(cls, "2");
    assert!(psql_ok(&pg, &db, &format!("{set} select ai.cohere_classify('embed-english-v3.0', array['nice'], examples => {examples}) ? 'classifications'"))?.starts_with('t'));
    let docs = r#"'["Paris is in France", "Bananas are yellow", "The Eiffel tower"]'"#;
    let rr = psql_ok(&pg, &db, &format!("{set} select string_agg(document #>> '{{}}', '|' order by relevance_score desc) from ai.cohere_rerank_simple('rerank-english-v3.0', 'Paris France', {docs}, top_n => 2)"))?;
    assert_eq!(rr.split('|').count(), 2);
    assert!(psql_ok(&pg, &db, &format!("{set} select ai.cohere_rerank('rerank-english-v3.0', 'q', {docs}, top_n => 1, return_documents => true) ? 'results'"))?.starts_with('t'));
    let chat = psql_ok(&pg, &db, &format!("{set} select ai.cohere_chat_complete('command-r', 'hello', preamble => 'be nice', temperature => 0.1, max_tokens => 20, seed => 7, stop_sequences => array['x'], k => 3, p => 0.5) ? 'text'"))?;
    assert!(chat.starts_with('t'));
    let body = c.last_request().unwrap().json();
    assert_eq!(
        (body["preamble"].as_str(), body["seed"].as_i64(), body["k"].as_i64()),
        (Some("be nice"), Some(7), Some(3))
    );

    let vy = fake::voyage(KEY);
    let set = format!("set ai.voyageai_base_url = '{}';", vy.base_url());
    let v = psql_ok(
        &pg,
        &db,
        &format!("{set} select ai.voyageai_embed('voyage-3', 'hello', input_type => 'query', api_key => '{KEY}')"),
    )?;
    assert!(!floats(&v).is_empty());
    assert_eq!(vy.last_request().unwrap().json()["input_type"], "query");
    let rows = psql_ok(&pg, &db, &format!("{set} select string_agg(index::text, ',' order by index) from ai.voyageai_embed('voyage-3', array['a', 'b'], api_key => '{KEY}')"))?;
    assert_eq!(rows, "0,1");
    psql_err(
        &pg,
        &db,
        "postgres",
        &format!("set ai.secret_env_enabled = false; {set} select ai.voyageai_embed('voyage-3', 'x')"),
        "plpy.Error: missing VOYAGE_API_KEY secret",
    )?;
    Ok(())
}

#[tokio::test]
async fn vectorizer_embed_uses_the_vectorizer_settings() -> Result<()> {
    let pg = cluster()?;
    let db = db(&pg, "vembed").await?;
    let f = fake::openai(KEY);
    psql_ok(&pg, &db, "create table docs(id int primary key, body text)")?;
    let id = psql_ok(&pg, &db, &format!("select ai.create_vectorizer('docs'::regclass, embedding => ai.embedding_openai('text-embedding-3-small', 8, base_url => '{}', api_key_name => 'VEC_KEY'), chunking => ai.chunking_character_text_splitter('body'))", f.base_url()))?;
    let v = psql_ok(&pg, &db, &format!("set ai.vec_key = '{KEY}'; select ai.vectorizer_embed({id}, 'query text')"))?;
    assert_close(&floats(&v), &fake_embedding("query text", 8));
    let v = psql_ok(&pg, &db, &format!("set ai.vec_key = '{KEY}'; select ai.vectorizer_embed(config->'embedding', 'q2') from ai.vectorizer where id = {id}"))?;
    assert_close(&floats(&v), &fake_embedding("q2", 8));
    let o = fake::ollama();
    let v = psql_ok(
        &pg,
        &db,
        &format!(
            "select vector_dims(ai.vectorizer_embed(ai.embedding_ollama('all-minilm', 384, base_url => '{}'), 'q'))",
            o.base_url()
        ),
    )?;
    assert_eq!(v, "384");
    psql_err(&pg, &db, "postgres", "select ai.vectorizer_embed(9999, 'x')", "query returned no rows")?;
    let body: Value = f.last_request().unwrap().json();
    assert_eq!(body["dimensions"], 8);
    Ok(())
}
