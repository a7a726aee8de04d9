//! The pgai library: the vectorizer worker engine.
//!
//! - [`chunking`] and [`formatting`]: LangChain's splitters and Python's `string.Template`.
//! - [`worker`]: the vectorizer worker (`pgai vectorizer worker`): it takes keys from a
//!   vectorizer's queue, chunks, formats and embeds the rows, and writes the target table.
//! - [`install`]: `pgai install`: the vectorizer catalog as plain SQL, for any PostgreSQL with
//!   pgvector.
//! - [`connect`], [`dotenv`], [`logging`], [`duration`]: the small pieces the CLI is built from.

pub mod chunking;
pub mod connect;
pub mod dotenv;
pub mod duration;
pub mod formatting;
pub mod install;
pub mod logging;
pub mod worker;
