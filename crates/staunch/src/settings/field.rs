//! The fields of [`ResilienceSettings`]: their names, variables, parsing and rules.

use std::borrow::Cow;
use std::time::Duration;

use super::duration;
use super::ResilienceSettings;

/// One field of [`ResilienceSettings`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    CircuitFailureThreshold,
    CircuitRecoveryTimeout,
    RetryMaxAttempts,
    RetryWaitMin,
    RetryWaitMax,
    AttemptTimeout,
}

impl Field {
    pub(crate) const ALL: [Field; 6] = [
        Field::CircuitFailureThreshold,
        Field::CircuitRecoveryTimeout,
        Field::RetryMaxAttempts,
        Field::RetryWaitMin,
        Field::RetryWaitMax,
        Field::AttemptTimeout,
    ];

    /// The Rust (and serde) name of the field.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Field::CircuitFailureThreshold => "circuit_failure_threshold",
            Field::CircuitRecoveryTimeout => "circuit_recovery_timeout",
            Field::RetryMaxAttempts => "retry_max_attempts",
            Field::RetryWaitMin => "retry_wait_min",
            Field::RetryWaitMax => "retry_wait_max",
            Field::AttemptTimeout => "attempt_timeout",
        }
    }

    /// The environment variable, for the seed's fields; extensions have none.
    pub(crate) const fn variable(self) -> Option<&'static str> {
        match self {
            Field::CircuitFailureThreshold => Some("CIRCUIT_BREAKER_FAILURE_THRESHOLD"),
            Field::CircuitRecoveryTimeout => Some("CIRCUIT_BREAKER_RECOVERY_TIMEOUT"),
            Field::RetryMaxAttempts => Some("RETRY_MAX_ATTEMPTS"),
            Field::RetryWaitMin => Some("RETRY_WAIT_MIN"),
            Field::RetryWaitMax => Some("RETRY_WAIT_MAX"),
            Field::AttemptTimeout => None,
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// Parses `text` (an environment value, or a string in a configuration file) into this
    /// field of `out`.
    pub(crate) fn parse_into(
        self,
        text: &str,
        out: &mut ResilienceSettings,
    ) -> Result<(), Cow<'static, str>> {
        if self.is_count() {
            self.set_count(out, parse_count(text)?);
        } else {
            self.set_duration(out, parse_duration(text)?);
        }
        Ok(())
    }

    /// Sets a duration field (`Some` for the optional ones).
    pub(crate) fn set_duration(self, out: &mut ResilienceSettings, value: Duration) {
        match self {
            Field::CircuitRecoveryTimeout => out.circuit_recovery_timeout = value,
            Field::RetryWaitMin => out.retry_wait_min = value,
            Field::RetryWaitMax => out.retry_wait_max = value,
            Field::AttemptTimeout => out.attempt_timeout = Some(value),
            Field::CircuitFailureThreshold | Field::RetryMaxAttempts => {}
        }
    }

    /// Whether the field holds a count (`u32`) rather than a duration.
    pub(crate) const fn is_count(self) -> bool {
        matches!(
            self,
            Field::CircuitFailureThreshold | Field::RetryMaxAttempts
        )
    }

    /// Sets a count field.
    pub(crate) fn set_count(self, out: &mut ResilienceSettings, value: u32) {
        match self {
            Field::CircuitFailureThreshold => out.circuit_failure_threshold = value,
            Field::RetryMaxAttempts => out.retry_max_attempts = value,
            _ => {}
        }
    }

    /// Copies this field from `from` into `to`.
    pub(crate) fn copy(self, from: &ResilienceSettings, to: &mut ResilienceSettings) {
        match self {
            Field::CircuitFailureThreshold => {
                to.circuit_failure_threshold = from.circuit_failure_threshold;
            }
            Field::CircuitRecoveryTimeout => {
                to.circuit_recovery_timeout = from.circuit_recovery_timeout;
            }
            Field::RetryMaxAttempts => to.retry_max_attempts = from.retry_max_attempts,
            Field::RetryWaitMin => to.retry_wait_min = from.retry_wait_min,
            Field::RetryWaitMax => to.retry_wait_max = from.retry_wait_max,
            Field::AttemptTimeout => to.attempt_timeout = from.attempt_timeout,
        }
    }

    /// The field's value in `settings`, written as the parsers read it.
    pub(crate) fn display(self, settings: &ResilienceSettings) -> String {
        match self {
            Field::CircuitFailureThreshold => settings.circuit_failure_threshold.to_string(),
            Field::CircuitRecoveryTimeout => duration::display(settings.circuit_recovery_timeout),
            Field::RetryMaxAttempts => settings.retry_max_attempts.to_string(),
            Field::RetryWaitMin => duration::display(settings.retry_wait_min),
            Field::RetryWaitMax => duration::display(settings.retry_wait_max),
            Field::AttemptTimeout => settings
                .attempt_timeout
                .map_or_else(|| "none".to_owned(), duration::display),
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, Cow<'static, str>> {
    duration::parse_duration(text).map_err(|err| err.reason().to_owned().into())
}

/// Why a count above `u32::MAX` is refused.
pub(crate) const TOO_LARGE_COUNT: &str = "too large (at most 4294967295)";

/// Parses a whole, non-negative count that fits a `u32`.
pub(crate) fn parse_count(text: &str) -> Result<u32, Cow<'static, str>> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if let Ok(n) = text.parse::<u32>() {
        return Ok(n);
    }
    let reason = if text.parse::<i128>().is_ok_and(|n| n < 0) || text.starts_with('-') {
        "must not be negative"
    } else if is_digits(text.strip_prefix('+').unwrap_or(text)) {
        TOO_LARGE_COUNT
    } else if text.parse::<f64>().is_ok() {
        "must be a whole number"
    } else {
        "not a whole number"
    };
    Err(reason.into())
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count(" 7 "), Ok(7));
        assert_eq!(parse_count("+7"), Ok(7));
        for (text, reason) in [
            ("", "must not be empty"),
            ("-1", "must not be negative"),
            ("-", "must not be negative"),
            ("4294967296", "too large (at most 4294967295)"),
            (
                "99999999999999999999999999999999999999999",
                "too large (at most 4294967295)",
            ),
            ("2.5", "must be a whole number"),
            ("1e3", "must be a whole number"),
            ("ten", "not a whole number"),
            ("+", "not a whole number"),
            ("NaN", "must be a whole number"),
        ] {
            assert_eq!(parse_count(text), Err(reason.into()), "{text:?}");
        }
    }

    #[test]
    fn indexes_follow_all() {
        for (i, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field.index(), i);
        }
    }
}
