//! The step machine every driver of the combined policy runs: the async future, the
//! blocking loop, the tower service and the `#[resilient]` attribute.
//!
//! A driver asks the breaker for a permit, runs the attempt, and hands the outcome to
//! [`Run`], which reports it through the permit and answers with a [`Step`]: return, or
//! sleep this long and try again. `Run` holds only the progress of one call; the layers
//! it decides with are lent to each step as [`Layers`], so a driver may own or borrow
//! them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use super::attempt::{poll_attempt, poll_timer, Ending, Layers, Record};
use super::events;
use super::PolicyErrorKind;
use crate::retry::{Decision, RetryState};
use crate::{CircuitBreaker, CircuitOpen, CircuitState, Classify, Sleep, Verdict};

/// What the driver does next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Sleep this long, then make the next attempt.
    Retry(Duration),
    /// Give up for this reason.
    Stop(Stopped),
}

/// Why and when a call gave up, without the caller's error (the driver holds it).
#[derive(Debug)]
pub(crate) struct Stopped {
    pub(crate) kind: PolicyErrorKind,
    pub(crate) open: Option<CircuitOpen>,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Duration,
}

impl Stopped {
    pub(crate) fn into_error<E>(self, error: Option<E>) -> super::PolicyError<E> {
        super::PolicyError::new(self.kind, error, self.open, self.attempts, self.elapsed)
    }
}

/// The breaker as the retry sees it after a failure.
#[derive(Clone, Copy, Debug)]
enum Circuit {
    /// The next attempt will be let through (or we can't know before asking).
    Passing,
    /// Open; a probe is let through after this long.
    OpenFor(Duration),
    /// Forced open: no probe is scheduled.
    Shut,
}

/// The progress of one call under a policy.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// Built at the first failure, so a first attempt that succeeds stays cheap; boxed,
    /// so the drivers' futures stay small on that path.
    state: Option<Box<RetryState>>,
    /// The call's start, read up front only when a deadline or a timeout needs it.
    start: Option<Duration>,
    /// The current attempt's start, read only with an attempt timeout.
    attempt_start: Option<Duration>,
}

impl Run {
    pub(crate) const fn new() -> Self {
        Self {
            state: None,
            start: None,
            attempt_start: None,
        }
    }

    /// Starts the call: one deposit in the budget; the start time when it is needed.
    #[inline(always)]
    pub(crate) fn begin(&mut self, l: &Layers<'_>) {
        if let Some(budget) = l.budget {
            budget.deposit();
        }
        if l.retry.deadline.is_some() || l.attempt_timeout.is_some() {
            self.start = Some(l.clock.now());
        }
    }

    /// Marks the start of an attempt (a clock read, only with an attempt timeout).
    #[inline(always)]
    pub(crate) fn attempt_started(&mut self, l: &Layers<'_>) {
        if l.attempt_timeout.is_some() {
            self.attempt_start = Some(match self.attempt_start {
                // The first attempt starts when the call does.
                None if self.state.is_none() => self.start.unwrap_or_else(|| l.clock.now()),
                _ => l.clock.now(),
            });
        }
    }

    /// How the attempt that just returned ended: in time or late.
    #[inline(always)]
    pub(crate) fn ending(&self, l: &Layers<'_>) -> Ending {
        match (l.attempt_timeout, self.attempt_start) {
            (Some(timeout), Some(start)) if l.clock.now().saturating_sub(start) > timeout => {
                Ending::Late
            }
            _ => Ending::InTime,
        }
    }

    /// The timer of the running attempt: the rest of its timeout. `None` without one.
    pub(crate) fn timer(&self, l: &Layers<'_>) -> Option<Sleep> {
        let timeout = l.attempt_timeout?;
        let spent = self
            .attempt_start
            .map_or(Duration::ZERO, |start| l.clock.now().saturating_sub(start));
        Some(l.clock.sleep(timeout.saturating_sub(spent)))
    }

