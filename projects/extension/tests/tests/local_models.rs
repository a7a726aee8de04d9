//! Local embedding models from SQL: ai_extra.sentence_transformers_embed, the
//! ai_extra.embedding_sentence_transformers config and ai.vectorizer_embed with it, checked against the
//! vectors sentence-transformers computes (projects/providers/tests/local/reference.json). Needs
//! the default model and ONNX Runtime that `just ext setup` installs into <repo>/.models.

mod common;

use anyhow::Result;
use common::*;
use serde_json::Value;
use testkit::{paths, PgCluster};

struct Reference {
    texts: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let path = paths::workspace_root().join("projects/providers/tests/local/reference.json");
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    Reference {
        texts: serde_json::from_value(v["texts"].clone()).unwrap(),
        vectors: serde_json::from_value(v["vectors"].clone()).unwrap(),
    }
}

fn floats(text: &str) -> Vec<f32> {
    text.trim_matches(|c| c == '[' || c == ']').split(',').map(|x| x.trim().parse().unwrap()).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let n = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (n(a) * n(b))
}

/// Texts PostgreSQL can hold (no NUL), of each kind: empty, one word, long, unicode, code.
const SAMPLES: [usize; 6] = [0, 1, 20, 26, 29, 41];

#[tokio::test]
async fn sentence_transformers_embed_matches_sentence_transformers() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "local").await?;
    let r = reference();
    for engine in ["onnx", "candle"] {
        for &i in &SAMPLES {
            let sql = format!(
                "select ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', {}, engine => '{engine}')",
                sql_literal(&r.texts[i])
            );
            let c = cosine(&floats(&psql_ok(pg, &db, &sql)?), &r.vectors[i]);
            assert!(c >= 0.9999, "{engine}: text {i}: cosine {c}");
        }
    }
    // defaults: the default model, the automatic engine (named arguments)
    let v = psql_ok(
        pg,
        &db,
        &format!("select ai_extra.sentence_transformers_embed(input_text => {})", sql_literal(&r.texts[5])),
    )?;
    assert!(cosine(&floats(&v), &r.vectors[5]) >= 0.9999);
    assert_eq!(psql_ok(pg, &db, "select ai_extra.sentence_transformers_embed(input_text => null) is null")?, "t");
    // the engine from the setting; the array form, in input order
    let texts = SAMPLES.iter().map(|&i| sql_literal(&r.texts[i])).collect::<Vec<_>>().join(", ");
    // the SAMPLES' vectors by the array form, '|'-separated, after `set`
    let array_form = |set: &str, engine: &str| {
        psql_ok(
            pg,
            &db,
            &format!("{set}; select string_agg(embedding::text, '|' order by index) from ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', array[{texts}]{engine})"),
        )
    };
    let rows = array_form("set ai.local_engine = 'candle'", "")?;
    for (row, &i) in rows.split('|').zip(&SAMPLES) {
        assert!(cosine(&floats(row), &r.vectors[i]) >= 0.9999, "array form, text {i}");
    }
    assert_eq!(rows.split('|').count(), SAMPLES.len());
    // the precision from its setting: bf16 (the fast kernel, or the portable one on other CPUs)
    // and fp32 both match; a wrong value says what to set
    for precision in ["bf16", "fp32"] {
        let rows = array_form(&format!("set ai.local_precision = '{precision}'"), ", engine => 'onnx'")?;
        for (row, &i) in rows.split('|').zip(&SAMPLES) {
            let c = cosine(&floats(row), &r.vectors[i]);
            assert!(c >= 0.9999, "{precision}: text {i}: cosine {c}");
        }
    }
    psql_err(
        pg,
        &db,
        "postgres",
        "set ai.local_precision = 'fp16'; select ai_extra.sentence_transformers_embed(input_text => 'x')",
        "invalid ai.local_precision: local: unknown precision \"fp16\": expected fp32, bf16 or auto",
    )?;
    // a semantic search in SQL: the nearest of three texts
    let nearest = psql_ok(
        pg,
        &db,
        "with docs(t) as (values ('Paris is the capital of France.'), ('Rust is a programming language.'), ('Cats sleep a lot.')) \
         select t from docs order by ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', t) <=> ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', 'Which city is the French capital?') limit 1",
    )?;
    assert_eq!(nearest, "Paris is the capital of France.");
    Ok(())
}

