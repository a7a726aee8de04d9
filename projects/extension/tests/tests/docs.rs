//! The SQL examples of the documentation run here, page by page, against the local fake
//! servers, so the docs cannot drift from the code. Every ```sql block of README.md and
//! docs/*.md runs, in order, in a fresh database per page; a block opened with ```sql no-run
//! is skipped (examples that need a real remote service or a host name).

mod common;

use anyhow::{bail, Result};
use common::*;
use testkit::{fake, paths, PgCluster};

const KEY: &str = "sk-docs-test-key";

/// A page whose examples are the extension's 0.7 layout (its catalog inside the extension).
const LAYOUT_07_MARKER: &str = "<!-- docs-test: layout 0.7 -->";

/// The ```sql blocks of a markdown page, with the line each starts on.
fn sql_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.starts_with("```sql") && !fence.contains("no-run") => current = Some((i + 1, String::new())),
            Some(_) if fence.starts_with("```") => blocks.push(current.take().unwrap()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[tokio::test]
async fn every_sql_example_in_the_docs_runs() -> Result<()> {
    let pg = PgCluster::shared();
    let (openai, ollama) = (fake::openai(KEY), fake::ollama());
    let (anthropic, cohere, voyage) = (fake::anthropic(KEY), fake::cohere(KEY), fake::voyage(KEY));
    let hub = common::hub::hub();
    let root = paths::workspace_root();
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))?
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);

    let mut ran = 0;
    for page in pages {
        let blocks = sql_blocks(&std::fs::read_to_string(&page)?);
        if blocks.is_empty() {
            continue;
        }
        let name = page.file_name().unwrap().to_string_lossy().to_string();
        let db = pg.create_db("docs").await?;
        // the providers' addresses and keys, as a user would configure them for a database
        let settings = [
            ("ai.openai_base_url", openai.base_url()),
            ("ai.openai_api_key", KEY.into()),
            ("ai.ollama_host", ollama.base_url()),
            ("ai.anthropic_base_url", anthropic.base_url()),
            ("ai.anthropic_api_key", KEY.into()),
            ("ai.cohere_base_url", cohere.base_url()),
            ("ai.cohere_api_key", KEY.into()),
            ("ai.voyageai_base_url", voyage.base_url()),
            ("ai.voyage_api_key", KEY.into()),
            ("ai.hf_endpoint", hub.url()),
        ];
        // a page of the extension's 0.7 layout says so; the others get today's: the extension
        // and the catalog of `pgai install` (the `pgai` that `just ext install` put next to psql)
        let text = std::fs::read_to_string(&page)?;
        let layout_07 = text.contains(LAYOUT_07_MARKER);
        let mut setup = if layout_07 {
            format!("create extension if not exists ai version '{LAYOUT_07}' cascade;\n")
        } else {
            "create extension if not exists ai cascade;\n".to_string()
        };
        for (k, v) in settings {
            setup.push_str(&format!("alter database \"{db}\" set {k} = {};\n", sql_literal(&v)));
        }
        psql_ok(pg, &db, &setup)?;
        if !layout_07 {
            let out = pg.command("pgai").args(["install", "-d", &pg.url(&db)]).output()?;
            if !out.status.success() {
                bail!("pgai install for {name}: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        for (line, sql) in blocks {
            let out = psql_script(pg, &db, &sql)?;
            if !out.ok {
                bail!("{name}, the sql block at line {line} failed:\n{sql}\n{}", out.stderr);
            }
            ran += 1;
        }
    }
    assert!(ran >= 5, "only {ran} blocks ran: are the docs there?");
    Ok(())
}

#[test]
fn blocks_are_found_and_no_run_is_skipped() {
    let md = "text\n```sql\nselect 1;\n```\n```sql no-run\nselect 2;\n```\n```bash\nls\n```\n";
    assert_eq!(sql_blocks(md), vec![(2, "select 1;\n".to_string())]);
}
