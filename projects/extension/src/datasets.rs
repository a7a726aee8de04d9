//! ai.load_dataset / ai.load_dataset_multi_txn: a Hugging Face dataset's Parquet files into a
//! table. The Hub client and the Parquet decoding live in `providers::datasets`; this is the
//! glue: settings, the table (created, dropped or appended to), and batched inserts.

use crate::call::{call, setting};
use crate::secrets::optional_key;
use pgrx::prelude::*;
use pgrx::JsonB;
use providers::datasets::{hub, Column, Hub, ParquetTable};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

thread_local! {
    /// Downloaded files of the load in progress, so the steps of load_dataset_multi_txn
    /// download each file once.
    static FILES: RefCell<HashMap<String, Rc<Vec<u8>>>> = RefCell::new(HashMap::new());
}

fn hub_client() -> Hub {
    let endpoint = setting("ai.hf_endpoint").or_else(|| std::env::var("HF_ENDPOINT").ok().filter(|e| !e.is_empty()));
    Hub::new(endpoint, optional_key("load_dataset", None, None, "HUGGINGFACE_API_KEY"))
}

fn fetch(hub: &Hub, url: &str) -> Rc<Vec<u8>> {
    if let Some(data) = FILES.with(|f| f.borrow().get(url).cloned()) {
        return data;
    }
    let data = Rc::new(call(hub.download(url)));
    FILES.with(|f| f.borrow_mut().insert(url.to_string(), data.clone()));
    data
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The canonical name of a type the user named in field_types (rejects anything else).
fn checked_type(name: &str, column: &str) -> String {
    Spi::get_one_with_args::<String>("select pg_catalog.to_regtype($1)::pg_catalog.text", &[name.into()])
        .ok()
        .flatten()
        .unwrap_or_else(|| error!("field_types: {name:?} (for column {column:?}) is not a known type"))
}

fn table_columns(schema: &str, table: &str) -> Option<Vec<String>> {
    let exists = Spi::get_one_with_args::<bool>(
        "select pg_catalog.to_regclass(pg_catalog.format('%I.%I', $1, $2)) is not null",
        &[schema.into(), table.into()],
    )
    .ok()
    .flatten()
    .unwrap_or(false);
    if !exists {
        return None;
    }
    let cols = Spi::get_one_with_args::<Vec<String>>(
        "select pg_catalog.array_agg(a.attname::pg_catalog.text order by a.attnum) from pg_catalog.pg_attribute a \
         where a.attrelid operator(pg_catalog.=) pg_catalog.format('%I.%I', $1, $2)::pg_catalog.regclass and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped",
        &[schema.into(), table.into()],
    )
    .ok()
    .flatten()
    .unwrap_or_default();
    Some(cols)
}

fn prepare_table(schema: &str, table: &str, if_exists: &str, columns: &[Column]) {
    let target = format!("{}.{}", quote_ident(schema), quote_ident(table));
    match (table_columns(schema, table), if_exists) {
        (Some(_), "error") => {
            error!("table {target} already exists; pass if_table_exists => 'append' or 'drop'")
        }
        (Some(existing), "append") => {
            if let Some(missing) = columns.iter().find(|c| !existing.contains(&c.name)) {
                error!("schema mismatch: table {target} has no column {:?} that the dataset has; load into a new table or pass if_table_exists => 'drop'", missing.name);
            }
            return;
        }
        (Some(_), "drop") => Spi::run(&format!("drop table {target}")).unwrap_or_else(|e| error!("{e}")),
        (_, "error" | "append" | "drop") => {}
        (_, other) => error!("if_table_exists must be 'error', 'append' or 'drop' (got {other:?})"),
    }
    let defs: Vec<String> = columns.iter().map(|c| format!("{} {}", quote_ident(&c.name), c.pg_type)).collect();
    Spi::run(&format!("create table {target} ({})", defs.join(", "))).unwrap_or_else(|e| error!("{e}"));
}

fn insert_batch(schema: &str, table: &str, columns: &[Column], rows: Vec<Value>) -> i64 {
    let target = format!("{}.{}", quote_ident(schema), quote_ident(table));
    let cols = columns.iter().map(|c| quote_ident(&c.name)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "insert into {target} ({cols}) select {cols} from pg_catalog.jsonb_populate_recordset(null::{target}, $1)"
    );
    let n = rows.len() as i64;
    Spi::run_with_args(&sql, &[JsonB(Value::Array(rows)).into()]).unwrap_or_else(|e| error!("{e}"));
    n
}

/// Loads batches `start_batch .. start_batch + max_batches` (all remaining when null) of the
/// dataset; returns the rows loaded and whether the dataset is exhausted. The table is
/// prepared (created, dropped, checked) only at batch 0.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, create_or_replace, schema = "ai_extra")]
fn _load_dataset_step(
    name: &str,
    config_name: Option<&str>,
    split: Option<&str>,
    schema_name: &str,
    table_name: Option<&str>,
    if_table_exists: &str,
    field_types: Option<JsonB>,
    batch_size: i32,
    start_batch: i32,
    max_batches: Option<i32>,
) -> TableIterator<'static, (name!(loaded, i64), name!(done, bool))> {
    if batch_size <= 0 {
        error!("batch_size must be greater than 0 (got {batch_size})");
    }
    if max_batches.is_some_and(|m| m < 0) {
        error!("max_batches must be 0 or more");
    }
    if start_batch == 0 {
        FILES.with(|f| f.borrow_mut().clear());
    }
    let hub = hub_client();
    let index = call(hub.parquet_files(name));
    let (_config, splits) = hub::select(&index, name, config_name, split).unwrap_or_else(|e| error!("{e}"));
    let files: Vec<String> = splits.into_iter().flat_map(|(_, f)| f).collect();
    let Some(first) = files.first() else { error!("dataset {name:?} has no Parquet files for that config and split") };

    let mut columns = ParquetTable::open((*fetch(&hub, first)).clone()).unwrap_or_else(|e| error!("{e}")).columns;
    if let Some(JsonB(types)) = field_types {
        let Value::Object(types) = types else {
            error!("field_types must be a json object like {{\"column\": \"type\"}}")
        };
        for (col, ty) in types {
            let Some(c) = columns.iter_mut().find(|c| c.name == col) else {
                error!("field_types names {col:?}, which the dataset does not have")
            };
            let ty = ty.as_str().unwrap_or_else(|| error!("field_types: the type of {col:?} must be a string"));
            c.pg_type = checked_type(ty, &col);
        }
    }
    let table = table_name.map(str::to_string).unwrap_or_else(|| name.rsplit('/').next().unwrap_or(name).to_string());
    if start_batch == 0 {
        prepare_table(schema_name, &table, if_table_exists, &columns);
    }

    if max_batches == Some(0) {
        return TableIterator::new(vec![(0, false)]);
    }
    let skip = start_batch as usize * batch_size as usize;
    let mut seen = 0usize;
    let mut batch = Vec::with_capacity(batch_size as usize);
    let (mut loaded, mut batches) = (0i64, 0i32);
    for url in &files {
        let data = fetch(&hub, url);
        let file = ParquetTable::open((*data).clone()).unwrap_or_else(|e| error!("{e}"));
        for row in file.rows().unwrap_or_else(|e| error!("{e}")) {
            seen += 1;
            if seen <= skip {
                continue;
            }
            batch.push(row.unwrap_or_else(|e| error!("{e}")));
            if batch.len() == batch_size as usize {
                loaded += insert_batch(schema_name, &table, &columns, std::mem::take(&mut batch));
                batches += 1;
                if max_batches.is_some_and(|m| batches >= m) {
                    // stop before touching the next row or file; a later step goes on from here
                    return TableIterator::new(vec![(loaded, false)]);
                }
            }
        }
    }
    if !batch.is_empty() {
        loaded += insert_batch(schema_name, &table, &columns, batch);
    }
    FILES.with(|f| f.borrow_mut().clear());
    TableIterator::new(vec![(loaded, true)])
}
