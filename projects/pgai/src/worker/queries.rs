//! The SQL one vectorizer's batches run, built once per vectorizer from its catalog row.

use super::catalog::{quote_ident, Vectorizer};

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
    /// Columns: `selected` (int8), the key columns, `found` (bool), the chunk column as text,
    /// then [`Queries::columns`] as text, then the old chunks' `uuid[]` and `bytea[]`.
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
        let (queue, source, target) = (v.queue.sql(), v.source.sql(), v.target.sql());
        let chunk_column = quote_ident(v.config.chunking.chunk_column());
        let claim = format!(
            "with selected as (\
                select {keys} from {queue} limit $1 for update skip locked\
            ), locked as (\
                select {k_keys} from (select distinct {keys} from selected) k \
                where pg_catalog.pg_try_advisory_xact_lock($2, pg_catalog.hashtext(pg_catalog.concat_ws('|', {lock_text})))\
            ), dequeued as (\
                delete from {queue} where ctid = any(array(\
                    select x.ctid from locked l cross join lateral (\
                        select q.ctid from {queue} q where {join_ql} offset 0 for update skip locked) x))\
            ) \
            select n.selected, {l_keys}, s.found, s.chunk{s_extra}, o.uuids, o.hashes \
            from (select pg_catalog.count(*) as selected from selected) n \
            left join locked l on true \
            left join lateral (\
                select true as found, s.{chunk_column}::pg_catalog.text as chunk{extra} \
                from {source} s where {join_sl} for key share\
            ) s on true \
            left join lateral (\
                select pg_catalog.array_agg(t.embedding_uuid order by t.chunk_seq) as uuids, \
                       pg_catalog.array_agg(pg_catalog.sha256(pg_catalog.convert_to(t.chunk, 'UTF8')) order by t.chunk_seq) as hashes \
                from {target} t where {join_tl}\
            ) o on true",
            keys = keys.join(", "),
            k_keys = list("k."),
            l_keys = list("l."),
            join_ql = join("q", "l"),
            join_tl = join("t", "l"),
            join_sl = join("s", "l"),
            s_extra = (0..columns.len()).map(|i| format!(", s.c{i}")).collect::<String>(),
            extra = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!(", s.{}::pg_catalog.text as c{i}", quote_ident(c)))
                .collect::<String>(),
        );
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
        Queries { claim, copy, requeue, delete_chunks, count_chunks, move_chunks, key_columns: keys.len(), columns }
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
            target: Table { schema: "public".into(), name: "docs_embedding_store".into() },
            queue: Table { schema: "ai".into(), name: "_vectorizer_q_1".into() },
            source_pk: vec![pk("a", 1), pk("it's", 2)],
            queue_oid: 1234,
            config: serde_json::from_value(config).unwrap(),
        }
    }

    #[test]
    fn statements_name_every_key_column() {
        let q = Queries::new(&vectorizer(), vec!["title".into()]);
        assert_eq!(q.key_columns, 2);
        assert!(q.claim.contains("concat_ws('|', 'a', k.\"a\", 'it''s', k.\"it's\")"), "{}", q.claim);
        assert!(q.claim.contains("s.\"title\"::pg_catalog.text as c0"), "{}", q.claim);
        assert!(
            q.claim.contains("select n.selected, l.\"a\", l.\"it's\", s.found, s.chunk, s.c0, o.uuids, o.hashes "),
            "{}",
            q.claim
        );
        assert_eq!(
            q.copy,
            "copy \"public\".\"docs_embedding_store\" (\"a\", \"it's\", chunk_seq, chunk, embedding) from stdin with (format binary)"
        );
    }
}
