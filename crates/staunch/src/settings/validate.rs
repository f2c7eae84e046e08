//! Where each field's value came from, and the rules every [`ResilienceSettings`] obeys.

use std::borrow::Cow;
use std::time::Duration;

use super::duration;
use super::field::Field;
use super::ResilienceSettings;
use crate::ConfigError;

/// Where a field's value came from, for error messages: the name to report (field or
/// variable), the text as written when there was one, and its [`Rank`].
#[derive(Clone, Debug)]
pub(crate) struct Origin {
    pub(crate) name: Cow<'static, str>,
    pub(crate) raw: Option<String>,
    pub(crate) rank: Rank,
}

/// Where a value came from, ordered by who is asked to fix a conflict between two fields:
/// a variable (the most specific first) before code, code before a default, since
/// variables are what an operator changes and defaults are nobody's recent choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    Default,
    Code,
    Environment,
    PrefixedEnvironment,
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

/// `retry_wait_min > retry_wait_max`: blames the higher [`Rank`] of the two (the minimum
/// on a tie), and names the other with its value.
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
