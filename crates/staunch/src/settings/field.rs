//! The fields of [`ResilienceSettings`]: their names, variables, parsing and rules.

use std::borrow::Cow;
use std::time::Duration;

use super::duration;
use super::ResilienceSettings;
use crate::ConfigError;

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

    const fn index(self) -> usize {
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
        "too large (at most 4294967295)"
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

/// Where a field's value came from, for error messages: the name to report (field or
/// variable), the raw text when there was one, and how strongly it was set.
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    pub(crate) name: Cow<'static, str>,
    pub(crate) raw: Option<String>,
    pub(crate) rank: Rank,
}

/// How strongly a value was set; when two fields conflict, the stronger one is blamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    Default,
    Environment,
    PrefixedEnvironment,
    Code,
}

impl Origin {
    /// A value known by its field name (defaults, code, serde).
    pub(crate) fn field(field: Field, rank: Rank) -> Self {
        Self {
            name: Cow::Borrowed(field.name()),
            raw: None,
            rank,
        }
    }
}

/// One [`Origin`] per field.
#[derive(Clone, Debug)]
pub(crate) struct Origins([Origin; 6]);

impl Origins {
    /// Every field known by its field name at `rank`.
    pub(crate) fn fields(rank: Rank) -> Self {
        Self(Field::ALL.map(|field| Origin::field(field, rank)))
    }

    pub(crate) fn set(&mut self, field: Field, origin: Origin) {
        self.0[field.index()] = origin;
    }

    fn get(&self, field: Field) -> &Origin {
        &self.0[field.index()]
    }

    /// An error about `field`, naming it as it was given.
    fn error(
        &self,
        settings: &ResilienceSettings,
        field: Field,
        reason: impl Into<Cow<'static, str>>,
    ) -> ConfigError {
        let origin = self.get(field);
        let value = origin
            .raw
            .clone()
            .unwrap_or_else(|| field.display(settings));
        ConfigError::new(origin.name.clone(), value, reason)
    }
}

/// Checks every rule of [`ResilienceSettings`], naming offenders as `origins` says.
pub(crate) fn validate(s: &ResilienceSettings, origins: &Origins) -> Result<(), ConfigError> {
    let fail = |field, reason: &'static str| Err(origins.error(s, field, reason));
    if s.circuit_failure_threshold == 0 {
        return fail(Field::CircuitFailureThreshold, "must be at least 1");
    }
    if s.retry_max_attempts == 0 {
        return fail(Field::RetryMaxAttempts, "must be at least 1");
    }
    if s.circuit_recovery_timeout.is_zero() {
        return fail(Field::CircuitRecoveryTimeout, "must be greater than zero");
    }
    if s.attempt_timeout.is_some_and(|t| t.is_zero()) {
        return fail(Field::AttemptTimeout, "must be greater than zero");
    }
    for field in Field::ALL {
        if let Some(d) = duration_of(s, field) {
            if let Err(reason) = duration::at_most_max(d) {
                return fail(field, reason);
            }
        }
    }
    if s.retry_wait_min > s.retry_wait_max {
        return Err(wait_order_error(s, origins));
    }
    Ok(())
}

fn duration_of(s: &ResilienceSettings, field: Field) -> Option<Duration> {
    match field {
        Field::CircuitRecoveryTimeout => Some(s.circuit_recovery_timeout),
        Field::RetryWaitMin => Some(s.retry_wait_min),
        Field::RetryWaitMax => Some(s.retry_wait_max),
        Field::AttemptTimeout => s.attempt_timeout,
        Field::CircuitFailureThreshold | Field::RetryMaxAttempts => None,
    }
}

/// `retry_wait_min > retry_wait_max`: blames the more strongly set of the two (the
/// minimum on a tie), and names the other with its value.
fn wait_order_error(s: &ResilienceSettings, origins: &Origins) -> ConfigError {
    let (min, max) = (
        origins.get(Field::RetryWaitMin),
        origins.get(Field::RetryWaitMax),
    );
    if max.rank > min.rank {
        let reason = format!(
            "must not be less than {} ({})",
            min.name,
            duration::display(s.retry_wait_min)
        );
        origins.error(s, Field::RetryWaitMax, reason)
    } else {
        let reason = format!(
            "must not exceed {} ({})",
            max.name,
            duration::display(s.retry_wait_max)
        );
        origins.error(s, Field::RetryWaitMin, reason)
    }
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