    /// Records a success: reports it through `permit` (a late one counts as a breaker
    /// failure, and is still returned) and emits its events.
    #[inline(always)]
    pub(crate) fn succeeded(&mut self, l: &Layers<'_>, permit: impl Record, ending: Ending) {
        if ending == Ending::InTime {
            permit.success();
        } else {
            permit.failure();
            events::late_success(l.name);
        }
        match &self.state {
            None => events::success_first_try(l),
            Some(state) => events::success_after_retry(l, state.attempts().saturating_add(1)),
        }
    }

    /// Records a failed attempt with [`failed`](Self::failed): its error as `classify`
    /// judges it, or `None` for an attempt cut by its timer.
    #[inline]
    pub(crate) fn attempt_failed<E: fmt::Debug>(
        &mut self,
        l: &Layers<'_>,
        permit: impl Record,
        ending: Ending,
        error: Option<&E>,
        classify: &impl Classify<E>,
    ) -> Step {
        match error {
            Some(error) => {
                let verdict = classify.classify(error);
                self.failed(l, permit, verdict, ending, Some(error as &dyn fmt::Debug))
            }
            None => self.failed(l, permit, Verdict::TRANSIENT, ending, None),
        }
    }

    /// Records a failed attempt (an error, or a timeout) and decides what comes next.
    ///
    /// A timeout, and an error that came late, count as breaker failures whatever the
    /// classifier says, and are retried like any transient error.
    #[cold]
    pub(crate) fn failed(
        &mut self,
        l: &Layers<'_>,
        permit: impl Record,
        verdict: Verdict,
        ending: Ending,
        error: Option<&dyn fmt::Debug>,
    ) -> Step {
        let timed_out = ending != Ending::InTime;
        let verdict = if timed_out {
            permit.failure();
            Verdict::TRANSIENT
        } else {
            permit.record(verdict);
            verdict
        };
        let now = l.clock.now();
        let circuit = if verdict.should_retry() {
            circuit_after_failure(l.breaker)
        } else {
            Circuit::Passing
        };
        let patience = self.patience(l, now);
        let state = self.state(l, now);
        let decision = match circuit {
            Circuit::Passing => state.on_failure(verdict, now),
            Circuit::OpenFor(wait) if wait <= patience => {
                state.on_failure_with_min_wait(verdict, wait, now)
            }
            Circuit::OpenFor(_) | Circuit::Shut => match state.on_failure(verdict, now) {
                Decision::Retry(_) => {
                    let open = open_circuit(l.breaker, circuit);
                    return Step::Stop(self.stop(
                        l,
                        PolicyErrorKind::BreakerOpen,
                        Some(open),
                        now,
                        error,
                    ));
                }
                stop => stop,
            },
        };
        match decision {
            Decision::Retry(delay) => {
                let reason = match (timed_out, circuit) {
                    (true, _) => "timeout",
                    (false, Circuit::OpenFor(_)) => "error; waiting for the probe",
                    (false, _) => "error",
                };
                self.retry(l, delay, now, reason, error)
            }
            Decision::Stop(kind) => {
                let kind = PolicyErrorKind::from_retry(kind, timed_out);
                Step::Stop(self.stop(l, kind, None, now, error))
            }
        }
    }

    /// The breaker refused an attempt: wait exactly until its probe if that fits the
    /// retry's patience, else give up with the open circuit. Never a blind retry.
    #[cold]
    pub(crate) fn rejected(&mut self, l: &Layers<'_>, open: CircuitOpen) -> Step {
        let now = l.clock.now();
        let patience = self.patience(l, now);
        let state = self.state(l, now);
        match open.retry_after() {
            Some(wait) if wait <= patience => {
                match state.on_failure_with_min_wait(Verdict::RETRY_UNCOUNTED, wait, now) {
                    Decision::Retry(_) => self.retry(l, wait, now, "circuit open", None),
                    Decision::Stop(_) => Step::Stop(self.stop(
                        l,
                        PolicyErrorKind::BreakerOpen,
                        Some(open),
                        now,
                        None,
                    )),
                }
            }
            _ => {
                // Counts the refused attempt.
                let _ = state.on_failure(Verdict::IGNORE, now);
                Step::Stop(self.stop(l, PolicyErrorKind::BreakerOpen, Some(open), now, None))
            }
        }
    }

