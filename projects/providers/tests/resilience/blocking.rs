//! `providers::blocking::run`: plain threads, no tokio runtime around.

use crate::{openai, quick};
use providers::blocking;
use providers::{EmbedInput, ErrorKind};
use serde_json::json;
use std::cell::Cell;
use std::time::{Duration, Instant};
use testkit::fake::{self, fake_embedding};
use testkit::Reply;

#[test]
fn runs_a_request_to_completion() {
    let f = fake::openai(crate::KEY);
    let c = openai(&f, quick(1));
    let out =
        blocking::run(c.embed("text-embedding-3-small", EmbedInput::Text("b".into()), None, None), || false).unwrap();
    assert_eq!(out, vec![(0, fake_embedding("b", 1536))]);
    // The runtime is reused by later calls.
    let models = blocking::run(c.list_models(), || false).unwrap();
    assert!(!models.is_empty());
}

#[test]
fn cancels_soon_after_the_interrupt() {
    let f = fake::openai(crate::KEY);
    f.set_fault(|_| Some(Reply::ok(json!({})).delay(Duration::from_secs(30))));
    let c = openai(&f, quick(0));
    let start = Instant::now();
    let flip_at = Duration::from_millis(300);
    let flipped = Cell::new(None);
    let err = blocking::run(c.list_models(), || {
        if start.elapsed() >= flip_at {
            flipped.set(flipped.get().or(Some(Instant::now())));
            true
        } else {
            false
        }
    })
    .unwrap_err();
    let after_flip = flipped.get().expect("interrupted was polled").elapsed();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(err.is_cancelled());
    assert!(after_flip < Duration::from_millis(100), "returned {after_flip:?} after the interrupt");
    assert!(start.elapsed() < flip_at + Duration::from_millis(150), "{:?}", start.elapsed());
    assert_eq!(f.hits(), 1);
}

#[test]
fn interrupted_before_start_sends_nothing() {
    let f = fake::openai(crate::KEY);
    let c = openai(&f, quick(0));
    let err = blocking::run(c.list_models(), || true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(err.to_string(), "request cancelled");
    assert_eq!(f.hits(), 0);
}

#[test]
fn interrupt_is_polled_while_waiting() {
    let f = fake::openai(crate::KEY);
    f.set_fault(|_| Some(Reply::ok(json!({"object": "list", "data": []})).delay(Duration::from_millis(300))));
    let c = openai(&f, quick(0));
    let mut polls = 0;
    let out = blocking::run(c.list_models(), || {
        polls += 1;
        false
    })
    .unwrap();
    assert!(out.is_empty());
    // ~300 ms at one poll per 20 ms.
    assert!((8..=30).contains(&polls), "{polls} polls");
}
