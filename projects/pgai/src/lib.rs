//! The pgai library: the vectorizer worker engine.

pub mod chunking;
pub mod formatting;
