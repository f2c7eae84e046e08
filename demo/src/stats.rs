//! What the demo counts: calls and their outcomes per service, transitions per breaker.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use staunch::{CircuitState, Event, Registry};

use crate::script::Service;

/// How one call (all its attempts) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded,
    Failed,
    /// Refused by the open breaker without reaching the service.
    Rejected,
}

/// One finished call: how it ended, the attempts that reached the service, and whether
/// the fallback answered in place of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Call {
    outcome: Outcome,
    attempts: u32,
    cached: bool,
}

impl Call {
    pub(crate) fn new(outcome: Outcome, attempts: u32) -> Self {
        Self {
            outcome,
            attempts,
            cached: false,
        }
    }

    /// The same call, answered from the cache by the fallback.
    pub(crate) fn cached(self) -> Self {
        Self {
            cached: true,
            ..self
        }
    }
}

/// Call counters of one service. Relaxed everywhere: each counter is read on its own, for
/// display, and no other memory depends on it.
#[derive(Debug, Default)]
pub(crate) struct CallCounts {
    calls: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    rejected: AtomicU64,
    retries: AtomicU64,
    cached: AtomicU64,
}

impl CallCounts {
    /// Records one finished call.
    pub(crate) fn record(&self, call: Call) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let counter = match call.outcome {
            Outcome::Succeeded => &self.succeeded,
            Outcome::Failed => &self.failed,
            Outcome::Rejected => &self.rejected,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let retries = u64::from(call.attempts.saturating_sub(1));
        self.retries.fetch_add(retries, Ordering::Relaxed);
        self.cached
            .fetch_add(u64::from(call.cached), Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> CallTotals {
        CallTotals {
            calls: self.calls.load(Ordering::Relaxed),
            succeeded: self.succeeded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            cached: self.cached.load(Ordering::Relaxed),
        }
    }
}

/// A reading of [`CallCounts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CallTotals {
    pub(crate) calls: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) rejected: u64,
    pub(crate) retries: u64,
    pub(crate) cached: u64,
}

/// The errors of one service's attempts, counted by what the client reported ("database
/// is locked", "mcp error -32603: ..."), and the attempts the timeout cut off.
#[derive(Debug, Default)]
pub(crate) struct ErrorCounts(Mutex<BTreeMap<String, u64>>);

/// What an attempt the policy gave up on (its timeout passed) is counted as.
pub(crate) const NO_ANSWER: &str = "no answer within the attempt timeout";

impl ErrorCounts {
    fn add(&self, cause: String) {
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *all.entry(cause).or_default() += 1;
    }

    /// `attempt`, counting its error in `describe`'s words, or [`NO_ANSWER`] if it is
    /// dropped before it ends.
    pub(crate) async fn watch<T, E>(
        &self,
        attempt: impl Future<Output = Result<T, E>>,
        describe: fn(&E) -> String,
    ) -> Result<T, E> {
        let mut unanswered = Unanswered(Some(self));
        let result = attempt.await;
        unanswered.0 = None;
        if let Err(error) = &result {
            self.add(describe(error));
        }
        result
    }

    pub(crate) fn read(&self) -> BTreeMap<String, u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Counts [`NO_ANSWER`] when dropped while still armed.
struct Unanswered<'a>(Option<&'a ErrorCounts>);

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(counts) = self.0 {
            counts.add(NO_ANSWER.to_owned());
        }
    }
}

/// Transitions of one breaker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TransitionTotals {
    /// All transitions.
    pub(crate) transitions: u64,
    /// Transitions into `open` (from closed or from a failed probe).
    pub(crate) opened: u64,
    /// Transitions from `half_open` to `closed`: a probe succeeded.
    pub(crate) recovered: u64,
}

/// Everything the demo counts.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    calls: BTreeMap<Service, CallCounts>,
    errors: BTreeMap<Service, ErrorCounts>,
    transitions: Mutex<BTreeMap<String, TransitionTotals>>,
}

impl Stats {
    /// Counters for the three services, and a listener on `registry` for transitions.
    pub(crate) fn listen(registry: &Registry) -> Arc<Self> {
        let calls = Service::ALL.map(|s| (s, CallCounts::default())).into();
        let errors = Service::ALL.map(|s| (s, ErrorCounts::default())).into();
        let stats = Arc::new(Self {
            calls,
            errors,
            transitions: Mutex::default(),
        });
        let weak: Weak<Self> = Arc::downgrade(&stats);
        registry.add_listener(move |event| {
            if let (Some(stats), Event::Transition(t)) = (weak.upgrade(), event) {
                stats.on_transition(&t.name, t.from, t.to);
            }
        });
        stats
    }

    fn on_transition(&self, name: &str, from: CircuitState, to: CircuitState) {
        let mut all = self
            .transitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let totals = all.entry(name.to_owned()).or_default();
        totals.transitions += 1;
        totals.opened += u64::from(to == CircuitState::Open);
        totals.recovered += u64::from(from == CircuitState::HalfOpen && to == CircuitState::Closed);
    }

    pub(crate) fn calls(&self, service: Service) -> &CallCounts {
        &self.calls[&service]
    }

    pub(crate) fn errors(&self, service: Service) -> &ErrorCounts {
        &self.errors[&service]
    }

    pub(crate) fn transitions(&self, name: &str) -> TransitionTotals {
        let all = self
            .transitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        all.get(name).copied().unwrap_or_default()
    }
}
