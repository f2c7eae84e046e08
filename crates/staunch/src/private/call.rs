//! One call of a retrying attribute: the loop the expansion runs, step by step.

use std::ops::ControlFlow;
use std::time::Duration;

use super::Outcome;
use crate::classify::Classify;
use crate::retry::{Decision, RetryErrorKind, RetryState};
use crate::{Clock, RetryPolicy};

/// The admission of a retry-only attempt: nothing to hold.
#[derive(Debug)]
pub struct NoPermit(());

/// A call of a function under `#[retry_on_exception]` or `#[retry_with_jitter]`.
///
/// Runs the retry's own state machine ([`RetryState`]): the same attempts and delays as
/// the policy used by hand, the last error returned as it is.
#[derive(Debug)]
pub struct RetryCall {
    name: &'static str,
    state: RetryState,
    clock: Clock,
}

impl RetryCall {
    pub(crate) fn new(name: &'static str, policy: &RetryPolicy, clock: Clock) -> Self {
        Self {
            name,
            state: RetryState::unstarted(policy),
            clock,
        }
    }

    /// Admits the next attempt.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, NoPermit> {
        ControlFlow::Continue(NoPermit(()))
    }

    /// Returns `result`, or sleeps and asks for another attempt.
    pub fn after_blocking<R, C>(&mut self, _: NoPermit, result: R, classifier: C) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let delay = self.decide(result, &classifier)?;
        self.clock.sleep_blocking(delay);
        ControlFlow::Continue(())
    }

    /// Returns `result`, or sleeps and asks for another attempt.
    pub async fn after<R, C>(&mut self, _: NoPermit, result: R, classifier: C) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let delay = self.decide(result, &classifier)?;
        self.clock.sleep(delay).await;
        ControlFlow::Continue(())
    }

    /// `Break(result)` to return it, `Continue(delay)` to retry after `delay`.
    #[inline]
    pub(crate) fn decide<R, C>(&mut self, result: R, classifier: &C) -> ControlFlow<R, Duration>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        match result.error() {
            None if self.state.attempts() == 0 => {
                #[cfg(feature = "metrics")]
                events::first_try(self.name);
                ControlFlow::Break(result)
            }
            None => {
                events::succeeded(self.name, self.state.attempts().saturating_add(1));
                ControlFlow::Break(result)
            }
            Some(error) => {
                let verdict = classifier.classify(error);
                self.failed(verdict, result)
            }
        }
    }

    /// Records a failed attempt with `verdict`, or one rejected with a minimum wait.
    #[cold]
    pub(crate) fn failed<R>(
        &mut self,
        verdict: crate::Verdict,
        result: R,
    ) -> ControlFlow<R, Duration> {
        let now = self.clock.now();
        match self.state.on_failure(verdict, now) {
            Decision::Retry(delay) => {
                events::retrying(self.name, self.state.attempts(), delay);
                ControlFlow::Continue(delay)
            }
            Decision::Stop(kind) => {
                events::gave_up(
                    self.name,
                    self.state.attempts(),
                    self.state.elapsed(now),
                    kind,
                );
                ControlFlow::Break(result)
            }
        }
    }
}

mod events {
    //! The retry's `tracing` events and (feature `metrics`) counters, for attributed
    //! functions: the same target, fields and metric names as the retry's own drivers.

    use std::time::Duration;

    use super::RetryErrorKind;

    const TARGET: &str = "staunch::retry";

    #[cfg(feature = "metrics")]
    pub(super) fn first_try(name: &'static str) {
        calls(name, "successful_without_retry", 1);
    }

    pub(super) fn succeeded(name: &'static str, attempts: u32) {
        tracing::debug!(target: TARGET, name, attempts, "retry succeeded");
        #[cfg(feature = "metrics")]
        calls(name, "successful_with_retry", attempts);
    }

    pub(super) fn retrying(name: &'static str, attempt: u32, delay: Duration) {
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(target: TARGET, name, attempt, delay_ms, "retrying");
    }

    pub(super) fn gave_up(
        name: &'static str,
        attempts: u32,
        elapsed: Duration,
        kind: RetryErrorKind,
    ) {
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let reason = kind.as_str();
        if kind == RetryErrorKind::NotRetryable {
            tracing::debug!(target: TARGET, name, attempts, elapsed_ms, reason, "not retrying");
        } else {
            tracing::warn!(target: TARGET, name, attempts, elapsed_ms, reason, "retry gave up");
        }
        #[cfg(feature = "metrics")]
        calls(
            name,
            if attempts > 1 {
                "failed_with_retry"
            } else {
                "failed_without_retry"
            },
            attempts,
        );
    }

    /// `staunch_retry_calls_total{name, kind}` and `staunch_retry_attempts_total{name}`.
    #[cfg(feature = "metrics")]
    fn calls(name: &'static str, kind: &'static str, attempts: u32) {
        metrics::counter!("staunch_retry_calls_total", "name" => name, "kind" => kind).increment(1);
        metrics::counter!("staunch_retry_attempts_total", "name" => name)
            .increment(u64::from(attempts));
    }
}
