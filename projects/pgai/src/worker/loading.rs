//! Loading: what the worker embeds from a row. A text column is its text; a bytea column is
//! parsed as the vectorizer's `parsing` says (text that is UTF-8 as it is; documents such as
//! PDF and Office files need a document parser, which this worker does not have yet); a URI is
//! a document to fetch (not supported yet). A row that cannot be loaded is a loading failure:
//! it is tried again later, and moves to the failed queue after `loading.retries` attempts.

use super::config::{LoadingConfig, ParsingConfig};

/// A row's loaded column, as the claim returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text(String),
    Bytes(Vec<u8>),
}

/// The text to chunk (`None`: NULL, nothing to embed), or why the row cannot be loaded.
pub fn load(
    content: Option<&Content>,
    loading: Option<&LoadingConfig>,
    parsing: Option<ParsingConfig>,
) -> Result<Option<String>, String> {
    let Some(content) = content else { return Ok(None) };
    if let Some(LoadingConfig::Uri { .. }) = loading {
        return Err("loading documents from URIs (ai.loading_uri) is not supported by this worker yet".into());
    }
    match (content, parsing.unwrap_or(ParsingConfig::Auto)) {
        (Content::Text(text), _) => Ok(Some(text.clone())),
        (Content::Bytes(bytes), ParsingConfig::None) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some(text.to_string())),
            Err(_) => Err("the column's bytes are not UTF-8 text (parsing_none reads them as text)".into()),
        },
        (Content::Bytes(bytes), ParsingConfig::Auto) => match document_kind(bytes) {
            Some(kind) => Err(format!("parsing {kind} documents is not supported by this worker yet")),
            None => match std::str::from_utf8(bytes) {
                Ok(text) => Ok(Some(text.to_string())),
                Err(_) => Err("the column's bytes are neither UTF-8 text nor a document type this worker knows".into()),
            },
        },
        (Content::Bytes(_), p @ (ParsingConfig::Pymupdf | ParsingConfig::Docling)) => {
            let name = if p == ParsingConfig::Pymupdf { "pymupdf" } else { "docling" };
            Err(format!("parsing with {name} is not supported by this worker yet"))
        }
    }
}

/// The kind of document the bytes start like, for the formats parsing_auto sends to a
/// document parser.
pub fn document_kind(bytes: &[u8]) -> Option<&'static str> {
    const KINDS: &[(&[u8], &str)] = &[
        (b"%PDF-", "PDF"),
        (b"PK\x03\x04", "zip-packaged (DOCX, PPTX, XLSX, EPUB)"),
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"\xd0\xcf\x11\xe0", "legacy Office"),
    ];
    KINDS.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column() -> LoadingConfig {
        LoadingConfig::Column { column_name: "c".into(), retries: None }
    }

    #[test]
    fn text_and_utf8_bytes_load_as_they_are() {
        assert_eq!(load(None, None, None), Ok(None));
        assert_eq!(load(Some(&Content::Text("héllo".into())), None, None), Ok(Some("héllo".into())));
        let bytes = Content::Bytes("# Title\n\nbody".as_bytes().to_vec());
        assert_eq!(load(Some(&bytes), Some(&column()), Some(ParsingConfig::Auto)), Ok(Some("# Title\n\nbody".into())));
        assert_eq!(load(Some(&bytes), Some(&column()), Some(ParsingConfig::None)), Ok(Some("# Title\n\nbody".into())));
    }

    #[test]
    fn documents_and_uris_are_loading_failures_that_say_why() {
        let pdf = Content::Bytes(b"%PDF-1.7\n...".to_vec());
        assert_eq!(
            load(Some(&pdf), Some(&column()), Some(ParsingConfig::Auto)),
            Err("parsing PDF documents is not supported by this worker yet".into())
        );
        assert!(load(Some(&pdf), Some(&column()), Some(ParsingConfig::Docling)).unwrap_err().contains("docling"));
        let binary = Content::Bytes(vec![0xff, 0xfe, 0x00]);
        assert!(load(Some(&binary), Some(&column()), Some(ParsingConfig::None)).unwrap_err().contains("not UTF-8"));
        let uri = LoadingConfig::Uri { column_name: "u".into(), retries: None };
        assert!(load(Some(&Content::Text("s3://b/k.pdf".into())), Some(&uri), None).unwrap_err().contains("URIs"));
        assert_eq!(document_kind(b"PK\x03\x04rest"), Some("zip-packaged (DOCX, PPTX, XLSX, EPUB)"));
        assert_eq!(document_kind(b"plain"), None);
    }
}
