//! The SQL one vectorizer's batches run, built once per vectorizer from its catalog row.

use super::catalog::{quote_ident, Destination, Vectorizer};

/// The statements of one vectorizer.
#[derive(Debug, Clone)]
pub struct Queries {
    /// Claims a batch and reads its rows, in one round trip. Parameters: `$1` the number of
    /// queue rows to take (int8), `$2` the advisory-lock namespace (int4: the queue's oid).
    ///
    /// 1. `selected`: up to `$1` queue rows, `FOR UPDATE SKIP LOCKED` (rows another worker
    ///    holds are skipped, not waited for);
    /// 2. `locked`: their distinct keys whose transaction-level advisory lock
    ///    `(queue oid, hashtext('col|value|...'))` this transaction got (the same key as the
    ///    Python worker's), so no two workers process a key at once even when it is queued
    ///    several times;
    /// 3. `dequeued`: deletes every queue row of those keys that no other transaction holds
    ///    (a held duplicate stays queued and is simply processed again later);
    ///
    ///    (3 finds its rows key by key, in a `LATERAL ... OFFSET 0` subquery the planner cannot
    ///    flatten: a queue that grew since it was last analyzed would otherwise get a hash join
    ///    over a sequential scan of the whole table, per batch.)
    /// 4. the result: one row per locked key with its current source row, locked
    ///    `FOR KEY SHARE` so that it cannot be deleted before the new chunks are committed
    ///    (their foreign key needs it); `found` is null for a row deleted since it was queued;
    ///    and the key's chunks in the target (`embedding_uuid`s and the SHA-256 of each chunk's
    ///    text, in `chunk_seq` order), so that a chunk whose text did not change keeps its
    ///    embedding. With no locked key, a single row with null key tells how many rows were
    ///    selected.
    ///
    /// With a column destination there are no old chunks; in 0.10's layout only queue rows
    /// whose retry time has come are taken, with their count of failed loadings.
    ///
    /// Columns: `selected` (int8), the key columns, `found` (bool), the loaded column (as text,
    /// or bytea for a bytea column), then [`Queries::columns`] as text, then the old chunks'
    /// `uuid[]` and `bytea[]`, the failed loadings so far (int4), and the key as `text[]`.
    pub claim: String,
    /// `COPY <target> (<keys>, chunk_seq, chunk, embedding) FROM STDIN (FORMAT binary)`.
    pub copy: String,
    /// `COPY <queue> (<keys>) FROM STDIN (FORMAT binary)`: puts refused keys back.
    pub requeue: String,
    /// Deletes target rows by `embedding_uuid` (`$1 uuid[]`).
    pub delete_chunks: String,
    /// How many of the target rows `$1 uuid[]` exist now.
    pub count_chunks: String,
    /// Moves target rows `$1 uuid[]` to `chunk_seq`s `$2 int4[]` (two statements: through
    /// negative numbers, so that no two rows of a key share a `chunk_seq` on the way).
    pub move_chunks: [String; 2],
    /// 0.10's queues: puts keys (`$1..$n` text arrays) back with their loading attempts
    /// (`$n+1` int4[]) and a retry time 3 minutes per attempt away.
    pub retry: Option<String>,
    /// Moves keys (text arrays) to the failed queue, at step `loading`.
    pub fail: Option<String>,
    /// A column destination: writes embeddings (`$n+1`, text) into the source rows of keys
    /// `$1..$n` (text arrays).
    pub update_column: Option<String>,
    /// How many key columns the claim returns (after `selected`).
    pub key_columns: usize,
    /// The source columns the formatting template uses besides the chunk, in result order.
    pub columns: Vec<String>,
}

