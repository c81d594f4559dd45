//! Durations on the command line, read by `humantime`: `500ms`, `10s`, `1m30s`, `1.5h`; a bare
//! number is seconds. Every duration option uses one of the two parsers here, so a bad value
//! gets the same message whatever the option or command.

use std::time::Duration;

/// What `--help` says about the format of every duration option (see [`help`]).
pub(crate) const FORMAT_HELP: &str = "e.g. 500ms, 10s, 1m30s, 2h; a bare number is seconds";

/// The help of a duration option: what it is for, then [`FORMAT_HELP`].
pub(crate) fn help(what: &str) -> String {
    format!("{what} ({FORMAT_HELP})")
}

/// Parses a duration that may be zero (`--timeout 0` on `lock` means "do not wait").
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err("must not be negative".to_owned());
    }
    if is_bare_number(text) {
        let seconds: f64 = text.parse().map_err(|_| not_a_duration(text))?;
        return Duration::try_from_secs_f64(seconds).map_err(|_| "is out of range".to_owned());
    }
    humantime::parse_duration(text)
        .map_err(|error| format!("{text:?} is not a duration: {error} ({FORMAT_HELP})"))
}

/// Parses a duration that must be greater than zero: where zero would mean nothing (a
/// session timeout, how long to wait for leadership).
pub(crate) fn parse_positive(text: &str) -> Result<Duration, String> {
    let duration = parse(text)?;
    if duration.is_zero() {
        return Err("must be greater than zero".to_owned());
    }
    Ok(duration)
}

/// `300ms`, `1m 30s`: for messages.
pub(crate) fn show(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_owned();
    }
    humantime::format_duration(duration).to_string()
}

fn is_bare_number(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|&c| c == '.').count() <= 1
        && text.chars().any(|c| c.is_ascii_digit())
}

fn not_a_duration(text: &str) -> String {
    format!("{text:?} is not a duration ({FORMAT_HELP})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bare_seconds() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects() {
        for bad in ["", "s", "ten", "5 parsecs", "1.2.3s", "."] {
            let error = parse(bad).expect_err(bad);
            assert!(error.contains("not a duration"), "{bad:?}: {error}");
        }
        assert_eq!(parse("-1s"), Err("must not be negative".to_owned()));
        assert_eq!(parse("-1"), Err("must not be negative".to_owned()));
        assert_eq!(
            parse_positive("0s"),
            Err("must be greater than zero".to_owned())
        );
        assert_eq!(parse_positive("-0"), Err("must not be negative".to_owned()));
    }

    #[test]
    fn shown_as_typed() {
        assert_eq!(show(Duration::from_millis(300)), "300ms");
        assert_eq!(show(Duration::from_secs(90)), "1m 30s");
        assert_eq!(show(Duration::ZERO), "0s");
    }
}
