//! One call of a retrying attribute: the loop the expansion runs, step by step.

use std::ops::ControlFlow;
use std::time::Duration;

use super::Outcome;
use crate::classify::Classify;
use crate::retry::events;
use crate::retry::{Decision, RetryState};
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
                events::success_first_try(Some(self.name));
                ControlFlow::Break(result)
            }
            None => {
                events::success_after_retry(
                    Some(self.name),
                    self.state.attempts().saturating_add(1),
                );
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
                events::retrying_opaque(Some(self.name), self.state.attempts(), delay);
                ControlFlow::Continue(delay)
            }
            Decision::Stop(kind) => {
                events::gave_up(
                    Some(self.name),
                    self.state.attempts(),
                    self.state.elapsed(now),
                    kind,
                    None::<&()>,
                );
                ControlFlow::Break(result)
            }
        }
    }
}
