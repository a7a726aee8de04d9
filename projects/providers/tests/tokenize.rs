//! Offline OpenAI tokenization.

use providers::tokenize::{self, Encoding};
use providers::ErrorKind;

#[test]
fn known_ids() {
    assert_eq!(tokenize::encode("text-embedding-3-small", "hello world").unwrap(), [15339, 1917]);
    assert_eq!(tokenize::encode("gpt-4", "hello world").unwrap(), [15339, 1917]);
    assert_eq!(tokenize::encode("gpt-4o", "hello world").unwrap(), [24912, 2375]);
    assert_eq!(tokenize::decode("gpt-3.5-turbo", &[15339, 1917]).unwrap(), "hello world");
    assert_eq!(tokenize::count("gpt-4o-mini", "hello world").unwrap(), 2);
}

#[test]
fn round_trip() {
    let text = "Les élèves ont mangé 12 crêpes 🥞 — naïve café\n\tend <|endoftext|>";
    for model in ["gpt-4o", "gpt-4", "text-embedding-ada-002", "o1-mini", "gpt-5", "davinci-002"] {
        let tokens = tokenize::encode(model, text).unwrap();
        assert!(!tokens.is_empty());
        assert_eq!(tokenize::decode(model, &tokens).unwrap(), text, "{model}");
        assert_eq!(tokenize::count(model, text).unwrap(), tokens.len());
    }
    // Special-token text is encoded as plain text, never as the special token.
    assert_ne!(tokenize::encode("gpt-4", "<|endoftext|>").unwrap(), [100257]);
}

#[test]
fn encoding_by_model() {
    for m in [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4o-2024-08-06",
        "o1",
        "o1-mini",
        "o3",
        "o3-mini",
        "gpt-4.1",
        "gpt-4.1-nano",
        "gpt-5",
        "gpt-5-mini",
    ] {
        assert_eq!(Encoding::for_model(m).unwrap(), Encoding::O200kBase, "{m}");
    }
    for m in [
        "gpt-4",
        "gpt-4-turbo",
        "gpt-4-0613",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-16k",
        "text-embedding-ada-002",
        "text-embedding-3-large",
        "text-embedding-4-future",
    ] {
        assert_eq!(Encoding::for_model(m).unwrap(), Encoding::Cl100kBase, "{m}");
    }
    assert_eq!(Encoding::for_model("ft:gpt-4o-mini:org::abc").unwrap(), Encoding::O200kBase);
    assert_eq!(Encoding::O200kBase.name(), "o200k_base");
}

#[test]
fn errors() {
    let err = tokenize::encode("llama3", "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("\"llama3\""), "{err}");
    let err = tokenize::decode("gpt-4", &[u32::MAX]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    // A partial multi-byte character decodes with a replacement character.
    let tokens = tokenize::encode("gpt-4", "🥞").unwrap();
    assert!(tokens.len() > 1);
    assert!(tokenize::decode("gpt-4", &tokens[..1]).unwrap().contains('\u{fffd}'));
}
