//! The pgai library: the vectorizer worker engine.
