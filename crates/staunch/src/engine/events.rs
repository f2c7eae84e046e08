//! The `tracing` events and (feature `metrics`) counters of every call form, emitted by
//! the step machine alone, so a retry alone, a policy, a tower service and an attribute
//! report the same facts in the same words.
//!
//! Target `staunch::retry`, field `name` (the policy's, which is its breaker's, or the
//! retry's): `retrying` (`attempt`, `delay_ms`, `reason`, `error`) at `debug`; `gave up`
//! (`attempts`, `elapsed_ms`, `reason`, `layer`, `error`) at `warn`, or `not retrying`
//! at `debug` when the error is simply not retryable; `call succeeded after retrying`
//! (`attempts`), `late success` and `fallback used` (`reason`) at `debug`. A breaker
//! alone emits none of these: its transitions are the breaker's own events.

use std::fmt;
use std::time::Duration;

use super::step::Layers;
use super::table::Stopped;
use crate::PolicyErrorKind;

pub(crate) const TARGET: &str = "staunch::retry";

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[inline(always)]
pub(crate) fn success_first_try(l: &Layers<'_>) {
    let _ = l;
    #[cfg(feature = "metrics")]
    if !l.quiet {
        calls(l, Kind::SuccessfulWithoutRetry, 1);
    }
}

pub(crate) fn success_after_retry(l: &Layers<'_>, attempts: u32) {
    if l.quiet {
        return;
    }
    tracing::debug!(target: TARGET, name = l.name, attempts, "call succeeded after retrying");
    #[cfg(feature = "metrics")]
    calls(l, Kind::SuccessfulWithRetry, attempts);
}

pub(crate) fn late_success(l: &Layers<'_>) {
    if l.quiet {
        return;
    }
    tracing::debug!(target: TARGET, name = l.name, "late success; counted as a breaker failure");
}

pub(crate) fn retrying(
    l: &Layers<'_>,
    attempt: u32,
    delay: Duration,
    reason: &'static str,
    error: Option<&dyn fmt::Debug>,
) {
    let delay_ms = millis(delay);
    let name = l.name;
    tracing::debug!(target: TARGET, name, attempt, delay_ms, reason, ?error, "retrying");
}

pub(crate) fn gave_up(l: &Layers<'_>, stopped: &Stopped, error: Option<&dyn fmt::Debug>) {
    if l.quiet {
        return;
    }
    let (name, attempts) = (l.name, stopped.attempts);
    let elapsed_ms = millis(stopped.elapsed);
    let (reason, layer) = (stopped.kind.as_str(), stopped.kind.layer());
    if stopped.kind == PolicyErrorKind::NotRetryable {
        tracing::debug!(target: TARGET, name, attempts, elapsed_ms, reason, layer, ?error, "not retrying");
    } else {
        tracing::warn!(target: TARGET, name, attempts, elapsed_ms, reason, layer, ?error, "gave up");
    }
    #[cfg(feature = "metrics")]
    {
        let kind = if attempts > 1 {
            Kind::FailedWithRetry
        } else {
            Kind::FailedWithoutRetry
        };
        calls(l, kind, attempts);
    }
}

pub(crate) fn fallback(l: &Layers<'_>, kind: PolicyErrorKind) {
    if l.quiet {
        return;
    }
    tracing::debug!(target: TARGET, name = l.name, reason = kind.as_str(), "fallback used");
}

/// Records a call in the policy's counters, or under the name for a retry alone.
#[cfg(feature = "metrics")]
fn calls(l: &Layers<'_>, kind: Kind, attempts: u32) {
    match l.metrics {
        Some(metrics) => metrics.calls(kind, attempts),
        None => calls_by_name(l.name, kind, attempts),
    }
}

