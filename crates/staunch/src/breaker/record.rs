//! Recording outcomes: a permit's success, failure or release, through the window (if
//! any) into the state word.

use std::time::Duration;

use super::authority::{Outcome, OutcomeKind};
use super::core::{nanos, Inner, Ticket};
use super::word::{self, Kind, Word};
use crate::sync::Ordering;

impl Inner {
    /// Records a success. The fast path: a plain breaker (no window, slow-call detection,
    /// metrics or authority) whose word is the clean closed word of the permit's
    /// generation has nothing to do.
    #[inline]
    pub(crate) fn succeed(&self, ticket: Ticket) {
        if !self.config.counted && self.is_clean_success(ticket) {
            return;
        }
        self.succeed_slow(ticket);
    }

    /// Whether a success of `ticket` changes nothing: the word is the clean closed word of
    /// its generation, and it is no probe.
    #[inline(always)]
    fn is_clean_success(&self, ticket: Ticket) -> bool {
        // Relaxed: if the word is the clean closed word of our generation there is
        // nothing to do and nothing to synchronise with.
        self.word.load(Ordering::Relaxed) == Word::clean_closed(ticket.generation()).0
            && !ticket.probe()
    }

    /// Records a success that needs more than the word compare; slow when slow-call
    /// detection is on and it took too long.
    #[inline(never)]
    fn succeed_slow(&self, ticket: Ticket) {
        if !self.config.observed && self.is_clean_success(ticket) {
            // A plain breaker with an authority: the success is only counted for it.
            if let Some(tally) = &self.tally {
                tally.add();
            }
            return;
        }
        let kind = match self.config.slow_threshold {
            Some(limit) if nanos(self.clock.now()).saturating_sub(ticket.start) >= nanos(limit) => {
                Kind::Slow
            }
            _ => Kind::Success,
        };
        self.finish(ticket, kind, None);
    }

    /// Records a counted failure, with the error's delay hint.
    #[inline(never)]
    pub(crate) fn fail(&self, ticket: Ticket, hint: Option<Duration>) {
        self.finish(ticket, Kind::Failure, hint);
    }

    /// Releases a permit without counting it (ignored error, dropped permit). Nothing to
    /// do for an ordinary permit of an unobserved breaker.
    #[inline]
    pub(crate) fn release(&self, ticket: Ticket, abandoned: bool) {
        if self.config.observed || ticket.probe() || self.authority.is_some() {
            self.release_slow(ticket, abandoned);
        }
    }

    #[inline(never)]
    fn release_slow(&self, ticket: Ticket, abandoned: bool) {
        if let Some(authority) = &self.authority {
            let kind = if abandoned {
                OutcomeKind::Abandoned
            } else {
                OutcomeKind::Ignored
            };
            authority.on_outcome(Outcome::new(ticket, kind));
        }
        #[cfg(feature = "metrics")]
        if !abandoned {
            self.metrics.ignored.increment(1);
        }
        if ticket.probe() {
            self.apply(ticket, Kind::Released, false, None);
        }
    }

    // Inlined into its three callers (each already out of line): one frame per outcome.
    #[inline(always)]
    fn finish(&self, ticket: Ticket, kind: Kind, hint: Option<Duration>) {
        if let Some(authority) = &self.authority {
            match &self.tally {
                // Plain successes are counted, not reported (see `AuthorityHandle::successes`).
                Some(tally) if kind == Kind::Success && !ticket.probe() => tally.add(),
                _ => authority.on_outcome(Outcome::new(ticket, OutcomeKind::from(kind))),
            }
        }
        #[cfg(feature = "metrics")]
        self.metrics.count(kind);
        let mut now = None;
        if kind == Kind::Failure {
            if let Some(hold) = self.config.open.hint(hint) {
                let at = *now.get_or_insert_with(|| self.clock.now());
                let ms = u64::try_from(at.saturating_add(hold).as_millis()).unwrap_or(u64::MAX);
                self.hint_until.fetch_max(ms, Ordering::Relaxed);
            }
        }
        let mut trips = false;
        if let (Some(window), false) = (&self.window, ticket.probe()) {
            // The epoch before the check: a reset after it (the circuit moved on and came
            // back) makes the window drop the outcome instead of counting it in the new
            // closed period. Every reset follows the install of its new state.
            let epoch = window.epoch();
            let w = self.load();
            if !self.is_current(ticket, w) || !w.state().is_passing() {
                return;
            }
            let at = || *now.get_or_insert_with(|| self.clock.now());
            let counts = window.record(epoch, at, kind);
            if let Some(counts) = counts {
                trips = self.config.thresholds.trips(counts);
                #[cfg(feature = "metrics")]
                self.metrics.rates(&self.config.thresholds, counts);
            }
            if !trips && self.config.rules.consecutive.is_none() {
                // In failure-rate mode only the window's verdict moves the word.
                return;
            }
        }
        self.apply(ticket, kind, trips, now);
    }

    #[inline(always)]
    fn apply(&self, ticket: Ticket, kind: Kind, trips: bool, now: Option<Duration>) {
        let mut w = self.load();
        loop {
            if !self.is_current(ticket, w) {
                return;
            }
            let Some(next) = word::record(
                w,
                ticket.generation(),
                ticket.probe(),
                kind,
                trips,
                self.config.rules,
            ) else {
                return;
            };
            match self.install(w, next) {
                Ok(()) => {
                    if next.generation() != w.generation() {
                        let now = now.unwrap_or_else(|| self.clock.now());
                        self.transitioned(w, next, now, None);
                    }
                    return;
                }
                Err(seen) => w = seen,
            }
        }
    }
}
