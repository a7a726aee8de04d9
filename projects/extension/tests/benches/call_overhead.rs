//! Overhead of one `ai.openai_embed` call from SQL against a local server that answers at once:
//! 1,000 calls in one statement, after a warm-up call. Run with `just ext bench`.

use anyhow::Result;
use std::time::Instant;
use testkit::{fake, PgCluster};

const KEY: &str = "sk-bench";
const CALLS: usize = 1000;

#[tokio::main]
async fn main() -> Result<()> {
    let pg = PgCluster::builder().start()?;
    let db = pg.create_db("bench").await?;
    let pool = pg.pool(&db).await?;
    sqlx::query("create extension ai cascade").execute(&pool).await?;
    let f = fake::openai(KEY);
    let mut conn = pool.acquire().await?;
    let one = format!("select ai.openai_embed('text-embedding-3-small', 'warm up', api_key => '{KEY}', base_url => '{}', dimensions => 16)::text", f.base_url());
    sqlx::query(&one).execute(&mut *conn).await?;

    for dims in [16, 1536] {
        let many = format!(
            "select count(ai.openai_embed('text-embedding-3-small', 'text number ' || i, api_key => '{KEY}', base_url => '{}', dimensions => {dims})) from generate_series(1, {CALLS}) i",
            f.base_url()
        );
        let t = Instant::now();
        let n: i64 = sqlx::query_scalar(&many).fetch_one(&mut *conn).await?;
        let elapsed = t.elapsed();
        assert_eq!(n as usize, CALLS);
        println!(
            "ai.openai_embed, {dims} dimensions: {CALLS} calls in {:.1} ms = {:.3} ms per call (local fake server, no added latency)",
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e3 / CALLS as f64
        );
    }
    // the same requests from the providers client outside PostgreSQL: what the server and
    // HTTP cost, so the difference is the extension's own overhead
    let client = providers::openai::OpenAi::new(Some(KEY.into()), Some(f.base_url()));
    let t = Instant::now();
    for i in 0..CALLS {
        let input = providers::openai::EmbedInput::Text(format!("text number {i}"));
        client
            .embed_with_format(
                "text-embedding-3-small",
                input,
                Some(16),
                None,
                providers::openai::EncodingFormat::Base64,
            )
            .await?;
    }
    let direct = t.elapsed().as_secs_f64() * 1e3 / CALLS as f64;
    println!("the same request from the Rust client outside PostgreSQL: {direct:.3} ms per call");
    Ok(())
}
