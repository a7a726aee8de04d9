//! A Parquet file as PostgreSQL columns and JSON rows. Columns keep their types where Postgres
//! has one (integers, floats, text, bytea, dates, timestamps, numeric, arrays of scalars);
//! nested structs, maps and lists of structs become jsonb. Rows come out as JSON objects that
//! `jsonb_populate_recordset` turns into the table's row type.

use crate::error::{Error, Result};
use parquet::basic::{ConvertedType, LogicalType, Repetition, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::Type;
use serde_json::{Map, Value};

const PROVIDER: &str = "huggingface";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// A PostgreSQL type name, e.g. `bigint`, `text[]`, `jsonb`.
    pub pg_type: String,
}

pub struct ParquetTable {
    reader: SerializedFileReader<bytes::Bytes>,
    pub columns: Vec<Column>,
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::decode(PROVIDER, format!("not a readable Parquet file: {e}"))
}

impl ParquetTable {
    pub fn open(data: Vec<u8>) -> Result<ParquetTable> {
        let reader = SerializedFileReader::new(bytes::Bytes::from(data)).map_err(bad)?;
        let schema = reader.metadata().file_metadata().schema();
        let columns =
            schema.get_fields().iter().map(|f| Column { name: f.name().to_string(), pg_type: pg_type(f) }).collect();
        Ok(ParquetTable { reader, columns })
    }

    pub fn num_rows(&self) -> i64 {
        self.reader.metadata().file_metadata().num_rows()
    }

    /// Every row as a JSON object keyed by column name.
    pub fn rows(&self) -> Result<impl Iterator<Item = Result<Value>> + '_> {
        let bytea: Vec<bool> = self.columns.iter().map(|c| c.pg_type == "bytea").collect();
        let iter = self.reader.get_row_iter(None).map_err(bad)?;
        Ok(iter.map(move |row| {
            let row = row.map_err(bad)?;
            let mut obj = Map::new();
            for (i, (name, field)) in row.get_column_iter().enumerate() {
                let value = match field {
                    Field::Bytes(b) if bytea.get(i).copied().unwrap_or(false) => Value::String(hex(b.data())),
                    f => f.to_json_value(),
                };
                obj.insert(name.clone(), value);
            }
            Ok(Value::Object(obj))
        }))
    }
}

/// bytea's input format.
fn hex(data: &[u8]) -> String {
    let mut s = String::with_capacity(2 + data.len() * 2);
    s.push_str("\\x");
    for b in data {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The PostgreSQL type for a top-level Parquet field.
pub fn pg_type(t: &Type) -> String {
    if t.is_primitive() {
        if t.get_basic_info().repetition() == Repetition::REPEATED {
            return format!("{}[]", scalar_type(t));
        }
        return scalar_type(t).to_string();
    }
    // LIST of a scalar element: an array; anything else nested: jsonb
    if t.get_basic_info().converted_type() == ConvertedType::LIST
        || matches!(t.get_basic_info().logical_type_ref(), Some(LogicalType::List))
    {
        if let Some(repeated) = t.get_fields().first() {
            let element = if repeated.is_primitive() {
                Some(repeated)
            } else {
                repeated.get_fields().first().filter(|e| e.is_primitive() && repeated.get_fields().len() == 1)
            };
            if let Some(e) = element {
                let scalar = scalar_type(e);
                if scalar != "bytea" {
                    return format!("{scalar}[]");
                }
            }
        }
    }
    "jsonb".to_string()
}

fn scalar_type(t: &Type) -> &'static str {
    let info = t.get_basic_info();
    let logical = info.logical_type_ref();
    match (t.get_physical_type(), info.converted_type(), logical) {
        (_, _, Some(LogicalType::Timestamp(ts))) => {
            if ts.is_adjusted_to_u_t_c {
                "timestamptz"
            } else {
                "timestamp"
            }
        }
        (_, _, Some(LogicalType::Uuid)) => "uuid",
        (_, _, Some(LogicalType::Json)) | (_, ConvertedType::JSON, _) => "jsonb",
        (_, ConvertedType::DECIMAL, _) => "numeric",
        (_, ConvertedType::DATE, _) => "date",
        (_, ConvertedType::TIME_MILLIS | ConvertedType::TIME_MICROS, _) => "time",
        (_, ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS, _) => "timestamptz",
        (Physical::BOOLEAN, _, _) => "boolean",
        (Physical::INT32, ConvertedType::INT_8 | ConvertedType::INT_16 | ConvertedType::UINT_8, _) => "smallint",
        (Physical::INT32, ConvertedType::UINT_16, _) => "integer",
        (Physical::INT32, ConvertedType::UINT_32, _) => "bigint",
        (Physical::INT32, _, _) => "integer",
        (Physical::INT64, ConvertedType::UINT_64, _) => "numeric",
        (Physical::INT64, _, _) => "bigint",
        (Physical::INT96, _, _) => "timestamp",
        (Physical::FLOAT, _, _) => "real",
        (Physical::DOUBLE, _, _) => "double precision",
        (Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY, ConvertedType::UTF8 | ConvertedType::ENUM, _) => "text",
        (Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY, _, Some(LogicalType::String | LogicalType::Enum)) => {
            "text"
        }
        (Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY, _, _) => "bytea",
    }
}
