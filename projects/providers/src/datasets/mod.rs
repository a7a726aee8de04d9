//! Hugging Face datasets: finding a dataset's Parquet files on the Hub ([`hub`]) and turning
//! them into PostgreSQL columns and rows ([`parquet`]). Used by `ai.load_dataset`.

pub mod hub;
pub mod parquet;

pub use hub::{Hub, ParquetIndex};
pub use parquet::{Column, ParquetTable};
