//! Durations as people write them: `5m`, `30s`, `1h30m`, `250ms`, or plain seconds (`90`, `1.5`).

use std::time::Duration;

/// Parses `text`: a number of seconds, or one or more `<number><unit>` parts with units `ms`,
/// `s`, `m`, `h`, `d`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("invalid duration {text:?}: use e.g. 30s, 5m, 1h30m, 250ms or a number of seconds");
    if text.is_empty() {
        return Err(invalid());
    }
    if let Ok(secs) = text.parse::<f64>() {
        return seconds(secs).ok_or_else(invalid);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(invalid)?;
        if digits == 0 {
            return Err(invalid());
        }
        let value: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match rest[..unit_len].trim() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" => 86400.0,
            _ => return Err(invalid()),
        };
        total += value * factor;
        rest = &rest[unit_len..];
    }
    seconds(total).ok_or_else(invalid)
}

fn seconds(secs: f64) -> Option<Duration> {
    (0.0..1e12).contains(&secs).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_plain_seconds() {
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "m", "5x", "-1", "5m-", "abc", "1e400"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