    /// The breaker refused an attempt and the driver can't wait: give up with the open
    /// circuit (the attributes, whose loop can't sleep before an attempt).
    #[cfg(feature = "macros")]
    #[cold]
    pub(crate) fn refused(&mut self, l: &Layers<'_>, open: CircuitOpen) -> Stopped {
        let now = l.clock.now();
        let _ = self.state(l, now).on_failure(Verdict::IGNORE, now);
        self.stop(l, PolicyErrorKind::BreakerOpen, Some(open), now, None)
    }

    fn retry(
        &mut self,
        l: &Layers<'_>,
        delay: Duration,
        now: Duration,
        reason: &'static str,
        error: Option<&dyn fmt::Debug>,
    ) -> Step {
        if let Some(budget) = l.budget {
            if !budget.try_withdraw() {
                return Step::Stop(self.stop(
                    l,
                    PolicyErrorKind::BudgetExhausted,
                    None,
                    now,
                    error,
                ));
            }
        }
        let attempt = self.attempts();
        events::retrying(l.name, attempt, delay, reason, error);
        Step::Retry(delay)
    }

    fn stop(
        &mut self,
        l: &Layers<'_>,
        kind: PolicyErrorKind,
        open: Option<CircuitOpen>,
        now: Duration,
        error: Option<&dyn fmt::Debug>,
    ) -> Stopped {
        let stopped = Stopped {
            kind,
            open,
            attempts: self.attempts(),
            elapsed: self
                .state
                .as_ref()
                .map_or(Duration::ZERO, |s| s.elapsed(now)),
        };
        events::gave_up(l, &stopped, error);
        stopped
    }

    fn attempts(&self) -> u32 {
        self.state.as_ref().map_or(0, |state| state.attempts())
    }

    fn state(&mut self, l: &Layers<'_>, now: Duration) -> &mut RetryState {
        let start = self.start;
        self.state.get_or_insert_with(|| {
            let mut state = RetryState::unstarted(l.retry);
            state.start(start.unwrap_or(now));
            Box::new(state)
        })
    }

    /// The longest the retry waits for a circuit to let a probe through: `max_probe_wait`
    /// if set, else (without a deadline) what its own backoff could still have waited,
    /// `wait_max` × the retries left; never past the deadline.
    fn patience(&mut self, l: &Layers<'_>, now: Duration) -> Duration {
        let state = self.state(l, now);
        let left = state.remaining(now);
        let own = l.max_probe_wait.unwrap_or_else(|| match left {
            Some(_) => Duration::MAX,
            None => {
                let retries = l.retry.max_attempts.saturating_sub(state.attempts() + 1);
                l.retry.backoff.max_delay().saturating_mul(retries)
            }
        });
        left.map_or(own, |left| own.min(left))
    }
}

/// Where the breaker stands after a failure was reported: the look-ahead that keeps the
/// retry from sleeping into an open circuit.
fn circuit_after_failure(breaker: &CircuitBreaker) -> Circuit {
    match breaker.state() {
        CircuitState::Open => Circuit::OpenFor(breaker.retry_in().unwrap_or(Duration::ZERO)),
        CircuitState::ForcedOpen => Circuit::Shut,
        _ => Circuit::Passing,
    }
}

fn open_circuit(breaker: &CircuitBreaker, circuit: Circuit) -> CircuitOpen {
    let retry_after = match circuit {
        Circuit::OpenFor(wait) => Some(wait),
        Circuit::Passing | Circuit::Shut => None,
    };
    CircuitOpen::new(Arc::from(breaker.name()), retry_after)
}
