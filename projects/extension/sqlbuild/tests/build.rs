//! The build as a whole: outputs, upgrade paths, the frozen list.

use ai_sqlbuild::{build, frozen, source::Sources, BuildOptions, Version};
use std::fs;
use std::path::Path;

fn sql_tree(dir: &Path) {
    fs::create_dir_all(dir.join("incremental")).unwrap();
    fs::create_dir_all(dir.join("idempotent")).unwrap();
    fs::write(dir.join("head.sql"), "-- head\n").unwrap();
    fs::write(dir.join("incremental/001-catalog.sql"), "create table ai.t(id int);\n").unwrap();
    fs::write(
        dir.join("idempotent/001-fns.sql"),
        "create or replace function ai.f() returns int language sql as 'select 1';\n",
    )
    .unwrap();
}

fn opts(root: &Path, version: &str) -> BuildOptions {
    let pgrx = root.join("pgrx.sql");
    fs::write(&pgrx, "CREATE OR REPLACE FUNCTION \"g\"() RETURNS int LANGUAGE c AS 'MODULE_PATHNAME', 'g_wrapper';\n")
        .unwrap();
    BuildOptions {
        sql_dir: root.join("sql"),
        pgrx_sql: pgrx,
        version: Version::parse(version).unwrap(),
        out_dir: root.join("out"),
        control: Some(root.join("ai.control")),
    }
}

#[test]
fn writes_script_control_and_upgrades_from_released_versions_only() {
    let tmp = tempfile::tempdir().unwrap();
    sql_tree(&tmp.path().join("sql"));
    build(&opts(tmp.path(), "1.0.0")).unwrap();
    build(&opts(tmp.path(), "1.1.0-dev")).unwrap();
    let report = build(&opts(tmp.path(), "1.1.0")).unwrap();
    let out = tmp.path().join("out");
    let mut names: Vec<String> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    // the 1.1.0-dev leftovers are gone; no upgrade path starts from a prerelease
    assert_eq!(names, ["ai--1.0.0--1.1.0.sql", "ai--1.0.0.sql", "ai--1.1.0.sql"]);
    assert_eq!(report.upgrades.len(), 1);
    let script = fs::read_to_string(out.join("ai--1.1.0.sql")).unwrap();
    assert_eq!(script, fs::read_to_string(out.join("ai--1.0.0--1.1.0.sql")).unwrap());
    let head = script.find("-- head").unwrap();
    let inc = script.find("create table ai.t").unwrap();
    let pgrx = script.find("g_wrapper").unwrap();
    let idem = script.find("ai.f()").unwrap();
    assert!(head < inc && inc < pgrx && pgrx < idem, "order: head, incremental, pgrx, idempotent");
    let control = fs::read_to_string(tmp.path().join("ai.control")).unwrap();
    assert!(control.contains("default_version = '1.1.0'"), "{control}");
}

#[test]
fn a_released_script_is_never_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    sql_tree(&tmp.path().join("sql"));
    build(&opts(tmp.path(), "1.0.0")).unwrap();
    build(&opts(tmp.path(), "1.0.0")).expect("an identical rebuild is fine");
    fs::write(tmp.path().join("sql/incremental/002-more.sql"), "create table ai.u(id int);\n").unwrap();
    let err = build(&opts(tmp.path(), "1.0.0")).unwrap_err().to_string();
    assert!(err.contains("released version") && err.contains("bump the version"), "{err}");
}

#[test]
fn a_modified_frozen_script_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sql = tmp.path().join("sql");
    sql_tree(&sql);
    assert_eq!(frozen::freeze_all(&Sources::load(&sql).unwrap()).unwrap(), 1);
    build(&opts(tmp.path(), "1.0.0-dev")).expect("unchanged frozen scripts build");

    fs::write(sql.join("incremental/001-catalog.sql"), "create table ai.t(id bigint);\n").unwrap();
    let err = build(&opts(tmp.path(), "1.0.0-dev")).unwrap_err().to_string();
    assert!(err.contains("001-catalog.sql") && err.contains("frozen"), "{err}");

    fs::remove_file(sql.join("incremental/001-catalog.sql")).unwrap();
    let err = build(&opts(tmp.path(), "1.0.0-dev")).unwrap_err().to_string();
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn the_repository_sql_is_valid_and_its_frozen_list_holds() {
    let sql = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql");
    let sources = Sources::load(&sql).unwrap();
    frozen::check(&sources).unwrap();
}

#[test]
fn a_retired_incremental_script_leaves_the_newer_builds_only() {
    let tmp = tempfile::tempdir().unwrap();
    let sql = tmp.path().join("sql");
    sql_tree(&sql);
    fs::write(sql.join("incremental/002-more.sql"), "create table ai.u(id int);\n").unwrap();
    build(&opts(tmp.path(), "1.0.0")).unwrap();
    fs::write(sql.join("retired.txt"), "# the table moved elsewhere\nincremental/001-catalog.sql  2.0.0\n").unwrap();
    build(&opts(tmp.path(), "1.1.0")).unwrap();
    let out = tmp.path().join("out");
    assert!(fs::read_to_string(out.join("ai--1.1.0.sql")).unwrap().contains("create table ai.t"));
    build(&opts(tmp.path(), "2.0.0-dev")).unwrap();
    let script = fs::read_to_string(out.join("ai--2.0.0-dev.sql")).unwrap();
    assert!(!script.contains("create table ai.t") && script.contains("create table ai.u"), "{script}");
    fs::write(sql.join("retired.txt"), "incremental/009-nope.sql  2.0.0\n").unwrap();
    let err = build(&opts(tmp.path(), "2.0.0")).unwrap_err().to_string();
    assert!(err.contains("retires incremental/009-nope.sql, which does not exist"), "{err}");
}