#[tokio::test]
async fn embedding_config_and_vectorizer_embed() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "local_cfg").await?;
    let r = reference();
    let cfg: Value = serde_json::from_str(&psql_ok(pg, &db, "select ai_extra.embedding_sentence_transformers()")?)?;
    assert_eq!(
        cfg,
        serde_json::json!({"implementation": "sentence_transformers", "config_type": "embedding", "model": "all-MiniLM-L6-v2", "dimensions": 384})
    );
    let cfg: Value = serde_json::from_str(&psql_ok(
        pg,
        &db,
        "select ai_extra.embedding_sentence_transformers('all-MiniLM-L6-v2', 384, engine => 'Candle')",
    )?)?;
    assert_eq!(cfg["engine"], "candle");
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai._validate_embedding(ai_extra.embedding_sentence_transformers(engine => 'tpu'))",
        "engine must be",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai._validate_embedding(ai_extra.embedding_sentence_transformers(model => ''))",
        "embedding config has no model",
    )?;

    for config in
        ["ai_extra.embedding_sentence_transformers()", "ai_extra.embedding_sentence_transformers(engine => 'candle')"]
    {
        let v = psql_ok(pg, &db, &format!("select ai.vectorizer_embed({config}, {})", sql_literal(&r.texts[8])))?;
        assert!(cosine(&floats(&v), &r.vectors[8]) >= 0.9999, "{config}");
    }
    // a vectorizer with the config, and vectorizer_embed by its id
    psql_ok(pg, &db, "create table docs (id int primary key, body text)")?;
    let id = psql_ok(
        pg,
        &db,
        "select ai.create_vectorizer('docs'::regclass, embedding => ai_extra.embedding_sentence_transformers(), chunking => ai.chunking_character_text_splitter('body'))",
    )?;
    let v = psql_ok(pg, &db, &format!("select ai.vectorizer_embed({id}, {})", sql_literal(&r.texts[9])))?;
    assert!(cosine(&floats(&v), &r.vectors[9]) >= 0.9999);

    // wrong dimensions in the config: a clear error
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai.vectorizer_embed(ai_extra.embedding_sentence_transformers('all-MiniLM-L6-v2', 768), 'x')",
        "returns 384 dimensions, but 768 were asked for",
    )?;
    Ok(())
}

#[tokio::test]
async fn bad_input_leaves_the_backend_usable() -> Result<()> {
    let pg = PgCluster::shared();
    let db = db_with_ai(pg, "local_bad").await?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai_extra.sentence_transformers_embed('no-such-model', 'x')",
        "unknown model \"no-such-model\"",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai_extra.sentence_transformers_embed('../../etc', 'x')",
        "invalid model name",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', 'x', engine => 'tpu')",
        "unknown engine",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "set ai.models_dir = '/nonexistent-models'; select ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', 'x')",
        "the models directory /nonexistent-models does not exist",
    )?;
    psql_err(
        pg,
        &db,
        "postgres",
        "select * from ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', array['a', null])",
        "input_texts[2] is null",
    )?;
    // in one backend: failures, then a model that loads
    let out = psql_ok(
        pg,
        &db,
        "do $$ begin \
           begin perform ai_extra.sentence_transformers_embed('no-such-model', 'x'); exception when others then null; end; \
           begin perform ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', 'x', dimensions => 3); exception when others then null; end; \
         end $$; \
         select vector_dims(ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', 'x'))",
    )?;
    assert_eq!(out, "384");

    // paths and the path settings are for superusers
    psql_ok(pg, &db, "create role local_user login; select ai.grant_ai_usage('local_user')")?;
    psql_err(
        pg,
        &db,
        "local_user",
        "select ai_extra.sentence_transformers_embed('/tmp', 'x')",
        "only superusers may load a model by path",
    )?;
    // (once the library is loaded: before, PostgreSQL keeps a placeholder, and drops it with a
    // warning when the library defines the setting)
    for setting in ["ai.onnxruntime_library = '/tmp/x.so'", "ai.models_dir = '/tmp'"] {
        psql_err(
            pg,
            &db,
            "local_user",
            &format!("select ai_extra._library_version(); set {setting}"),
            "permission denied",
        )?;
    }
    let out = psql(
        pg,
        &db,
        "local_user",
        "set ai.models_dir = '/tmp'; select vector_dims(ai_extra.sentence_transformers_embed(input_text => 'x'))",
    )?;
    assert!(out.ok && out.stdout.trim() == "384" && out.stderr.contains("permission denied"), "{}", out.stderr);
    assert_eq!(
        psql(
            pg,
            &db,
            "local_user",
            "set ai.local_threads = 1; select vector_dims(ai_extra.sentence_transformers_embed(input_text => 'x'))"
        )?
        .stdout
        .trim(),
        "384"
    );
    Ok(())
}
