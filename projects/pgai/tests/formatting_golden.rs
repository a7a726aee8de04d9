//! Golden cases from Python's string.Template (fixtures/make_chunking_fixtures.py).

use std::collections::HashMap;

use pgai::formatting::{Template, TemplateError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    template: String,
    chunk: String,
    row: HashMap<String, String>,
    identifiers: Vec<String>,
    result: Option<String>,
    error: Option<PyError>,
}

#[derive(Deserialize)]
struct PyError {
    #[serde(rename = "type")]
    kind: String,
    key: Option<String>,
    message: Option<String>,
}

#[test]
fn formatting_matches_python() {
    let fixture: Fixture = serde_json::from_str(include_str!("fixtures/formatting.json")).unwrap();
    assert!(fixture.cases.len() > 30);
    for case in &fixture.cases {
        let name = format!("template {:?}", case.template);
        let parsed = Template::parse(&case.template);
        if let Some(PyError { kind, message, .. }) = &case.error {
            if kind == "ValueError" {
                let err = parsed.expect_err(&name);
                assert_eq!(Some(err.to_string()), *message, "{name}");
                continue;
            }
        }
        let template = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        // Python's get_identifiers() only covers valid templates here.
        assert_eq!(template.placeholders(), case.identifiers, "{name}");
        let rendered = template.render(&case.chunk, |k| case.row.get(k));
        match (&case.result, &case.error) {
            (Some(want), None) => assert_eq!(rendered.as_ref(), Ok(want), "{name}"),
            (None, Some(PyError { kind, key, .. })) if kind == "KeyError" => {
                assert_eq!(rendered, Err(TemplateError::MissingKey(key.clone().unwrap())), "{name}")
            }
            (None, Some(PyError { kind, .. })) if kind == "TypeError" => {
                assert_eq!(rendered, Err(TemplateError::ChunkColumn), "{name}")
            }
            _ => panic!("{name}: malformed fixture"),
        }
    }
}
