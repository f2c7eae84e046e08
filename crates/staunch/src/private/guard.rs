//! One call of a breaker attribute: admission before the body, the verdict after it.
//!
//! `#[circuit_breaker]` asks the breaker for a permit and reports the outcome.
//! `#[resilient]` runs the combined policy's engine: budget and retry outside, breaker
//! inside, every attempt judged by the breaker; a rejected attempt returns the open
//! circuit as the function's error at once (the seed's `CircuitBreakerError` was never
//! retried either), and a failure that opens the circuit either waits exactly for the
//! probe (when that fits the retry's patience) or ends the retry with that failure,
//! never sleeping into a circuit that won't let the next attempt through.

use std::ops::ControlFlow;

use super::site::Site;
use super::{OpenCircuitError, Outcome};
use crate::breaker::Permit;
use crate::classify::Classify;
use crate::policy::run::{Layers, Run, Step};
use crate::{CircuitBreaker, Clock, Verdict};

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

/// A call of a function under `#[resilient]`: the combined [`Policy`](crate::Policy)'s
/// engine, driven one attempt at a time by the expansion's loop.
///
/// Budget and retry outside, breaker inside, the attempt timeout measured: the same
/// rules as `Policy::call_blocking`, with the function's own error type. An attempt
/// refused by the breaker returns the open circuit as the function's error (the loop
/// can't sleep before an attempt); a failure that opens the circuit waits for the probe
/// when it fits the retry's patience and otherwise ends the call with that failure.
#[derive(Debug)]
pub struct ResilientCall<'a> {
    run: Run,
    site: &'static Site,
    breaker: &'a CircuitBreaker,
    clock: Clock,
    begun: bool,
}

impl<'a> ResilientCall<'a> {
    pub(crate) fn new(site: &'static Site, breaker: &'a CircuitBreaker, clock: Clock) -> Self {
        Self {
            run: Run::new(),
            site,
            breaker,
            clock,
            begun: false,
        }
    }

    /// The engine and the layers it decides with, borrowed apart.
    fn parts(&mut self) -> (&mut Run, Layers<'_>) {
        let site = self.site;
        let resolved = site.resolved_for(self.breaker);
        let layers = Layers {
            retry: &resolved.retry,
            breaker: self.breaker,
            budget: Some(site.budget(resolved)),
            attempt_timeout: resolved.attempt_timeout,
            max_probe_wait: None,
            clock: &self.clock,
            name: site.name(),
            #[cfg(feature = "metrics")]
            metrics: site.metrics(),
        };
        (&mut self.run, layers)
    }

    /// Admits the attempt, or returns the open circuit as the function's error.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, Admitted<'a>>
    where
        R: Outcome,
        R::Err: OpenCircuitError,
    {
        let breaker = self.breaker;
        let first = !std::mem::replace(&mut self.begun, true);
        let (run, layers) = self.parts();
        if first {
            run.begin(&layers);
        }
        match breaker.try_acquire() {
            Ok(permit) => {
                run.attempt_started(&layers);
                ControlFlow::Continue(Admitted(permit))
            }
            Err(open) => {
                let _ = run.refused(&layers, open.clone());
                ControlFlow::Break(R::from_error(R::Err::from(open)))
            }
        }
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
        self.clock.sleep_blocking(delay);
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
        self.clock.sleep(delay).await;
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
        let (run, layers) = self.parts();
        let ending = run.ending(&layers);
        let step = match result.error() {
            None => {
                run.succeeded(&layers, permit.0, ending);
                return ControlFlow::Break(result);
            }
            Some(error) => {
                let verdict = classifier.classify(error);
                run.failed(&layers, permit.0, verdict, ending, None)
            }
        };
        match step {
            Step::Retry(delay) => ControlFlow::Continue(delay),
            Step::Stop(_) => ControlFlow::Break(result),
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
