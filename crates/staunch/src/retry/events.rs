//! `tracing` events and (feature `metrics`) counters of the retry.

use std::fmt;
use std::time::Duration;

use super::RetryErrorKind;

const TARGET: &str = "staunch::retry";

#[inline(always)]
pub(crate) fn success_first_try(name: Option<&'static str>) {
    let _ = name;
    #[cfg(feature = "metrics")]
    metrics_calls(name, "successful_without_retry", 1);
}

pub(crate) fn success_after_retry(name: Option<&'static str>, attempts: u32) {
    tracing::debug!(target: TARGET, name = name.unwrap_or(""), attempts, "retry succeeded");
    #[cfg(feature = "metrics")]
    metrics_calls(name, "successful_with_retry", attempts);
}

pub(crate) fn retrying<E: fmt::Debug>(
    name: Option<&'static str>,
    attempt: u32,
    delay: Duration,
    error: Option<&E>,
) {
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    match error {
        Some(error) => tracing::debug!(
            target: TARGET, name = name.unwrap_or(""), attempt, delay_ms, ?error, "retrying"
        ),
        None => tracing::debug!(
            target: TARGET, name = name.unwrap_or(""), attempt, delay_ms, "retrying on an ok value"
        ),
    }
}

/// [`retrying`] for callers whose error type need not be `Debug` (the attributes).
#[cfg(feature = "macros")]
pub(crate) fn retrying_opaque(name: Option<&'static str>, attempt: u32, delay: Duration) {
    let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    tracing::debug!(target: TARGET, name = name.unwrap_or(""), attempt, delay_ms, "retrying");
}

pub(crate) fn gave_up<E: fmt::Debug>(
    name: Option<&'static str>,
    attempts: u32,
    elapsed: Duration,
    kind: RetryErrorKind,
    error: Option<&E>,
) {
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let reason = kind.as_str();
    let name_field = name.unwrap_or("");
    if kind == RetryErrorKind::NotRetryable {
        tracing::debug!(target: TARGET, name = name_field, attempts, elapsed_ms, reason, ?error, "not retrying");
    } else {
        tracing::warn!(target: TARGET, name = name_field, attempts, elapsed_ms, reason, ?error, "retry gave up");
    }
    #[cfg(feature = "metrics")]
    {
        let outcome = if attempts > 1 {
            "failed_with_retry"
        } else {
            "failed_without_retry"
        };
        metrics_calls(name, outcome, attempts);
    }
}

/// `staunch_retry_calls_total{name, kind}` and `staunch_retry_attempts_total{name}`.
///
/// An unnamed policy uses static labels, so recording allocates nothing.
#[cfg(feature = "metrics")]
fn metrics_calls(name: Option<&'static str>, kind: &'static str, attempts: u32) {
    const CALLS: &str = "staunch_retry_calls_total";
    const ATTEMPTS: &str = "staunch_retry_attempts_total";
    let attempts = u64::from(attempts);
    match (name, kind) {
        (None, "successful_without_retry") => {
            metrics::counter!(CALLS, "name" => "unnamed", "kind" => "successful_without_retry")
                .increment(1);
            metrics::counter!(ATTEMPTS, "name" => "unnamed").increment(attempts);
        }
        (name, kind) => {
            let name = name.unwrap_or("unnamed");
            metrics::counter!(CALLS, "name" => name, "kind" => kind).increment(1);
            metrics::counter!(ATTEMPTS, "name" => name).increment(attempts);
        }
    }
}
