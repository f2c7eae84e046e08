//! What the async future and the blocking loop share: classify an outcome, consult the
//! state machine, call the hook, emit events, build the final error.

use std::borrow::Borrow;
use std::fmt;
use std::time::Duration;

use super::events;
use super::hooks::{Notify, RetryOk, Retrying};
use super::state::{Decision, RetryState};
use super::{RetryError, RetryPolicy};
use crate::{Classify, Clock, Verdict};

/// The next step of a driver after an attempt.
pub(crate) enum Step<T, E> {
    Done(Result<T, RetryError<E>>),
    Sleep(Duration),
}

/// The settings and hooks of one retried call, shared by both drivers.
///
/// The [`RetryState`] is built at the first failure: a first attempt that succeeds
/// touches nothing but the policy's deadline flag.
///
/// `K` holds the clock: a plain [`Clock`], or for the async retry a
/// [`ColdDrop<Timer>`](super::cold_drop::ColdDrop), which also holds the pending sleep
/// and keeps their drop out of line.
#[derive(Debug)]
pub(crate) struct Core<C, O, N, K = Clock> {
    pub(crate) clock: K,
    pub(crate) classify: C,
    pub(crate) retry_ok: O,
    pub(crate) notify: N,
    progress: Progress,
}

/// Where a call stands; the policy turns into a [`RetryState`] at the first failure.
#[derive(Debug)]
enum Progress {
    First {
        policy: RetryPolicy,
        /// Read before the first attempt, only when a deadline is set.
        start: Option<Duration>,
        /// The first attempt's `Ok` was already judged worth retrying, so the predicate
        /// is not asked twice about one value.
        rejected_ok: bool,
    },
    Retrying {
        state: RetryState,
        name: Option<&'static str>,
    },
}

impl<C, O, N, K: Borrow<Clock>> Core<C, O, N, K> {
    /// A call under `policy` on the system clock.
    #[inline]
    pub(crate) fn new(policy: RetryPolicy, classify: C, retry_ok: O, notify: N) -> Self
    where
        K: Default,
    {
        Self {
            clock: K::default(),
            classify,
            retry_ok,
            notify,
            progress: Progress::First {
                policy,
                start: None,
                rejected_ok: false,
            },
        }
    }

    /// The same call with another classifier.
    #[inline]
    pub(crate) fn classify_with<C2>(self, classify: C2) -> Core<C2, O, N, K> {
        let Core {
            retry_ok,
            notify,
            progress,
            clock,
            ..
        } = self;
        Core {
            classify,
            retry_ok,
            notify,
            progress,
            clock,
        }
    }

    /// The same call with another `Ok` predicate.
    #[inline]
    pub(crate) fn retry_ok_with<O2>(self, retry_ok: O2) -> Core<C, O2, N, K> {
        let Core {
            classify,
            notify,
            progress,
            clock,
            ..
        } = self;
        Core {
            classify,
            retry_ok,
            notify,
            progress,
            clock,
        }
    }

    /// The same call with another hook.
    #[inline]
    pub(crate) fn notify_with<N2>(self, notify: N2) -> Core<C, O, N2, K> {
        let Core {
            classify,
            retry_ok,
            progress,
            clock,
            ..
        } = self;
        Core {
            classify,
            retry_ok,
            notify,
            progress,
            clock,
        }
    }

    /// Reads the start time before the first attempt, only when a deadline needs it.
    #[inline]
    pub(crate) fn begin(&mut self) {
        if let Progress::First { policy, start, .. } = &mut self.progress {
            if policy.deadline.is_some() && start.is_none() {
                *start = Some(self.clock.borrow().now());
            }
        }
    }

