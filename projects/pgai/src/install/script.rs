//! The catalog's SQL (`projects/pgai/sql`), compiled into the binary, and the one script an
//! install runs: `head.sql`, then every incremental migration not applied yet (each recorded in
//! `ai.pgai_lib_migration` with its body), then the idempotent files, which every install runs
//! again (functions and views are replaced, never altered in place).

/// The version of the catalog this pgai installs: pgai 0.12.1's interface.
pub const CATALOG_VERSION: &str = "0.12.1";

const HEAD: &str = include_str!("../../sql/head.sql");

/// The migrations, in the order they run. Their names are pgai's: a catalog installed by pgai's
/// own library (or handed over by an old `ai` extension) skips those it already has. A
/// released migration never changes (`sql/frozen.txt`).
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("001-vectorizer.sql", include_str!("../../sql/incremental/001-vectorizer.sql")),
    ("003-vec-storage.sql", include_str!("../../sql/incremental/003-vec-storage.sql")),
    ("005-vectorizer-queue-pending.sql", include_str!("../../sql/incremental/005-vectorizer-queue-pending.sql")),
    ("006-drop-vectorizer.sql", include_str!("../../sql/incremental/006-drop-vectorizer.sql")),
    (
        "012-add-vectorizer-disabled-column.sql",
        include_str!("../../sql/incremental/012-add-vectorizer-disabled-column.sql"),
    ),
    ("017-upgrade-source-pk.sql", include_str!("../../sql/incremental/017-upgrade-source-pk.sql")),
    ("018-drop-foreign-key-constraint.sql", include_str!("../../sql/incremental/018-drop-foreign-key-constraint.sql")),
    (
        "019-drop-truncate-from-vectorizer-config-lib.sql",
        include_str!("../../sql/incremental/019-drop-truncate-from-vectorizer-config-lib.sql"),
    ),
    ("020-add-worker-tracking-table.sql", include_str!("../../sql/incremental/020-add-worker-tracking-table.sql")),
    (
        "021-drop-create-vectorizer-old-function.sql",
        include_str!("../../sql/incremental/021-drop-create-vectorizer-old-function.sql"),
    ),
    (
        "022-migrate-existing-vectorizers-to-loading.sql",
        include_str!("../../sql/incremental/022-migrate-existing-vectorizers-to-loading.sql"),
    ),
    (
        "023-migrate-vectorizer-queue-tables.sql",
        include_str!("../../sql/incremental/023-migrate-vectorizer-queue-tables.sql"),
    ),
    (
        "024-add-vectorizer-queue-failed-table.sql",
        include_str!("../../sql/incremental/024-add-vectorizer-queue-failed-table.sql"),
    ),
    (
        "025-migrate-vectorizer-to-have-queue-failed-table.sql",
        include_str!("../../sql/incremental/025-migrate-vectorizer-to-have-queue-failed-table.sql"),
    ),
    ("026-change_trigger_definition.sql", include_str!("../../sql/incremental/026-change_trigger_definition.sql")),
    (
        "027-drop-loading-uri-old-signature.sql",
        include_str!("../../sql/incremental/027-drop-loading-uri-old-signature.sql"),
    ),
    ("028-remove-destination-columns.sql", include_str!("../../sql/incremental/028-remove-destination-columns.sql")),
    ("029-add-vectorizer-name-column.sql", include_str!("../../sql/incremental/029-add-vectorizer-name-column.sql")),
    ("030-add_vectorizer_errors_view.sql", include_str!("../../sql/incremental/030-add_vectorizer_errors_view.sql")),
    ("031-semantic-catalog.sql", include_str!("../../sql/incremental/031-semantic-catalog.sql")),
];

/// The idempotent files, in the order they run.
pub const IDEMPOTENT: &[(&str, &str)] = &[
    ("001-chunking.sql", include_str!("../../sql/idempotent/001-chunking.sql")),
    ("002-formatting.sql", include_str!("../../sql/idempotent/002-formatting.sql")),
    ("003-scheduling.sql", include_str!("../../sql/idempotent/003-scheduling.sql")),
    ("004-embedding.sql", include_str!("../../sql/idempotent/004-embedding.sql")),
    ("005-indexing.sql", include_str!("../../sql/idempotent/005-indexing.sql")),
    ("006-processing.sql", include_str!("../../sql/idempotent/006-processing.sql")),
    ("007-grant-to.sql", include_str!("../../sql/idempotent/007-grant-to.sql")),
    ("008-loading.sql", include_str!("../../sql/idempotent/008-loading.sql")),
    ("009-parsing.sql", include_str!("../../sql/idempotent/009-parsing.sql")),
    ("010-destination.sql", include_str!("../../sql/idempotent/010-destination.sql")),
    ("011-vectorizer-int.sql", include_str!("../../sql/idempotent/011-vectorizer-int.sql")),
    ("012-vectorizer-api.sql", include_str!("../../sql/idempotent/012-vectorizer-api.sql")),
    ("013-worker-tracking.sql", include_str!("../../sql/idempotent/013-worker-tracking.sql")),
    ("014-semantic-catalog.sql", include_str!("../../sql/idempotent/014-semantic-catalog.sql")),
    ("999-privileges.sql", include_str!("../../sql/idempotent/999-privileges.sql")),
];

