//! pgai's `python_template` formatter: Python's
//! `string.Template(template).substitute(chunk=chunk, **row)`, parsed once.

/// Why a template cannot be parsed or rendered (Python's ValueError, KeyError
/// and TypeError respectively).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Invalid placeholder in string: line {line}, col {col}")]
    InvalidPlaceholder { line: usize, col: usize },
    #[error("template placeholder '{0}' has no value (no such column)")]
    MissingKey(String),
    /// pgai passes `chunk=` and the row's columns as keyword arguments, so a
    /// column named `chunk` makes Python raise before substituting anything.
    #[error("the row has a column named 'chunk', which clashes with the chunk (Python: substitute() got multiple values for keyword argument 'chunk')")]
    ChunkColumn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Chunk,
    Column(String),
}

/// A parsed `string.Template`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
    placeholders: Vec<String>,
}

/// pgai's default template.
pub const DEFAULT_TEMPLATE: &str = "$chunk";

/// The identifier after `$` at the start of `s`: `(?a:[_a-z][_a-z0-9]*)` with
/// re.IGNORECASE, i.e. ASCII only.
fn identifier(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if !b.first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
        return None;
    }
    let n = b.iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_')).unwrap_or(b.len());
    Some(&s[..n])
}

/// Python's `Template._invalid` position: `i` is the code-point index just
/// past the `$`; lines are `str.splitlines` lines.
fn invalid_at(template: &str, dollar: usize) -> TemplateError {
    let head = &template[..=dollar];
    let (mut line, mut col) = (1, 0);
    let mut chars = head.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        let is_break = match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                true
            }
            '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}' => true,
            _ => false,
        };
        if is_break {
            line += 1;
            col = 0;
        }
    }
    TemplateError::InvalidPlaceholder { line, col }
}

impl Template {
    /// Parses `template`; a `$` not followed by `$`, an identifier or a braced
    /// identifier is an error (Python raises it on first substitution).
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let mut segments = Vec::new();
        let mut placeholders: Vec<String> = Vec::new();
        let mut literal = String::new();
        let mut rest = template;
        while let Some(dollar) = rest.find('$') {
            literal.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            let (name, consumed) = if let Some(escaped) = after.strip_prefix('$') {
                literal.push('$');
                rest = escaped;
                continue;
            } else if let Some(name) = identifier(after) {
                (name, name.len())
            } else if let Some(name) =
                after.strip_prefix('{').and_then(identifier).filter(|n| after[1 + n.len()..].starts_with('}'))
            {
                (name, name.len() + 2)
            } else {
                let offset = template.len() - rest.len() + dollar;
                return Err(invalid_at(template, offset));
            };
            if !literal.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut literal)));
            }
            segments.push(if name == "chunk" { Segment::Chunk } else { Segment::Column(name.to_owned()) });
            if !placeholders.iter().any(|p| p == name) {
                placeholders.push(name.to_owned());
            }
            rest = &after[consumed..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Self { segments, placeholders })
    }

    /// The placeholder names in order of first appearance, `chunk` included
    /// (Python's `Template.get_identifiers`).
    pub fn placeholders(&self) -> &[String] {
        &self.placeholders
    }

    /// Substitutes `chunk` and the row's columns; `lookup` returns a column's
    /// value already converted to text (Python applies `str()`).
    pub fn render<F, S>(&self, chunk: &str, mut lookup: F) -> Result<String, TemplateError>
    where
        F: FnMut(&str) -> Option<S>,
        S: AsRef<str>,
    {
        if lookup("chunk").is_some() {
            return Err(TemplateError::ChunkColumn);
        }
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(s) => out.push_str(s),
                Segment::Chunk => out.push_str(chunk),
                Segment::Column(name) => match lookup(name) {
                    Some(v) => out.push_str(v.as_ref()),
                    None => return Err(TemplateError::MissingKey(name.clone())),
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str) -> Option<&'static str> {
        match key {
            "title" => Some("T"),
            "x" => Some("$chunk"),
            _ => None,
        }
    }

    #[test]
    fn substitutes_named_braced_and_escaped() {
        let t = Template::parse("$$${title}s: $chunk ($x) $$").unwrap();
        assert_eq!(t.render("C", row).unwrap(), "$Ts: C ($chunk) $");
        assert_eq!(t.placeholders(), ["title", "chunk", "x"]);
    }

    #[test]
    fn default_template_is_the_chunk() {
        let t = Template::parse(DEFAULT_TEMPLATE).unwrap();
        assert_eq!(t.render("hello", row).unwrap(), "hello");
    }

    #[test]
    fn invalid_placeholders_report_line_and_column() {
        let err = |s| Template::parse(s).unwrap_err();
        let at = |line, col| TemplateError::InvalidPlaceholder { line, col };
        assert_eq!(err("$"), at(1, 1));
        assert_eq!(err("ab\r\ncd ${x"), at(2, 4));
        assert_eq!(err("é $é"), at(1, 3));
        assert_eq!(err("$1").to_string(), "Invalid placeholder in string: line 1, col 1");
    }

    #[test]
    fn missing_keys_and_chunk_column_are_errors() {
        let t = Template::parse("$chunk $nope").unwrap();
        assert_eq!(t.render("c", row), Err(TemplateError::MissingKey("nope".into())));
        let t = Template::parse("$title").unwrap();
        assert_eq!(t.render("c", |_| Some("v")), Err(TemplateError::ChunkColumn));
    }

    #[test]
    fn identifiers_are_ascii_and_case_sensitive() {
        let t = Template::parse("$Title").unwrap();
        assert_eq!(t.render("c", row), Err(TemplateError::MissingKey("Title".into())));
        assert!(Template::parse("$ſ").is_err());
    }
}
