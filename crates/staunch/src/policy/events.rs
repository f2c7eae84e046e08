//! The combined policy's `tracing` events and (feature `metrics`) counters.
//!
//! Events go to target `staunch::policy` with the field `name` (the policy's, which is
//! its breaker's): `retrying` (`attempt`, `delay_ms`, `reason`, `error`) at `debug`,
//! `gave up` (`attempts`, `elapsed_ms`, `reason`, `layer`, `error`) at `warn` (`debug`
//! when the error is simply not retryable), `late success` and `fallback used` at
//! `debug`. The breaker's own transition events come from the breaker.

use std::fmt;
use std::time::Duration;

use super::run::{Layers, Stopped};
use super::PolicyErrorKind;

const TARGET: &str = "staunch::policy";

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[inline(always)]
pub(crate) fn success_first_try(l: &Layers<'_>) {
    let _ = l;
    #[cfg(feature = "metrics")]
    l.metrics.calls(Kind::SuccessfulWithoutRetry, 1);
}

pub(super) fn success_after_retry(l: &Layers<'_>, attempts: u32) {
    tracing::debug!(target: TARGET, name = l.name, attempts, "call succeeded after retrying");
    #[cfg(feature = "metrics")]
    l.metrics.calls(Kind::SuccessfulWithRetry, attempts);
}

pub(super) fn late_success(name: &str) {
    tracing::debug!(target: TARGET, name, "attempt succeeded after its timeout; counted as a breaker failure");
}

pub(super) fn retrying(
    name: &str,
    attempt: u32,
    delay: Duration,
    reason: &'static str,
    error: Option<&dyn fmt::Debug>,
) {
    let delay_ms = millis(delay);
    tracing::debug!(target: TARGET, name, attempt, delay_ms, reason, ?error, "retrying");
}

pub(super) fn gave_up(l: &Layers<'_>, stopped: &Stopped, error: Option<&dyn fmt::Debug>) {
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
        l.metrics.calls(kind, attempts);
    }
}

pub(super) fn fallback(name: &str, kind: PolicyErrorKind) {
    tracing::debug!(target: TARGET, name, reason = kind.as_str(), "fallback used");
}

/// The `kind` label values of `staunch_retry_calls_total`, in order.
#[cfg(feature = "metrics")]
#[derive(Clone, Copy)]
#[allow(clippy::enum_variant_names)] // named after the label values
pub(crate) enum Kind {
    SuccessfulWithoutRetry,
    SuccessfulWithRetry,
    FailedWithoutRetry,
    FailedWithRetry,
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
            calls: [
                calls("successful_without_retry"),
                calls("successful_with_retry"),
                calls("failed_without_retry"),
                calls("failed_with_retry"),
            ],
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
