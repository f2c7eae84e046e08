//! What the async future and the blocking loop share: classify an outcome, consult the
//! state machine, call the hook, emit events, build the final error.

use std::fmt;
use std::time::Duration;

use super::hooks::{Notify, RetryOk, Retrying};
use super::state::{Decision, RetryState};
use super::{RetryError, RetryErrorKind, RetryPolicy};
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
#[derive(Debug)]
pub(crate) struct Core<C, O, N> {
    name: Option<&'static str>,
    pub(crate) clock: Clock,
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
    },
    Retrying(RetryState),
}

impl<C, O, N> Core<C, O, N> {
    #[inline]
    pub(crate) fn new(policy: RetryPolicy, classify: C, retry_ok: O, notify: N) -> Self {
        Self {
            name: policy.name,
            clock: Clock::system(),
            classify,
            retry_ok,
            notify,
            progress: Progress::First {
                policy,
                start: None,
            },
        }
    }

    /// The same call with another classifier.
    #[inline]
    pub(crate) fn classify_with<C2>(self, classify: C2) -> Core<C2, O, N> {
        let Core {
            name,
            clock,
            retry_ok,
            notify,
            progress,
            ..
        } = self;
        Core {
            name,
            clock,
            classify,
            retry_ok,
            notify,
            progress,
        }
    }

    /// The same call with another `Ok` predicate.
    #[inline]
    pub(crate) fn retry_ok_with<O2>(self, retry_ok: O2) -> Core<C, O2, N> {
        let Core {
            name,
            clock,
            classify,
            notify,
            progress,
            ..
        } = self;
        Core {
            name,
            clock,
            classify,
            retry_ok,
            notify,
            progress,
        }
    }

    /// The same call with another hook.
    #[inline]
    pub(crate) fn notify_with<N2>(self, notify: N2) -> Core<C, O, N2> {
        let Core {
            name,
            clock,
            classify,
            retry_ok,
            progress,
            ..
        } = self;
        Core {
            name,
            clock,
            classify,
            retry_ok,
            notify,
            progress,
        }
    }

    /// Reads the start time before the first attempt, only when a deadline needs it.
    #[inline]
    pub(crate) fn begin(&mut self) {
        if let Progress::First { policy, start } = &mut self.progress {
            if policy.deadline.is_some() && start.is_none() {
                *start = Some(self.clock.now());
            }
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
                events::success_first_try(self.name);
                Ok(Ok(value))
            }
            outcome => Err(outcome),
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
        let (verdict, outcome) = match outcome {
            Ok(value) if !self.retry_ok.should_retry(&value) => {
                let attempts = match &self.progress {
                    Progress::First { .. } => 0,
                    Progress::Retrying(state) => state.attempts(),
                };
                if attempts == 0 {
                    events::success_first_try(self.name);
                } else {
                    events::success_after_retry(self.name, attempts.saturating_add(1));
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
        if let Progress::First { policy, start } = self.progress {
            let mut state = RetryState::unstarted(&policy);
            state.start(start.unwrap_or(now));
            self.progress = Progress::Retrying(state);
        }
        match &mut self.progress {
            Progress::Retrying(state) => state,
            Progress::First { .. } => unreachable!("the state was just built"),
        }
    }

    fn failed<T, E>(&mut self, verdict: Verdict, outcome: Result<T, E>) -> Step<T, E>
    where
        N: Notify<T, E>,
        E: fmt::Debug,
    {
        let now = self.clock.now();
        let state = self.state(now);
        let decision = state.on_failure(verdict, now);
        let attempt = state.attempts();
        let elapsed = state.elapsed(now);
        let name = self.name;
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

mod events {
    //! `tracing` events and (feature `metrics`) counters of the retry.

    use std::fmt;
    use std::time::Duration;

    use super::RetryErrorKind;

    const TARGET: &str = "staunch::retry";

    #[inline(always)]
    pub(super) fn success_first_try(name: Option<&'static str>) {
        let _ = name;
        #[cfg(feature = "metrics")]
        metrics_calls(name, "successful_without_retry", 1);
    }

    pub(super) fn success_after_retry(name: Option<&'static str>, attempts: u32) {
        tracing::debug!(target: TARGET, name = name.unwrap_or(""), attempts, "retry succeeded");
        #[cfg(feature = "metrics")]
        metrics_calls(name, "successful_with_retry", attempts);
    }

    pub(super) fn retrying<E: fmt::Debug>(
        name: Option<&'static str>,
        attempt: u32,
        delay: Duration,
        error: Option<&E>,
    ) {
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        match error {
            Some(error) => tracing::debug!(
                target: TARGET, name = name.unwrap_or(""), attempt, delay_ms, ?error, "retrying"
            ),
            None => tracing::debug!(
                target: TARGET, name = name.unwrap_or(""), attempt, delay_ms, "retrying on an ok value"
            ),
        }
    }

    pub(super) fn gave_up<E: fmt::Debug>(
        name: Option<&'static str>,
        attempts: u32,
        elapsed: Duration,
        kind: RetryErrorKind,
        error: Option<&E>,
    ) {
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let reason = kind.as_str();
        let name_field = name.unwrap_or("");
        if kind == RetryErrorKind::NotRetryable {
            tracing::debug!(target: TARGET, name = name_field, attempts, elapsed_ms, reason, ?error, "not retrying");
        } else {
            tracing::warn!(target: TARGET, name = name_field, attempts, elapsed_ms, reason, ?error, "retry gave up");
        }
        #[cfg(feature = "metrics")]
        {
            let outcome = if attempts > 1 {
                "failed_with_retry"
            } else {
                "failed_without_retry"
            };
            metrics_calls(name, outcome, attempts);
        }
    }

    /// `staunch_retry_calls_total{name, kind}` and `staunch_retry_attempts_total{name}`.
    ///
    /// An unnamed policy uses static labels, so recording allocates nothing.
    #[cfg(feature = "metrics")]
    fn metrics_calls(name: Option<&'static str>, kind: &'static str, attempts: u32) {
        const CALLS: &str = "staunch_retry_calls_total";
        const ATTEMPTS: &str = "staunch_retry_attempts_total";
        let attempts = u64::from(attempts);
        match (name, kind) {
            (None, "successful_without_retry") => {
                metrics::counter!(CALLS, "name" => "unnamed", "kind" => "successful_without_retry")
                    .increment(1);
                metrics::counter!(ATTEMPTS, "name" => "unnamed").increment(attempts);
            }
            (name, kind) => {
                let name = name.unwrap_or("unnamed");
                metrics::counter!(CALLS, "name" => name, "kind" => kind).increment(1);
                metrics::counter!(ATTEMPTS, "name" => name).increment(attempts);
            }
        }
    }
}
