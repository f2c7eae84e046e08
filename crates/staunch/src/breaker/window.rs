//! Failure-rate windows: the last N outcomes ([`count`]) or the last T of time in buckets
//! ([`time`]), both lock-free and O(1) per call.
//!
//! A window answers one question after each outcome: with this outcome added, do the
//! failure rate or the slow-call rate reach their thresholds over at least the minimum
//! number of calls? The state word then decides what that means in the current state.
//! Each window belongs to one closed period: it is cleared when the circuit closes (or is
//! disabled), so a recovered dependency starts with a clean record.

use std::time::Duration;

use super::word::Kind;

pub(crate) mod count;
pub(crate) mod time;

/// Calls, failures and slow successes in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) calls: u32,
    pub(crate) failures: u32,
    pub(crate) slow: u32,
}

impl Counts {
    pub(crate) fn of(kind: Kind) -> Counts {
        Counts {
            calls: 1,
            failures: u32::from(kind == Kind::Failure),
            slow: u32::from(kind == Kind::Slow),
        }
    }
}

/// The thresholds of a failure-rate breaker, rates in parts per million.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Thresholds {
    pub(crate) failure_ppm: Option<u32>,
    pub(crate) slow_ppm: Option<u32>,
    pub(crate) min_calls: u32,
}

impl Thresholds {
    /// Whether `counts` open the circuit.
    pub(crate) fn trips(&self, counts: Counts) -> bool {
        if counts.calls == 0 || counts.calls < self.min_calls {
            return false;
        }
        let reaches = |part: u32, ppm: Option<u32>| {
            ppm.is_some_and(|ppm| {
                u64::from(part) * 1_000_000 >= u64::from(ppm) * u64::from(counts.calls)
            })
        };
        reaches(counts.failures, self.failure_ppm) || reaches(counts.slow, self.slow_ppm)
    }

    /// The rate of `part` in `counts`, when the window holds the minimum number of calls.
    pub(crate) fn rate(&self, part: u32, counts: Counts) -> Option<f64> {
        (counts.calls > 0 && counts.calls >= self.min_calls)
            .then(|| f64::from(part) / f64::from(counts.calls))
    }
}

/// One of the two window kinds.
#[derive(Debug)]
pub(crate) enum Window {
    Count(count::CountWindow),
    Time(time::TimeWindow),
}

impl Window {
    /// The window's epoch, which every reset changes. Read it before checking that an
    /// outcome is current, and pass it to [`record`](Self::record): an outcome that
    /// races a reset is then dropped, never counted in the next closed period.
    #[inline]
    pub(crate) fn epoch(&self) -> u32 {
        match self {
            Window::Count(w) => w.epoch(),
            Window::Time(w) => w.epoch(),
        }
    }

    /// Adds one outcome in `epoch` (`now` is read only by the time window) and returns
    /// the counts with it, or `None` when the outcome was not counted (a reset came after
    /// `epoch` was read, or its bucket has already passed).
    #[inline]
    pub(crate) fn record(
        &self,
        epoch: u32,
        now: impl FnOnce() -> Duration,
        kind: Kind,
    ) -> Option<Counts> {
        match self {
            Window::Count(w) => w.record(epoch, kind),
            Window::Time(w) => w.record(epoch, now(), kind),
        }
    }

    /// The counts now, for snapshots.
    pub(crate) fn counts(&self, now: Duration) -> Counts {
        match self {
            Window::Count(w) => w.counts(),
            Window::Time(w) => w.counts(now),
        }
    }

    /// Empties the window.
    pub(crate) fn reset(&self) {
        match self {
            Window::Count(w) => w.reset(),
            Window::Time(w) => w.reset(),
        }
    }
}