    /// The policy's name, for events and metrics.
    #[inline]
    fn name(&self) -> Option<&'static str> {
        match &self.progress {
            Progress::First { policy, .. } => policy.name,
            Progress::Retrying { name, .. } => *name,
        }
    }

    /// Whether no attempt has failed yet.
    #[inline]
    pub(crate) fn first_attempt(&self) -> bool {
        matches!(self.progress, Progress::First { .. })
    }

    /// The outcome of the first attempt: `Ok` with the final result when it is an
    /// accepted success, `Err` with the outcome otherwise.
    #[inline]
    pub(crate) fn first_outcome<T, E>(
        &mut self,
        outcome: Result<T, E>,
    ) -> Result<Result<T, RetryError<E>>, Result<T, E>>
    where
        O: RetryOk<T>,
    {
        match outcome {
            Ok(value) if !self.retry_ok.should_retry(&value) => {
                events::success_first_try(self.name());
                Ok(Ok(value))
            }
            Ok(value) => {
                self.mark_rejected_ok();
                Err(Ok(value))
            }
            outcome => Err(outcome),
        }
    }

    #[cold]
    fn mark_rejected_ok(&mut self) {
        if let Progress::First { rejected_ok, .. } = &mut self.progress {
            *rejected_ok = true;
        }
    }

    /// Whether the outcome about to be judged is an `Ok` already judged worth retrying;
    /// clears the mark.
    fn take_rejected_ok(&mut self) -> bool {
        match &mut self.progress {
            Progress::First { rejected_ok, .. } => std::mem::take(rejected_ok),
            Progress::Retrying { .. } => false,
        }
    }

    /// Classifies the outcome of an attempt and decides the next step.
    #[inline(never)]
    pub(crate) fn on_outcome<T, E>(&mut self, outcome: Result<T, E>) -> Step<T, E>
    where
        C: Classify<E>,
        O: RetryOk<T>,
        N: Notify<T, E>,
        E: fmt::Debug,
    {
        let already_rejected = self.take_rejected_ok();
        let (verdict, outcome) = match outcome {
            Ok(value) if !already_rejected && !self.retry_ok.should_retry(&value) => {
                let attempts = match &self.progress {
                    Progress::First { .. } => 0,
                    Progress::Retrying { state, .. } => state.attempts(),
                };
                if attempts == 0 {
                    events::success_first_try(self.name());
                } else {
                    events::success_after_retry(self.name(), attempts.saturating_add(1));
                }
                return Step::Done(Ok(value));
            }
            Ok(value) => (Verdict::TRANSIENT, Ok(value)),
            Err(error) => (self.classify.classify(&error), Err(error)),
        };
        self.failed(verdict, outcome)
    }

    /// The state machine, built from the policy at the first failure.
    fn state(&mut self, now: Duration) -> &mut RetryState {
        if let Progress::First { policy, start, .. } = self.progress {
            let mut state = RetryState::unstarted(&policy);
            state.start(start.unwrap_or(now));
            let name = policy.name;
            self.progress = Progress::Retrying { state, name };
        }
        match &mut self.progress {
            Progress::Retrying { state, .. } => state,
            Progress::First { .. } => unreachable!("the state was just built"),
        }
    }

    fn failed<T, E>(&mut self, verdict: Verdict, outcome: Result<T, E>) -> Step<T, E>
    where
        N: Notify<T, E>,
        E: fmt::Debug,
    {
        let now = self.clock.borrow().now();
        let name = self.name();
        let state = self.state(now);
        let decision = state.on_failure(verdict, now);
        let attempt = state.attempts();
        let elapsed = state.elapsed(now);
        match decision {
            Decision::Retry(delay) => {
                events::retrying(name, attempt, delay, outcome.as_ref().err());
                self.notify.notify(&Retrying {
                    attempt,
                    delay,
                    elapsed,
                    outcome: &outcome,
                });
                Step::Sleep(delay)
            }
            Decision::Stop(kind) => match outcome {
                // Retrying on an `Ok` value ran out: hand back the last value.
                Ok(value) => {
                    events::gave_up(name, attempt, elapsed, kind, None::<&E>);
                    Step::Done(Ok(value))
                }
                Err(error) => {
                    events::gave_up(name, attempt, elapsed, kind, Some(&error));
                    let hint = verdict.delay_hint();
                    Step::Done(Err(RetryError::new(kind, error, attempt, elapsed, hint)))
                }
            },
        }
    }
}