/// `staunch_retry_calls_total{name, kind}` and `staunch_retry_attempts_total{name}` for
/// a retry alone. An unnamed retry uses static labels, so recording allocates nothing.
#[cfg(feature = "metrics")]
fn calls_by_name(name: &str, kind: Kind, attempts: u32) {
    const CALLS: &str = "staunch_retry_calls_total";
    const ATTEMPTS: &str = "staunch_retry_attempts_total";
    let label = kind.label();
    let attempts = u64::from(attempts);
    if name.is_empty() {
        // Literal labels only: a static key, no allocation.
        let calls = match kind {
            Kind::SuccessfulWithoutRetry => {
                metrics::counter!(CALLS, "name" => "unnamed", "kind" => "successful_without_retry")
            }
            Kind::SuccessfulWithRetry => {
                metrics::counter!(CALLS, "name" => "unnamed", "kind" => "successful_with_retry")
            }
            Kind::FailedWithoutRetry => {
                metrics::counter!(CALLS, "name" => "unnamed", "kind" => "failed_without_retry")
            }
            Kind::FailedWithRetry => {
                metrics::counter!(CALLS, "name" => "unnamed", "kind" => "failed_with_retry")
            }
        };
        calls.increment(1);
        metrics::counter!(ATTEMPTS, "name" => "unnamed").increment(attempts);
    } else {
        let name = name.to_owned();
        metrics::counter!(CALLS, "name" => name.clone(), "kind" => label).increment(1);
        metrics::counter!(ATTEMPTS, "name" => name).increment(attempts);
    }
}

#[cfg(feature = "metrics")]
#[derive(Clone, Copy)]
#[allow(clippy::enum_variant_names)] // named after the label values
pub(crate) enum Kind {
    SuccessfulWithoutRetry,
    SuccessfulWithRetry,
    FailedWithoutRetry,
    FailedWithRetry,
}

#[cfg(feature = "metrics")]
impl Kind {
    const LABELS: [&'static str; 4] = [
        "successful_without_retry",
        "successful_with_retry",
        "failed_without_retry",
        "failed_with_retry",
    ];

    fn label(self) -> &'static str {
        Self::LABELS[self as usize]
    }
}

/// The retry counters of one policy, labelled with its name and registered once, so a
/// call costs a handle increment (nothing without an installed recorder).
#[cfg(feature = "metrics")]
#[derive(Clone, Debug)]
pub(crate) struct Metrics {
    calls: [metrics::Counter; 4],
    attempts: metrics::Counter,
}

#[cfg(feature = "metrics")]
impl Metrics {
    pub(crate) fn new(name: &str) -> Self {
        let calls = |kind: &'static str| metrics::counter!("staunch_retry_calls_total", "name" => name.to_owned(), "kind" => kind);
        Self {
            calls: Kind::LABELS.map(calls),
            attempts: metrics::counter!("staunch_retry_attempts_total", "name" => name.to_owned()),
        }
    }

    #[inline]
    pub(crate) fn calls(&self, kind: Kind, attempts: u32) {
        self.calls[kind as usize].increment(1);
        self.attempts.increment(u64::from(attempts));
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    };

    use crate::test_util::FakeClock;
    use crate::Policy;

    #[derive(Default)]
    struct Value(AtomicU64);

    impl CounterFn for Value {
        fn increment(&self, value: u64) {
            // Relaxed: read after the calls, on this thread.
            self.0.fetch_add(value, Ordering::Relaxed);
        }
        fn absolute(&self, value: u64) {
            self.0.store(value, Ordering::Relaxed);
        }
    }

    /// Counters by `name{label=value,...}`.
    #[derive(Default)]
    struct Capture(Mutex<Vec<(String, Arc<Value>)>>);

    impl Capture {
        fn get(&self, key: &str) -> u64 {
            let counters = self.0.lock().unwrap();
            let found = counters.iter().find(|(k, _)| k == key);
            found.map_or(0, |(_, v)| v.0.load(Ordering::Relaxed))
        }
    }

    impl Recorder for Capture {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = Arc::new(Value::default());
            self.0.lock().unwrap().push((name, Arc::clone(&value)));
            Counter::from_arc(value)
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    #[test]
    fn policies_record_the_retry_counters_under_their_name() {
        let capture = Capture::default();
        let fake = FakeClock::new();
        metrics::with_local_recorder(&capture, || {
            let policy = Policy::builder("m")
                .failure_threshold(10)
                .clock(fake.clock())
                .build()
                .unwrap();
            let _ = policy.call_blocking(|| Ok::<_, ()>(1));
            let _ = policy.call_blocking(|| Err::<(), _>("down"));
        });
        let calls =
            |kind: &str| capture.get(&format!("staunch_retry_calls_total{{name=m,kind={kind}}}"));
        assert_eq!(calls("successful_without_retry"), 1);
        assert_eq!(calls("failed_with_retry"), 1);
        assert_eq!(capture.get("staunch_retry_attempts_total{name=m}"), 4);
        assert_eq!(
            capture.get("staunch_circuit_calls_total{name=m,kind=failed}"),
            3
        );
    }
}
