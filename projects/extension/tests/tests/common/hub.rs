//! A fake Hugging Face Hub serving Parquet files written here (for the load_dataset and docs tests).

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use testkit::http::{FakeServer, Reply};

const SCHEMA: &str = "message schema {
    required int64 id;
    optional binary title (UTF8);
    optional double score;
    optional boolean flag;
    optional group tags (LIST) { repeated group list { optional int32 element; } }
    optional group meta { optional binary lang (UTF8); }
    optional binary blob;
}";

struct Row {
    id: i64,
    title: Option<&'static str>,
    score: f64,
    flag: bool,
    tags: Option<Vec<i32>>,
    lang: Option<&'static str>,
}

/// A Parquet file (snappy) with the columns of SCHEMA.
fn parquet_file(rows: &[Row]) -> Vec<u8> {
    let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
    let props = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).build());
    let mut buf = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut buf, schema, props).unwrap();
    let mut rg = writer.next_row_group().unwrap();
    let mut index = 0;
    while let Some(mut col) = rg.next_column().unwrap() {
        match index {
            0 => {
                let v: Vec<i64> = rows.iter().map(|r| r.id).collect();
                col.typed::<Int64Type>().write_batch(&v, None, None).unwrap();
            }
            1 => {
                let v: Vec<ByteArray> = rows.iter().filter_map(|r| r.title).map(ByteArray::from).collect();
                let d: Vec<i16> = rows.iter().map(|r| r.title.is_some() as i16).collect();
                col.typed::<ByteArrayType>().write_batch(&v, Some(&d), None).unwrap();
            }
            2 => {
                let v: Vec<f64> = rows.iter().map(|r| r.score).collect();
                col.typed::<DoubleType>().write_batch(&v, Some(&vec![1; rows.len()]), None).unwrap();
            }
            3 => {
                let v: Vec<bool> = rows.iter().map(|r| r.flag).collect();
                col.typed::<BoolType>().write_batch(&v, Some(&vec![1; rows.len()]), None).unwrap();
            }
            4 => {
                let (mut v, mut d, mut r) = (vec![], vec![], vec![]);
                for row in rows {
                    match &row.tags {
                        None => (d.push(0), r.push(0)),
                        Some(t) if t.is_empty() => (d.push(1), r.push(0)),
                        Some(t) => {
                            for (i, x) in t.iter().enumerate() {
                                v.push(*x);
                                d.push(3);
                                r.push((i > 0) as i16);
                            }
                            ((), ())
                        }
                    };
                }
                col.typed::<Int32Type>().write_batch(&v, Some(&d), Some(&r)).unwrap();
            }
            5 => {
                let v: Vec<ByteArray> = rows.iter().filter_map(|r| r.lang).map(ByteArray::from).collect();
                let d: Vec<i16> = rows.iter().map(|r| if r.lang.is_some() { 2 } else { 1 }).collect();
                col.typed::<ByteArrayType>().write_batch(&v, Some(&d), None).unwrap();
            }
            _ => {
                let v: Vec<ByteArray> = rows.iter().map(|r| ByteArray::from(vec![0xde, 0xad, r.id as u8])).collect();
                col.typed::<ByteArrayType>().write_batch(&v, Some(&vec![1; rows.len()]), None).unwrap();
            }
        }
        col.close().unwrap();
        index += 1;
    }
    rg.close().unwrap();
    writer.close().unwrap();
    buf
}

fn row(id: i64, title: Option<&'static str>, tags: Option<Vec<i32>>, lang: Option<&'static str>) -> Row {
    Row { id, title, score: id as f64 / 2.0, flag: id % 2 == 0, tags, lang }
}

/// A fake Hub: dataset "test/mini" (config "default": train = 2 files, 3 rows; test = 1 file,
/// 2 rows; config "other": train), "test/broken" (its second file is not Parquet).
pub fn hub() -> FakeServer {
    let mut files: HashMap<&str, Vec<u8>> = HashMap::new();
    files.insert(
        "/files/train-0.parquet",
        parquet_file(&[row(1, Some("héllo"), Some(vec![1, 2]), Some("fr")), row(2, None, Some(vec![]), None)]),
    );
    files.insert("/files/train-1.parquet", parquet_file(&[row(3, Some("three"), None, Some("en"))]));
    files.insert(
        "/files/test-0.parquet",
        parquet_file(&[row(10, Some("t1"), Some(vec![7]), None), row(11, Some("t2"), None, None)]),
    );
    files.insert("/files/broken-1.parquet", b"this is not parquet".to_vec());
    FakeServer::start(move |req| {
        let path = req.path_only();
        match path {
            "/api/datasets/test/mini/parquet" => Reply::ok(json!({
                "default": {"test": ["/files/test-0.parquet"], "train": ["/files/train-0.parquet", "/files/train-1.parquet"]},
                "other": {"train": ["/files/test-0.parquet"]}
            })),
            "/api/datasets/test/broken/parquet" => {
                Reply::ok(json!({"default": {"train": ["/files/train-0.parquet", "/files/broken-1.parquet"]}}))
            }
            p if files.contains_key(p) => Reply::bytes(200, "application/octet-stream", files[p].clone()),
            _ => Reply::json(404, json!({"error": "Repository not found"})),
        }
    })
}
