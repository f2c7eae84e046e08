//! Ready classification of HTTP status codes and parsing of server delay hints.
//!
//! Status codes follow what production clients converged on (gRPC A6, Polly's HTTP
//! handler, the AWS SDKs): 408, 429, 500, 502, 503 and 504 are transient; other 5xx
//! count against the breaker without a retry; 4xx are the caller's own fault.

use std::time::{Duration, SystemTime};

use super::Verdict;

/// The verdict for an HTTP status code.
///
/// ```
/// use staunch::{classify::http::status_verdict, Verdict};
///
/// assert_eq!(status_verdict(503), Verdict::TRANSIENT);
/// assert_eq!(status_verdict(501), Verdict::FATAL);
/// assert_eq!(status_verdict(404), Verdict::IGNORE);
/// ```
pub const fn status_verdict(status: u16) -> Verdict {
    match status {
        408 | 429 | 500 | 502 | 503 | 504 => Verdict::TRANSIENT,
        500..=599 => Verdict::FATAL,
        _ => Verdict::IGNORE,
    }
}

/// Parses a `Retry-After` header value (RFC 9110): delay-seconds or an HTTP-date.
///
/// A date in the past is a zero delay; an unparseable value is `None`. `now` is the wall
/// clock, passed in so that tests are deterministic.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use staunch::classify::http::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
///     Some(Duration::from_secs(30)),
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses a millisecond hint such as OpenAI's `retry-after-ms` or gRPC's
/// `grpc-retry-pushback-ms`. Negative or unparseable values are `None` (for gRPC,
/// a negative pushback means "do not retry": classify that as [`Verdict::FATAL`]).
///
/// ```
/// use std::time::Duration;
/// use staunch::classify::http::parse_retry_after_ms;
///
/// assert_eq!(parse_retry_after_ms("250"), Some(Duration::from_millis(250)));
/// assert_eq!(parse_retry_after_ms("12.5"), Some(Duration::from_micros(12_500)));
/// assert_eq!(parse_retry_after_ms("-1"), None);
/// ```
pub fn parse_retry_after_ms(value: &str) -> Option<Duration> {
    let millis: f64 = value.trim().parse().ok()?;
    if !millis.is_finite() || millis < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(millis / 1000.0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_verdict() {
        for status in 100..=599u16 {
            let v = status_verdict(status);
            if status < 400 {
                assert_eq!(v, Verdict::IGNORE, "{status}");
            }
        }
        assert!(status_verdict(429).should_retry());
        assert!(!status_verdict(400).counts_as_failure());
    }

    #[test]
    fn retry_after_in_the_past_is_zero() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn huge_values_do_not_panic() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            parse_retry_after(&u64::MAX.to_string(), now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after_ms("1e300"), None);
        assert_eq!(parse_retry_after_ms("NaN"), None);
    }
}
