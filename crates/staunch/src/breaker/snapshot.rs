//! [`Snapshot`]: a breaker's state and counters at one moment, for dashboards and logs.

use std::time::Duration;

use super::core::Inner;
use super::state::CircuitState;
use crate::sync::Ordering;

/// A breaker's state and counters at one moment.
///
/// With feature `serde` it serializes with durations as whole milliseconds:
/// `{"name":"llm","state":"closed","failure_count":0,"failure_rate":null,
/// "slow_call_rate":null,"calls_in_window":0,"rejected_calls":0,"time_in_state_ms":1234,
/// "retry_in_ms":null,"consecutive_trips":0}`.
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
///
/// let fake = FakeClock::new();
/// let breaker = CircuitBreaker::builder("llm").failure_threshold(2).clock(fake.clock()).build()?;
/// let _ = breaker.call_blocking(|| Err::<(), _>("timeout"));
/// fake.advance(Duration::from_secs(2));
/// let snap = breaker.snapshot();
/// assert_eq!((snap.name.as_str(), snap.state, snap.failure_count), ("llm", CircuitState::Closed, 1));
/// assert_eq!(snap.failure_rate, None); // consecutive mode has no window
/// assert_eq!(snap.time_in_state, Duration::from_secs(2));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    /// The breaker's name.
    pub name: String,
    /// Its state, as [`CircuitBreaker::state`](crate::CircuitBreaker::state) reports it:
    /// HALF_OPEN once the open period has passed.
    pub state: CircuitState,
    /// Consecutive counted failures (consecutive mode), or failures in the window.
    pub failure_count: u32,
    /// Failures over calls in the window, `0.0..=1.0`; `None` in consecutive mode or when
    /// the window holds fewer than the minimum number of calls.
    pub failure_rate: Option<f64>,
    /// Slow successes over calls in the window; `None` without slow-call detection or with
    /// too few calls.
    pub slow_call_rate: Option<f64>,
    /// Calls in the window (0 in consecutive mode).
    pub calls_in_window: u32,
    /// Calls rejected since the breaker was built. A statistic, counted per thread
    /// without a locked increment: two threads that share one of its 16 stripes and
    /// reject at the same instant may lose a count.
    pub rejected_calls: u64,
    /// Time since the last change of state (or since the breaker was built).
    pub time_in_state: Duration,
    /// While `state` is OPEN: the rest of the open period. `None` in every other state
    /// (once the period has passed, `state` reads HALF_OPEN).
    pub retry_in: Option<Duration>,
    /// Trips since the circuit was last closed; sizes a growing open period.
    pub consecutive_trips: u32,
}

impl Inner {
    pub(crate) fn snapshot(&self) -> Snapshot {
        let w = self.load();
        let now = self.clock.now();
        let counts = self
            .window
            .as_ref()
            .map(|window| window.counts(now))
            .unwrap_or_default();
        let thresholds = &self.config.thresholds;
        let windowed = self.window.is_some();
        let since = Duration::from_nanos(self.since.load(Ordering::Relaxed));
        Snapshot {
            name: self.name.to_string(),
            state: self.reported_state(w, now),
            failure_count: if windowed {
                counts.failures
            } else {
                w.failures()
            },
            failure_rate: windowed
                .then(|| thresholds.rate(counts.failures, counts))
                .flatten(),
            slow_call_rate: self
                .config
                .slow_threshold
                .and_then(|_| thresholds.rate(counts.slow, counts)),
            calls_in_window: counts.calls,
            rejected_calls: self.rejected.total(),
            time_in_state: now.saturating_sub(since),
            retry_in: self.retry_in(w, now),
            consecutive_trips: w.trips(),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut s = serializer.serialize_struct("Snapshot", 10)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("state", &self.state)?;
        s.serialize_field("failure_count", &self.failure_count)?;
        s.serialize_field("failure_rate", &self.failure_rate)?;
        s.serialize_field("slow_call_rate", &self.slow_call_rate)?;
        s.serialize_field("calls_in_window", &self.calls_in_window)?;
        s.serialize_field("rejected_calls", &self.rejected_calls)?;
        s.serialize_field("time_in_state_ms", &ms(self.time_in_state))?;
        s.serialize_field("retry_in_ms", &self.retry_in.map(ms))?;
        s.serialize_field("consecutive_trips", &self.consecutive_trips)?;
        s.end()
    }
}
