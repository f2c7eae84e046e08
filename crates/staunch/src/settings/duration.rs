//! The one duration syntax of staunch: plain seconds (`60`, `1.5`) or numbers with units
//! (`500ms`, `2m`, `1h 30m`).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// The longest duration staunch accepts: `u64::MAX` nanoseconds, about 584 years.
///
/// Every duration fits a `u64` of nanoseconds, so adding one to a clock reading never
/// overflows.
pub(crate) const MAX_DURATION: Duration = Duration::from_nanos(u64::MAX);

const TOO_LARGE: &str = "too large (at most about 584 years)";
const SYNTAX_HINT: &str =
    "not a duration; write seconds (`1.5`) or a number with a unit (`500ms`, `2m`, `1h 30m`)";

/// Parses a duration written as seconds (`60`, `1.5`, `0.25`) or with units (`500ms`,
/// `2m`, `1h 30m`, `1 day`), the syntax of every duration in environment variables and
/// configuration files.
///
/// Surrounding whitespace is ignored. Units are those of the `humantime` crate: `ns`,
/// `us`, `ms`, `s`/`sec`, `m`/`min`, `h`/`hours`, `d`/`days`, `w`/`weeks`, and longer
/// spellings. Empty, negative, infinite, `NaN` and overflowing values are errors, as is
/// anything above about 584 years (`u64::MAX` nanoseconds). Fractions of a nanosecond
/// are dropped.
///
/// ```
/// use std::time::Duration;
/// use staunch::settings::parse_duration;
///
/// assert_eq!(parse_duration("60"), Ok(Duration::from_secs(60)));
/// assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration(" 1h 30m "), Ok(Duration::from_secs(5400)));
///
/// let err = parse_duration("-1").unwrap_err();
/// assert_eq!(err.input(), "-1");
/// assert_eq!(err.to_string(), "invalid duration `-1`: must not be negative");
/// ```
pub fn parse_duration(input: &str) -> Result<Duration, ParseDurationError> {
    parse(input).map_err(|reason| ParseDurationError {
        input: input.to_owned(),
        reason,
    })
}

fn parse(input: &str) -> Result<Duration, Cow<'static, str>> {
    let text = input.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    // Plain numbers are seconds. `f64`'s parser also takes `inf` and `NaN`, which the
    // checks in `from_secs_f64` turn into errors.
    if let Ok(seconds) = text.parse::<f64>() {
        return from_secs_f64(seconds).map_err(Cow::Borrowed);
    }
    if text.starts_with('-') {
        return Err("must not be negative".into());
    }
    let duration = humantime::parse_duration(text).map_err(humantime_reason)?;
    at_most_max(duration).map_err(Cow::Borrowed)
}

/// A number of seconds as a [`Duration`], refusing `NaN`, infinities, negative values and
/// values above [`MAX_DURATION`].
pub(crate) fn from_secs_f64(seconds: f64) -> Result<Duration, &'static str> {
    if seconds.is_nan() {
        return Err("not a number");
    }
    if seconds.is_infinite() {
        return Err("must be finite");
    }
    if seconds < 0.0 {
        return Err("must not be negative");
    }
    let duration = Duration::try_from_secs_f64(seconds).map_err(|_| TOO_LARGE)?;
    at_most_max(duration)
}

/// Refuses durations above [`MAX_DURATION`].
pub(crate) fn at_most_max(duration: Duration) -> Result<Duration, &'static str> {
    if duration > MAX_DURATION {
        Err(TOO_LARGE)
    } else {
        Ok(duration)
    }
}

fn humantime_reason(err: humantime::DurationError) -> Cow<'static, str> {
    match err {
        humantime::DurationError::UnknownUnit { unit, .. } if !unit.is_empty() => format!(
            "unknown unit `{unit}`; use ns, us, ms, s, m, h, d or w (or a plain number of seconds)"
        )
        .into(),
        humantime::DurationError::NumberOverflow => {
            "too large, or finer than one nanosecond".into()
        }
        _ => SYNTAX_HINT.into(),
    }
}

/// Formats a duration the way [`parse_duration`] reads it back (`1m 30s`, `500ms`).
pub(crate) fn display(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_owned();
    }
    humantime::format_duration(duration).to_string()
}

/// A string that [`parse_duration`] could not read: the input and why.
///
/// ```
/// use staunch::settings::parse_duration;
///
/// let err = parse_duration("5 parsecs").unwrap_err();
/// assert_eq!(err.input(), "5 parsecs");
/// assert!(err.reason().starts_with("unknown unit `parsecs`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDurationError {
    input: String,
    reason: Cow<'static, str>,
}

impl ParseDurationError {
    /// The string as given.
    ///
    /// ```
    /// let err = staunch::settings::parse_duration("soon").unwrap_err();
    /// assert_eq!(err.input(), "soon");
    /// ```
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it is not a duration.
    ///
    /// ```
    /// let err = staunch::settings::parse_duration("").unwrap_err();
    /// assert_eq!(err.reason(), "must not be empty");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid duration `{}`: {}", self.input, self.reason)
    }
}

impl std::error::Error for ParseDurationError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_units_agree() {
        for (text, millis) in [
            ("0", 0),
            ("0.5", 500),
            ("+2", 2000),
            ("1e1", 10_000),
            ("2s", 2000),
            ("1500ms", 1500),
            ("1m 30s", 90_000),
            ("1h30m", 5_400_000),
            ("1 day", 86_400_000),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_millis(millis)), "{text}");
        }
    }

    #[test]
    fn display_reads_back() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_millis(1500),
            Duration::from_secs(5400),
            MAX_DURATION,
        ] {
            assert_eq!(parse(&display(d)), Ok(d), "{}", display(d));
        }
    }

    #[test]
    fn the_limit_is_inclusive() {
        assert_eq!(at_most_max(MAX_DURATION), Ok(MAX_DURATION));
        assert!(at_most_max(MAX_DURATION + Duration::from_nanos(1)).is_err());
        assert_eq!(parse("600 years"), Err(TOO_LARGE.into()));
    }
}
