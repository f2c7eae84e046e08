//! The side effects of a change of state, run once by the thread whose CAS made it:
//! publish the open period, clear the window, log, count, notify.

use std::time::Duration;

use super::core::{nanos, Inner};
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
        // Count the change first: permits admitted from now on widen the new generation
        // with it. Relaxed, and `fetch_max` so a late thread never winds it back.
        let changes = super::word::widen(self.changes.load(Ordering::Relaxed), to.generation());
        self.changes.fetch_max(changes, Ordering::Relaxed);
        let state = to.state();
        if state == CircuitState::Open {
            let until = open_until.unwrap_or_else(|| self.open_until(to, now));
            self.publish_deadline(to.generation(), until);
        }
        if state == CircuitState::HalfOpen {
            // The window belongs to one closed period; probes don't use it, so this is
            // the moment to empty it for the next one.
            if let Some(window) = &self.window {
                window.reset();
            }
            let until = now.saturating_add(self.config.half_open_timeout);
            self.publish_deadline(to.generation(), until);
        }
        // Relaxed: a statistic; `fetch_max` keeps a late thread from winding it back.
        self.since.fetch_max(nanos(now), Ordering::Relaxed);
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
        // Transitions made by different threads reach this point in any order: publish
        // the state the word holds now, read under a lock, rather than `state`. The lock
        // orders these reads after every transition whose thread came here before, and
        // the thread of the last transition reads the final state, so the channel always
        // ends where the breaker is.
        #[cfg(feature = "tokio")]
        {
            let _publishing = self.watch_lock.lock().unwrap_or_else(|e| e.into_inner());
            let latest = self.load().state();
            self.watch
                .send_if_modified(|seen| std::mem::replace(seen, latest) != latest);
        }
        if let Some(authority) = &self.authority {
            authority.on_transition(&transition);
        }
        if !self.listeners.is_empty() {
            self.listeners
                .emit(self.name, &Event::Transition(transition));
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
        let name = self.name;
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
