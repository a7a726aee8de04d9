//! The one crate that talks to model APIs.
