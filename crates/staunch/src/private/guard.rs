//! One call of a breaker attribute: `#[circuit_breaker]` is the engine's step machine of
//! one attempt; `#[resilient]` is the combined policy's, with budget and retry outside,
//! the breaker inside, and in async code the attempt timeout enforced.
//!
//! A refused attempt returns the open circuit as the function's error at once (the
//! seed's `CircuitBreakerError` was never retried either, and the loop can't sleep before
//! an attempt); a failure that opens the circuit either waits exactly for the probe
//! (when that fits the retry's patience) or ends the retry with that failure, never
//! sleeping into a circuit that won't let the next attempt through.

use std::future::Future;
use std::ops::ControlFlow;

use super::call::{decided, Admitted, Attempted, Kind, Stepper};
use super::site::Site;
use super::{OpenCircuitError, Outcome, TimeoutError};
use crate::classify::Classify;
use crate::{CircuitBreaker, Clock};

/// A call of a function under `#[circuit_breaker]`.
#[derive(Debug)]
pub struct BreakerCall<'a>(Stepper<'a>);

impl<'a> BreakerCall<'a> {
    pub(crate) fn new(site: &'static Site, breaker: &'a CircuitBreaker) -> Self {
        Self(Stepper::new(site, Kind::Breaker(breaker), Clock::system()))
    }

    /// Admits the attempt, or returns the open circuit as the function's error.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, Admitted<'a>>
    where
        R: Outcome,
        R::Err: OpenCircuitError,
    {
        admit(&mut self.0)
    }

    /// Runs the body of a blocking function.
    #[inline]
    pub fn run_blocking<R>(
        &mut self,
        permit: Admitted<'a>,
        body: impl FnOnce() -> R,
    ) -> (Admitted<'a>, R) {
        Stepper::run_blocking(permit, body)
    }

    /// Runs the body of an async function.
    #[inline]
    pub async fn run<R>(
        &mut self,
        permit: Admitted<'a>,
        body: impl Future<Output = R>,
    ) -> (Admitted<'a>, R) {
        let (permit, attempted) = self.0.run(permit, body).await;
        match attempted {
            Attempted::Done(result) => (permit, result),
            Attempted::TimedOut => unreachable!("a breaker alone has no attempt timeout"),
        }
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
        let _ = self.0.decide(permit, result.error(), false, &classifier);
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

/// A call of a function under `#[resilient]`: the combined [`Policy`](crate::Policy)'s
/// step machine, driven one attempt at a time by the expansion's loop, with the
/// function's own error type.
#[derive(Debug)]
pub struct ResilientCall<'a>(Stepper<'a>);

impl<'a> ResilientCall<'a> {
    pub(crate) fn new(site: &'static Site, breaker: &'a CircuitBreaker, clock: Clock) -> Self {
        Self(Stepper::new(site, Kind::Resilient(breaker), clock))
    }

    /// Admits the attempt, or returns the open circuit as the function's error.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, Admitted<'a>>
    where
        R: Outcome,
        R::Err: OpenCircuitError,
    {
        admit(&mut self.0)
    }

    /// Runs the body of a blocking function; its time is measured (a late result counts
    /// as a timeout failure).
    #[inline]
    pub fn run_blocking<R>(
        &mut self,
        permit: Admitted<'a>,
        body: impl FnOnce() -> R,
    ) -> (Admitted<'a>, R) {
        Stepper::run_blocking(permit, body)
    }

    /// Runs the body of an async function, cut by the attempt timeout.
    #[inline]
    pub async fn run<R>(
        &mut self,
        permit: Admitted<'a>,
        body: impl Future<Output = R>,
    ) -> (Admitted<'a>, Attempted<R>) {
        self.0.run(permit, body).await
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
        let delay = decided(
            self.0.decide(permit, result.error(), false, &classifier),
            result,
        )?;
        self.0.clock().sleep_blocking(delay);
        ControlFlow::Continue(())
    }

    /// Reports the outcome (or the timeout) to the breaker, then returns it or sleeps
    /// before a retry. A last attempt cut by its timeout returns
    /// `E::from(AttemptTimeout)`.
    pub async fn after<R, C>(
        &mut self,
        permit: Admitted<'a>,
        result: Attempted<R>,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        R::Err: TimeoutError,
        C: Classify<R::Err>,
    {
        let flow = match &result {
            Attempted::Done(done) => self.0.decide(permit, done.error(), false, &classifier),
            Attempted::TimedOut => self.0.decide(permit, None, true, &classifier),
        };
        let result = match result {
            Attempted::Done(result) => result,
            Attempted::TimedOut => R::from_error(R::Err::from(self.0.timeout())),
        };
        let delay = decided(flow, result)?;
        self.0.clock().sleep(delay).await;
        ControlFlow::Continue(())
    }
}

fn admit<'a, R>(stepper: &mut Stepper<'a>) -> ControlFlow<R, Admitted<'a>>
where
    R: Outcome,
    R::Err: OpenCircuitError,
{
    match stepper.admit() {
        Ok(admitted) => ControlFlow::Continue(admitted),
        Err(open) => ControlFlow::Break(R::from_error(R::Err::from(open))),
    }
}
