//! A vectorizer with a local sentence-transformers model: the worker embeds in its own process,
//! no API key, no network; the vectors are the model's own.

use crate::common::*;
use providers::local::{Embedder, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_model_embeds_without_a_provider() {
    let db = Db::new("local").await;
    db.exec("create table notes (id int primary key, body text)").await;
    db.exec(
        "insert into notes values (1, 'The cat sat on the mat.'), (2, 'PostgreSQL stores rows in pages.'), (3, '')",
    )
    .await;
    let id: i32 = sqlx::query_scalar(
        "select ai.create_vectorizer('notes'::regclass, embedding => ai_extra.embedding_sentence_transformers(), \
         chunking => ai.chunking_recursive_character_text_splitter('body'))",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let summary = run(once(&db)).await.expect("the worker runs");
    assert_eq!(db.queued(id).await, 0, "{summary:?}");
    let rows = db.target("notes_embedding_store", "id").await;
    assert_eq!(rows.len(), 2, "the empty text gives no chunk");
    let model = Embedder::cached("all-MiniLM-L6-v2", &Options::default()).expect("the model (run `just ext setup`)");
    for (_, _, chunk, stored) in rows {
        let want = model.embed_one(&chunk).unwrap();
        let cos: f32 = want.iter().zip(&stored).map(|(a, b)| a * b).sum();
        assert!(cos > 0.9999, "{chunk}: cosine {cos}");
    }
}