impl Queries {
    /// `columns`: the template's placeholders other than `chunk`.
    pub fn new(v: &Vectorizer, columns: Vec<String>) -> Queries {
        let keys: Vec<String> = v.source_pk.iter().map(|c| quote_ident(&c.attname)).collect();
        let list = |prefix: &str| keys.iter().map(|k| format!("{prefix}{k}")).collect::<Vec<_>>().join(", ");
        let join =
            |a: &str, b: &str| keys.iter().map(|k| format!("{a}.{k} = {b}.{k}")).collect::<Vec<_>>().join(" and ");
        let lock_text = v
            .source_pk
            .iter()
            .map(|c| format!("{}, k.{}", quote_literal(&c.attname), quote_ident(&c.attname)))
            .collect::<Vec<_>>()
            .join(", ");
        let (queue, source) = (v.queue.sql(), v.source.sql());
        let column = quote_ident(&v.source_column);
        let content = if v.source_is_bytea { format!("s.{column}") } else { format!("s.{column}::pg_catalog.text") };
        // 0.10's queues count failed loadings: a row waits for its retry time
        let (due, retries, max_retries) = if v.lib_layout {
            (
                " where loading_retry_after is null or loading_retry_after operator(pg_catalog.<=) pg_catalog.now()",
                ", loading_retries",
                ", pg_catalog.max(loading_retries) as retries",
            )
        } else {
            ("", "", ", 0 as retries")
        };
        let old = match &v.destination {
            Destination::Table(target) => format!(
                "select pg_catalog.array_agg(t.embedding_uuid order by t.chunk_seq) as uuids, \
                        pg_catalog.array_agg(pg_catalog.sha256(pg_catalog.convert_to(t.chunk, 'UTF8')) order by t.chunk_seq) as hashes \
                 from {target} t where {}",
                join("t", "l"),
                target = target.sql()
            ),
            Destination::Column(_) => "select null::pg_catalog.uuid[] as uuids, null::pg_catalog.bytea[] as hashes".into(),
        };
        let claim = format!(
            "with selected as (\
                select {keys}{retries} from {queue}{due} limit $1 for update skip locked\
            ), locked as (\
                select {k_keys}, k.retries from (select {keys}{max_retries} from selected group by {keys}) k \
                where pg_catalog.pg_try_advisory_xact_lock($2, pg_catalog.hashtext(pg_catalog.concat_ws('|', {lock_text})))\
            ), dequeued as (\
                delete from {queue} where ctid = any(array(\
                    select x.ctid from locked l cross join lateral (\
                        select q.ctid from {queue} q where {join_ql} offset 0 for update skip locked) x))\
            ) \
            select n.selected, {l_keys}, s.found, s.content{s_extra}, o.uuids, o.hashes, l.retries::pg_catalog.int4, \
                   array[{l_text}] as key_text \
            from (select pg_catalog.count(*) as selected from selected) n \
            left join locked l on true \
            left join lateral (\
                select true as found, {content} as content{extra} \
                from {source} s where {join_sl} for key share\
            ) s on true \
            left join lateral ({old}) o on true",
            keys = keys.join(", "),
            k_keys = list("k."),
            l_keys = list("l."),
            l_text = keys.iter().map(|k| format!("l.{k}::pg_catalog.text")).collect::<Vec<_>>().join(", "),
            join_ql = join("q", "l"),
            join_sl = join("s", "l"),
            s_extra = (0..columns.len()).map(|i| format!(", s.c{i}")).collect::<String>(),
            extra = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!(", s.{}::pg_catalog.text as c{i}", quote_ident(c)))
                .collect::<String>(),
        );
        let target = match &v.destination {
            Destination::Table(t) => t.sql(),
            Destination::Column(_) => String::new(),
        };
        let copy =
            format!("copy {target} ({}, chunk_seq, chunk, embedding) from stdin with (format binary)", keys.join(", "));
        let requeue = format!("copy {queue} ({}) from stdin with (format binary)", keys.join(", "));
        let delete_chunks = format!("delete from {target} where embedding_uuid = any($1::pg_catalog.uuid[])");
        let count_chunks =
            format!("select pg_catalog.count(*) from {target} where embedding_uuid = any($1::pg_catalog.uuid[])");
        let move_chunks = [
            format!("update {target} set chunk_seq = -1 - chunk_seq where embedding_uuid = any($1::pg_catalog.uuid[])"),
            format!(
                "update {target} t set chunk_seq = m.seq \
                 from rows from (pg_catalog.unnest($1::pg_catalog.uuid[]), pg_catalog.unnest($2::pg_catalog.int4[])) m(id, seq) \
                 where t.embedding_uuid = m.id"
            ),
        ];
        // keys as text arrays, one per key column ($1..$n), cast back to the key's type
        let n = keys.len();
        let unnest = |extra: &[&str]| {
            (1..=n)
                .map(|i| format!("pg_catalog.unnest(${i}::pg_catalog.text[])"))
                .chain(extra.iter().enumerate().map(|(j, t)| format!("pg_catalog.unnest(${}::{t}[])", n + 1 + j)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let m_cols = (0..n).map(|i| format!("k{i}")).collect::<Vec<_>>().join(", ");
        let m_keys = v
            .source_pk
            .iter()
            .enumerate()
            .map(|(i, c)| format!("m.k{i}::{}", c.typname))
            .collect::<Vec<_>>()
            .join(", ");
        let retry = v.lib_layout.then(|| {
            format!(
                "insert into {queue} ({}, loading_retries, loading_retry_after) \
                 select {m_keys}, m.r, pg_catalog.now() operator(pg_catalog.+) pg_catalog.make_interval(mins => 3 * m.r) \
                 from rows from ({}) m({m_cols}, r)",
                keys.join(", "),
                unnest(&["pg_catalog.int4"])
            )
        });
        let fail = v.queue_failed.as_ref().map(|failed| {
            format!(
                "insert into {} ({}, failure_step) select {m_keys}, 'loading' from rows from ({}) m({m_cols})",
                failed.sql(),
                keys.join(", "),
                unnest(&[])
            )
        });
        let update_column = match &v.destination {
            Destination::Column(column) => Some(format!(
                "update {source} s set {} = m.e::{} from rows from ({}) m({m_cols}, e) where {}",
                quote_ident(column),
                v.embedding_type.as_deref().unwrap_or("vector"),
                unnest(&["pg_catalog.text"]),
                v.source_pk
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("s.{} = m.k{i}::{}", quote_ident(&c.attname), c.typname))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
            Destination::Table(_) => None,
        };
        Queries {
            claim,
            copy,
            requeue,
            delete_chunks,
            count_chunks,
            move_chunks,
            retry,
            fail,
            update_column,
            key_columns: keys.len(),
            columns,
        }
    }
}

/// `'text'` with embedded quotes doubled.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::catalog::{PkColumn, Table};

    fn vectorizer() -> Vectorizer {
        let config = serde_json::json!({
            "embedding": {"implementation": "openai", "model": "m", "dimensions": 3},
            "chunking": {"implementation": "character_text_splitter", "chunk_column": "body"},
        });
        let pk = |attname: &str, pknum| PkColumn { attname: attname.into(), pknum, typname: "text".into() };
        Vectorizer {
            id: 1,
            source: Table { schema: "public".into(), name: "docs".into() },
            destination: Destination::Table(Table { schema: "public".into(), name: "docs_embedding_store".into() }),
            queue: Table { schema: "ai".into(), name: "_vectorizer_q_1".into() },
            queue_failed: None,
            source_pk: vec![pk("a", 1), pk("it's", 2)],
            queue_oid: 1234,
            config: serde_json::from_value(config).unwrap(),
            source_column: "body".into(),
            source_is_bytea: false,
            embedding_type: None,
            lib_layout: false,
        }
    }

    #[test]
    fn statements_name_every_key_column() {
        let q = Queries::new(&vectorizer(), vec!["title".into()]);
        assert_eq!(q.key_columns, 2);
        assert!(q.claim.contains("concat_ws('|', 'a', k.\"a\", 'it''s', k.\"it's\")"), "{}", q.claim);
        assert!(q.claim.contains("s.\"title\"::pg_catalog.text as c0"), "{}", q.claim);
        assert!(
            q.claim.contains("select n.selected, l.\"a\", l.\"it's\", s.found, s.content, s.c0, o.uuids, o.hashes, l.retries::pg_catalog.int4, "),
            "{}",
            q.claim
        );
        assert_eq!(
            q.copy,
            "copy \"public\".\"docs_embedding_store\" (\"a\", \"it's\", chunk_seq, chunk, embedding) from stdin with (format binary)"
        );
        assert!(q.retry.is_none() && q.fail.is_none() && q.update_column.is_none());
    }

    #[test]
    fn a_column_destination_of_the_0_10_layout() {
        let mut v = vectorizer();
        v.destination = Destination::Column("e".into());
        v.queue_failed = Some(Table { schema: "ai".into(), name: "_vectorizer_q_failed_1".into() });
        v.lib_layout = true;
        v.source_is_bytea = true;
        v.embedding_type = Some("vector(3)".into());
        let q = Queries::new(&v, vec![]);
        assert!(q.claim.contains("where loading_retry_after is null or"), "{}", q.claim);
        assert!(q.claim.contains("s.\"body\" as content"), "bytes as they are: {}", q.claim);
        assert!(q.claim.contains("null::pg_catalog.uuid[] as uuids"), "{}", q.claim);
        assert_eq!(
            q.update_column.unwrap(),
            "update \"public\".\"docs\" s set \"e\" = m.e::vector(3) from rows from (pg_catalog.unnest($1::pg_catalog.text[]), \
             pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.text[])) m(k0, k1, e) \
             where s.\"a\" = m.k0::text and s.\"it's\" = m.k1::text"
        );
        assert!(q.retry.unwrap().contains("make_interval(mins => 3 * m.r)"));
        assert!(q.fail.unwrap().starts_with("insert into \"ai\".\"_vectorizer_q_failed_1\" (\"a\", \"it's\", failure_step) select m.k0::text, m.k1::text, 'loading'"));
    }
}
