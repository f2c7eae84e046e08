//! One call of a breaker attribute: admission before the body, the verdict after it.
//!
//! `#[resilient]` composes the retry outside and the breaker inside: every attempt asks
//! the breaker for a permit and reports its outcome; a rejected attempt returns the open
//! circuit as the function's error at once (the seed's `CircuitBreakerError` was never
//! retried either), and a failure that leaves the circuit open ends the retry with that
//! failure instead of sleeping into a circuit that won't let the next attempt through.

use std::ops::ControlFlow;

use super::call::RetryCall;
use super::{OpenCircuitError, Outcome};
use crate::breaker::Permit;
use crate::classify::Classify;
use crate::{CircuitBreaker, CircuitState, Verdict};

/// The admission of one attempt through a breaker.
#[derive(Debug)]
pub struct Admitted<'a>(Permit<'a>);

/// A call of a function under `#[circuit_breaker]`.
#[derive(Debug)]
pub struct BreakerCall<'a> {
    breaker: &'a CircuitBreaker,
}

impl<'a> BreakerCall<'a> {
    pub(crate) fn new(breaker: &'a CircuitBreaker) -> Self {
        Self { breaker }
    }

    /// Admits the attempt, or returns the open circuit as the function's error.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, Admitted<'a>>
    where
        R: Outcome,
        R::Err: OpenCircuitError,
    {
        admit(self.breaker)
    }

    /// Reports the outcome to the breaker and returns it.
    #[inline]
    pub fn after_blocking<R, C>(
        &mut self,
        permit: Admitted<'a>,
        result: R,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        record(permit, &result, &classifier);
        ControlFlow::Break(result)
    }

    /// Reports the outcome to the breaker and returns it.
    #[inline]
    pub async fn after<R, C>(
        &mut self,
        permit: Admitted<'a>,
        result: R,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        self.after_blocking(permit, result, classifier)
    }
}

/// A call of a function under `#[resilient]`: retry outside, breaker inside.
#[derive(Debug)]
pub struct ResilientCall<'a> {
    retry: RetryCall,
    breaker: &'a CircuitBreaker,
}

impl<'a> ResilientCall<'a> {
    pub(crate) fn new(retry: RetryCall, breaker: &'a CircuitBreaker) -> Self {
        Self { retry, breaker }
    }

    /// Admits the attempt, or returns the open circuit as the function's error.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, Admitted<'a>>
    where
        R: Outcome,
        R::Err: OpenCircuitError,
    {
        admit(self.breaker)
    }

    /// Reports the outcome to the breaker, then returns it or sleeps before a retry.
    pub fn after_blocking<R, C>(
        &mut self,
        permit: Admitted<'a>,
        result: R,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let delay = self.decide(permit, result, &classifier)?;
        self.retry.clock().sleep_blocking(delay);
        ControlFlow::Continue(())
    }

    /// Reports the outcome to the breaker, then returns it or sleeps before a retry.
    pub async fn after<R, C>(
        &mut self,
        permit: Admitted<'a>,
        result: R,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let delay = self.decide(permit, result, &classifier)?;
        self.retry.clock().sleep(delay).await;
        ControlFlow::Continue(())
    }

    fn decide<R, C>(
        &mut self,
        permit: Admitted<'a>,
        result: R,
        classifier: &C,
    ) -> ControlFlow<R, std::time::Duration>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let verdict = record(permit, &result, classifier);
        match verdict {
            None => self.retry.decide(result, classifier),
            // The circuit won't admit the next attempt: return this failure now.
            Some(verdict) if verdict.should_retry() && is_open(self.breaker) => {
                self.retry.failed(Verdict::FATAL, result)
            }
            Some(verdict) => self.retry.failed(verdict, result),
        }
    }
}

fn admit<'a, R>(breaker: &'a CircuitBreaker) -> ControlFlow<R, Admitted<'a>>
where
    R: Outcome,
    R::Err: OpenCircuitError,
{
    match breaker.try_acquire() {
        Ok(permit) => ControlFlow::Continue(Admitted(permit)),
        Err(open) => ControlFlow::Break(R::from_error(R::Err::from(open))),
    }
}

/// Reports `result` through `permit`; the error's verdict, `None` for a success.
#[inline]
fn record<R, C>(permit: Admitted<'_>, result: &R, classifier: &C) -> Option<Verdict>
where
    R: Outcome,
    C: Classify<R::Err>,
{
    match result.error() {
        None => {
            permit.0.success();
            None
        }
        Some(error) => {
            let verdict = classifier.classify(error);
            permit.0.record(verdict);
            Some(verdict)
        }
    }
}

fn is_open(breaker: &CircuitBreaker) -> bool {
    matches!(
        breaker.state(),
        CircuitState::Open | CircuitState::ForcedOpen
    )
}
