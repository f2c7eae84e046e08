//! The side effects of a change of state, run once by the thread whose CAS made it:
//! publish the open period, clear the window, log, count, notify.

use std::time::Duration;

use super::core::{pack_deadline, Inner};
use super::event::{Event, Transition};
use super::state::CircuitState;
use super::word::Word;
use crate::sync::Ordering;

impl Inner {
    /// Runs after the CAS from `from` to `to` succeeded (their states differ).
    pub(crate) fn transitioned(
        &self,
        from: Word,
        to: Word,
        now: Duration,
        open_until: Option<Duration>,
    ) {
        let state = to.state();
        if state == CircuitState::Open {
            let until = open_until.unwrap_or_else(|| self.open_until(to, now));
            // Release: pairs with the acquire load in `open_status`.
            self.deadline
                .store(pack_deadline(to.generation(), until), Ordering::Release);
        }
        if state == CircuitState::HalfOpen {
            // The window belongs to one closed period; probes don't use it, so this is
            // the moment to empty it for the next one.
            if let Some(window) = &self.window {
                window.reset();
            }
            if let Some(timeout) = self.config.half_open_timeout {
                let until = now.saturating_add(timeout);
                // Release: pairs with the acquire load in `half_open_expired`.
                self.deadline
                    .store(pack_deadline(to.generation(), until), Ordering::Release);
            }
        }
        let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        self.since.store(nanos, Ordering::Relaxed);
        let transition = Transition {
            name: self.name.to_string(),
            from: from.state(),
            to: state,
            at: now,
        };
        self.log(&transition, to);
        self.history.push(to.generation(), transition.clone());
        #[cfg(feature = "metrics")]
        self.metrics.transition(transition.from, state);
        #[cfg(feature = "tokio")]
        self.watch.send_replace(state);
        if let Some(authority) = &self.authority {
            authority.on_transition(&transition);
        }
        if !self.listeners.is_empty() {
            self.listeners
                .emit(&self.name, &Event::Transition(transition));
        }
    }

    /// When the open period that starts at `now` ends.
    fn open_until(&self, to: Word, now: Duration) -> Duration {
        let period = self.config.open.duration(to.trips());
        let mut until = now.saturating_add(period);
        if self.config.open.hint_cap.is_some() {
            let hinted = Duration::from_millis(self.hint_until.load(Ordering::Relaxed));
            until = until.max(hinted);
        }
        until
    }

    pub(crate) fn failure_count_of(&self, w: Word) -> u32 {
        match (&self.window, self.config.rules.consecutive) {
            (Some(window), None) => window.counts(self.clock.now()).failures,
            _ => w.failures(),
        }
    }

    fn log(&self, t: &Transition, to_word: Word) {
        let name = &*self.name;
        let failure_count = self.failure_count_of(to_word);
        let (from, to) = (t.from.as_str(), t.to.as_str());
        match t.to {
            CircuitState::Open | CircuitState::ForcedOpen => {
                tracing::warn!(name, from, to, failure_count, "circuit opened");
            }
            CircuitState::Closed => {
                tracing::info!(name, from, to, failure_count, "circuit closed");
            }
            CircuitState::HalfOpen => {
                tracing::info!(name, from, to, failure_count, "circuit half-open: probing");
            }
            CircuitState::Disabled => {
                tracing::info!(name, from, to, failure_count, "circuit disabled");
            }
        }
    }
}
