//! The suite switches of pgai's developer guide: `ENABLE_<SUITE>_TESTS` in the environment or
//! `.env` turns a suite off with `0`/`false`/`no`/`off` (every suite runs by default, and in CI).
//! A test of a disabled suite passes at once and says, on stderr, that it was skipped and why.

/// The suites that can be switched off, as in pgai: `ENABLE_<name>_TESTS`.
pub const SUITES: &[&str] = &["VECTORIZER", "DUMP_RESTORE", "PRIVILEGES", "CONTENTS", "SECRETS"];

/// Whether suite `suite` (one of [`SUITES`]) runs.
pub fn enabled(suite: &str) -> bool {
    assert!(SUITES.contains(&suite), "unknown test suite {suite}; known: {SUITES:?}");
    crate::dotenv::var(&variable(suite)).is_none_or(|v| !is_off(&v))
}

/// [`enabled`], printing the reason when it is not.
pub fn check(suite: &str) -> bool {
    let on = enabled(suite);
    if !on {
        eprintln!(
            "skipped: the {} suite is off ({}={:?} in the environment or .env; remove it or set it to 1 to run)",
            suite.to_lowercase(),
            variable(suite),
            crate::dotenv::var(&variable(suite)).unwrap_or_default()
        );
    }
    on
}

fn variable(suite: &str) -> String {
    format!("ENABLE_{suite}_TESTS")
}

fn is_off(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off")
}

/// Returns `Ok(())` from the test at once when suite `$suite` is switched off.
#[macro_export]
macro_rules! require_suite {
    ($suite:literal) => {
        if !$crate::suites::check($suite) {
            return Ok(());
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches() {
        for off in ["0", "false", "No", " off "] {
            assert!(is_off(off), "{off}");
        }
        for on in ["1", "true", "yes", "on"] {
            assert!(!is_off(on), "{on}");
        }
        // set in this process only: the variable names are unique to this test
        std::env::set_var("ENABLE_CONTENTS_TESTS", "0");
        assert!(!enabled("CONTENTS") && !check("CONTENTS"));
        std::env::set_var("ENABLE_CONTENTS_TESTS", "1");
        assert!(enabled("CONTENTS"));
        std::env::remove_var("ENABLE_CONTENTS_TESTS");
    }

    #[test]
    #[should_panic(expected = "unknown test suite")]
    fn unknown_suites_are_refused() {
        enabled("VECTORISER");
    }
}
