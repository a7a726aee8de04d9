//! The catalog `pgai install` creates, against pgai 0.12.1's as taken from a real install
//! (`golden/catalog-0.12.1.txt`, from `shared/spec/sql-api-0.12.md`): every function with its
//! arguments, defaults, result and volatility, and every relation with its columns.

use crate::common::*;

/// Functions of pgai 0.12.1 not built yet (none now). The test fails when one of them
/// appears, so the list only shrinks.
const NOT_YET: &[&str] = &[];

const LISTING: &str = r#"
select case p.prokind when 'p' then 'procedure' else 'function' end || ' ' || n.nspname || '.' || p.proname
    || '(' || pg_get_function_arguments(p.oid) || ') -> ' || coalesce(nullif(pg_get_function_result(p.oid), ''), '-')
    || ' [' || p.provolatile::text || ']' as line
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'ai'
union all
select case k.relkind when 'v' then 'view' else 'table' end || ' ' || n.nspname || '.' || k.relname || '('
    || string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end, ', ' order by a.attnum)
    || ')'
from pg_class k join pg_namespace n on n.oid = k.relnamespace
join pg_attribute a on a.attrelid = k.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = 'ai' and k.relkind in ('r', 'v') and k.relname !~ '^_vectorizer_q_'
group by k.relkind, n.nspname, k.relname
"#;

fn golden() -> Vec<String> {
    include_str!("golden/catalog-0.12.1.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(String::from)
        .collect()
}

fn pending(line: &str) -> bool {
    NOT_YET.iter().any(|p| line.split(' ').nth(1).is_some_and(|n| n.starts_with(p)))
}

#[tokio::test]
async fn every_function_and_relation_is_pgais() {
    let db = Db::new("cat_listing").await;
    db.installed().await;
    let mut c = db.conn_as(&db.owner).await;
    let rows: Vec<(String,)> =
        sqlx::query_as(&format!("select line from ({LISTING}) x order by 1")).fetch_all(&mut c).await.unwrap();
    // defaults print newlines as they are; the listing writes them as \n
    let have: std::collections::BTreeSet<String> = rows.into_iter().map(|(l,)| l.replace('\n', "\\n")).collect();
    let want = golden();
    let missing: Vec<&String> = want.iter().filter(|l| !have.contains(*l) && !pending(l)).collect();
    let extra: Vec<&String> = have.iter().filter(|l| !want.contains(l)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing or different:\n{missing:#?}\nnot in pgai:\n{extra:#?}");
    let built_early: Vec<&String> = want.iter().filter(|l| pending(l) && have.contains(*l)).collect();
    assert!(built_early.is_empty(), "built now, take them off NOT_YET: {built_early:#?}");
    assert_eq!(want.len(), 119, "108 functions and 11 relations");
}

#[tokio::test]
async fn functions_run_with_a_fixed_search_path_and_as_their_caller() {
    let db = Db::new("cat_paths").await;
    db.installed().await;
    // security definer only for the trigger functions (none yet); every other function pins its
    // search path, so a caller's objects cannot stand in for pg_catalog's
    assert_eq!(db.q("select count(*) from pg_proc where pronamespace = 'ai'::regnamespace and prosecdef").await, "0");
    assert_eq!(
        db.q("select string_agg(proname, ', ') from pg_proc where pronamespace = 'ai'::regnamespace and prokind = 'f'
              and not coalesce(proconfig @> array['search_path=pg_catalog, pg_temp'], false)")
            .await,
        ""
    );
}