/// Dollar-quote tags the script wraps migrations in: no file may contain them.
const MIGRATION_TAG: &str = "$pgai_migration$";
const BODY_TAG: &str = "$pgai_body$";

/// The install script for a database whose vector extension lives in `vector_schema`.
pub fn build(vector_schema: &str) -> String {
    let mut sql = String::with_capacity(256 * 1024);
    sql.push_str(HEAD);
    for (name, body) in MIGRATIONS {
        // a migration runs once: its body inside a guard, then recorded with that body; a
        // failure names the migration
        sql.push_str(&format!(
            "\n-- migration {name}\ndo {MIGRATION_TAG}\ndeclare\n    _state text;\n    _message text;\n    _detail text;\n    _hint text;\nbegin\nif not exists (select 1 from ai.pgai_lib_migration m where m.\"name\" operator(pg_catalog.=) '{name}') then\n{body}\ninsert into ai.pgai_lib_migration (\"name\", applied_at_version, body) values ('{name}', '__version__', {BODY_TAG}{body}{BODY_TAG});\nend if;\nexception when others then\n    get stacked diagnostics _state = returned_sqlstate, _message = message_text, _detail = pg_exception_detail, _hint = pg_exception_hint;\n    raise exception 'migration {name} failed: %', _message using errcode = _state, detail = _detail, hint = _hint;\nend;\n{MIGRATION_TAG};\n"
        ));
    }
    for (name, body) in IDEMPOTENT {
        sql.push_str(&format!("\n-- {name}\n{body}\n"));
    }
    sql.replace("__version__", CATALOG_VERSION).replace("@extschema:vector@", &quote_ident(vector_schema))
}

/// Where character `at` (1-based, as PostgreSQL counts) of the script is: the file (the nearest
/// `-- <file>` or `-- migration <file>` line above it), its line there, and the line's text.
pub fn locate(sql: &str, at: usize) -> String {
    let offset = sql.char_indices().nth(at.saturating_sub(1)).map_or(sql.len(), |(i, _)| i);
    let before = &sql[..offset];
    let (mut file, mut start) = ("head.sql", 0);
    for (name, _) in MIGRATIONS.iter().chain(IDEMPOTENT) {
        for marker in [format!("\n-- migration {name}\n"), format!("\n-- {name}\n")] {
            if let Some(i) = before.rfind(&marker) {
                if i + marker.len() > start {
                    (file, start) = (name, i + marker.len());
                }
            }
        }
    }
    let line = before[start..].matches('\n').count() + 1;
    let text = sql[offset..].lines().next().unwrap_or("").trim();
    let head = before.rsplit('\n').next().unwrap_or("").trim();
    format!("{file}, line {line}: {head}{text}")
}

/// An identifier as SQL writes it: bare when it is lower-case letters, digits and underscores
/// (not starting with a digit), double-quoted otherwise.
pub fn quote_ident(s: &str) -> String {
    let bare = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if bare {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::collections::BTreeSet;
    use std::path::Path;

    fn files(dir: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql").join(dir);
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect()
    }

    #[test]
    fn every_file_is_in_the_script_in_order() {
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(listed.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>(), files("incremental"));
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "migrations run in name order");
        let listed: Vec<&str> = IDEMPOTENT.iter().map(|(n, _)| *n).collect();
        assert_eq!(listed.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>(), files("idempotent"));
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "idempotent files run in name order");
    }

    #[test]
    fn no_file_contains_the_wrapping_tags() {
        for (name, body) in MIGRATIONS.iter().chain(IDEMPOTENT) {
            assert!(!body.contains(MIGRATION_TAG) && !body.contains(BODY_TAG), "{name}");
        }
        assert!(!HEAD.contains(MIGRATION_TAG) && !HEAD.contains(BODY_TAG));
    }

    #[test]
    fn released_migrations_never_change() {
        let frozen = include_str!("../../sql/frozen.txt");
        let bodies: std::collections::HashMap<&str, &str> = MIGRATIONS.iter().copied().collect();
        for line in frozen.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let (hash, name) = line.split_once("  ").expect("`<sha256>  <name>` lines");
            let body = bodies.get(name).unwrap_or_else(|| panic!("released migration {name} is gone"));
            let actual = format!("{:x}", Sha256::digest(body.as_bytes()));
            assert_eq!(actual, hash, "released migration {name} changed: add a new migration instead");
        }
    }

    #[test]
    fn the_version_and_the_vector_schema_are_filled_in() {
        let sql = build("My Schema");
        assert!(!sql.contains("__version__") && !sql.contains("@extschema:vector@"));
        assert!(sql.contains("returns \"My Schema\".vector"));
        assert!(sql.contains(&format!("values ('ai', '{CATALOG_VERSION}')")));
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(quote_ident("public"), "public");
        assert_eq!(quote_ident("_x1"), "_x1");
        assert_eq!(quote_ident("Public"), "\"Public\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident(""), "\"\"");
    }
}
