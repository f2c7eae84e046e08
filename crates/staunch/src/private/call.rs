//! One call of an attribute, stepped by the expansion's loop: the engine's step machine
//! with the attribute's layers. The loop is the attributes' driver because the body must
//! run inline (it borrows the function's arguments and `&mut self` for one attempt);
//! every decision is the engine's.

use std::future::Future;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use super::site::Site;
use super::Outcome;
use crate::breaker::Permit;
use crate::classify::Classify;
use crate::engine::future::panicked;
use crate::engine::step::{Layers, Run, Step, ONE_ATTEMPT};
use crate::engine::table::Ending;
use crate::{CircuitBreaker, CircuitOpen, Clock};

/// The admission of one attempt: a breaker's permit, or nothing for a retry alone.
#[derive(Debug)]
pub struct Admitted<'a>(pub(crate) Option<Permit<'a>>);

/// An attempt of an async `#[resilient]` function: its result, or cut by its timeout.
#[derive(Debug)]
pub enum Attempted<R> {
    /// The body returned.
    Done(R),
    /// The attempt timeout (or the deadline) cut the body.
    TimedOut,
}

impl<R: Outcome> Outcome for Attempted<R> {
    type Ok = R::Ok;
    type Err = R::Err;

    #[inline]
    fn error(&self) -> Option<&R::Err> {
        match self {
            Self::Done(result) => result.error(),
            Self::TimedOut => None,
        }
    }

    #[inline]
    fn from_error(error: R::Err) -> Self {
        Self::Done(R::from_error(error))
    }
}

/// Which layers an attribute has.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind<'a> {
    /// `#[retry_on_exception]`, `#[retry_with_jitter]`: a retry alone.
    Retry,
    /// `#[circuit_breaker]`: a breaker alone, one attempt.
    Breaker(&'a CircuitBreaker),
    /// `#[resilient]`: the combined policy.
    Resilient(&'a CircuitBreaker),
}

/// The engine's step machine for one call of an attributed function.
#[derive(Debug)]
pub(crate) struct Stepper<'a> {
    run: Run,
    site: &'static Site,
    kind: Kind<'a>,
    clock: Clock,
    begun: bool,
}

impl<'a> Stepper<'a> {
    pub(crate) fn new(site: &'static Site, kind: Kind<'a>, clock: Clock) -> Self {
        Self {
            run: Run::new(),
            site,
            kind,
            clock,
            begun: false,
        }
    }

    /// The step machine and the layers it decides with, borrowed apart.
    fn parts(&mut self) -> (&mut Run, Layers<'_>) {
        let site = self.site;
        let layers = |retry, breaker, quiet| Layers {
            retry,
            breaker,
            budget: None,
            attempt_timeout: None,
            max_probe_wait: None,
            clock: &self.clock,
            name: site.name(),
            quiet,
            #[cfg(feature = "metrics")]
            metrics: None,
        };
        let layers = match self.kind {
            Kind::Retry => layers(&site.resolved().retry, None, false),
            Kind::Breaker(breaker) => layers(&ONE_ATTEMPT, Some(breaker), true),
            Kind::Resilient(breaker) => {
                let resolved = site.resolved_for(breaker);
                Layers {
                    budget: Some(site.budget(resolved)),
                    attempt_timeout: resolved.attempt_timeout,
                    #[cfg(feature = "metrics")]
                    metrics: Some(site.metrics()),
                    ..layers(&resolved.retry, Some(breaker), false)
                }
            }
        };
        (&mut self.run, layers)
    }

    fn breaker(&self) -> Option<&'a CircuitBreaker> {
        match self.kind {
            Kind::Retry => None,
            Kind::Breaker(breaker) | Kind::Resilient(breaker) => Some(breaker),
        }
    }

    /// Admits the next attempt, or refuses it with the open circuit. A refusal ends the
    /// call: the loop can't sleep before an attempt.
    pub(crate) fn admit(&mut self) -> Result<Admitted<'a>, CircuitOpen> {
        let first = !std::mem::replace(&mut self.begun, true);
        let breaker = self.breaker();
        let (run, layers) = self.parts();
        if first {
            run.begin(&layers);
        }
        let permit = match breaker.map(CircuitBreaker::try_acquire).transpose() {
            Ok(permit) => permit,
            Err(open) => {
                let _ = run.refused(&layers, open);
                return Err(open);
            }
        };
        run.attempt_started(&layers);
        Ok(Admitted(permit))
    }

    /// Runs a blocking body; a panic counts as a breaker failure, then unwinds on.
    pub(crate) fn run_blocking<R>(
        permit: Admitted<'a>,
        body: impl FnOnce() -> R,
    ) -> (Admitted<'a>, R) {
        match catch_unwind(AssertUnwindSafe(body)) {
            Ok(result) => (permit, result),
            Err(panic) => panicked(permit.0, panic),
        }
    }

    /// Runs an async body, cut by its timer when the attempt is timed; a panic counts as a
    /// breaker failure, then unwinds on.
    pub(crate) async fn run<R>(
        &mut self,
        permit: Admitted<'a>,
        body: impl Future<Output = R>,
    ) -> (Admitted<'a>, Attempted<R>) {
        let mut timer = {
            let (run, layers) = self.parts();
            run.timer(&layers)
        };
        let mut body = pin!(body);
        let mut permit = Some(permit);
        let attempted = std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx))) {
                Ok(Poll::Ready(result)) => return Poll::Ready(Attempted::Done(result)),
                Ok(Poll::Pending) => {}
                Err(panic) => {
                    let permit = permit.take().and_then(|p| p.0);
                    panicked(permit, panic)
                }
            }
            match &mut timer {
                Some(timer) => pin!(timer).poll(cx).map(|()| Attempted::TimedOut),
                None => Poll::Pending,
            }
        })
        .await;
        (
            permit.expect("a finished attempt keeps its permit"),
            attempted,
        )
    }

    /// Reports an attempt's end and decides: `Break` to return, `Continue(delay)` to
    /// sleep and try again. `error` is `None` for a success or a timeout.
    pub(crate) fn decide<E, C: Classify<E>>(
        &mut self,
        permit: Admitted<'a>,
        error: Option<&E>,
        timed_out: bool,
        classifier: &C,
    ) -> ControlFlow<(), Duration> {
        let (run, layers) = self.parts();
        let ending = if timed_out {
            Ending::TimedOut
        } else {
            run.ending(&layers)
        };
        let step = match error {
            None if !timed_out => {
                run.succeeded(&layers, permit.0, ending);
                return ControlFlow::Break(());
            }
            None => run.failed(&layers, permit.0, crate::Verdict::TRANSIENT, ending, None),
            Some(error) => {
                let verdict = classifier.classify(error);
                run.failed(&layers, permit.0, verdict, ending, None)
            }
        };
        match step {
            Step::Retry(delay) => ControlFlow::Continue(delay),
            Step::Stop(_) => ControlFlow::Break(()),
        }
    }

    /// The timeout an attempt had, for [`AttemptTimeout`](crate::AttemptTimeout).
    pub(crate) fn timeout(&mut self) -> crate::AttemptTimeout {
        let name = self.site.name();
        let (_, layers) = self.parts();
        crate::AttemptTimeout::new(name, layers.attempt_timeout.unwrap_or_default())
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }
}

/// The admission of a retry-only attempt: nothing to hold.
#[derive(Debug)]
pub struct NoPermit(Admitted<'static>);

/// A call of a function under `#[retry_on_exception]` or `#[retry_with_jitter]`: the
/// engine's step machine without a breaker.
#[derive(Debug)]
pub struct RetryCall(Stepper<'static>);

impl RetryCall {
    pub(crate) fn new(site: &'static Site, clock: Clock) -> Self {
        Self(Stepper::new(site, Kind::Retry, clock))
    }

    /// Admits the next attempt.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, NoPermit> {
        match self.0.admit() {
            Ok(admitted) => ControlFlow::Continue(NoPermit(admitted)),
            Err(_) => unreachable!("a retry alone has no breaker to refuse it"),
        }
    }

    /// Runs the body of a blocking function.
    #[inline]
    pub fn run_blocking<R>(&mut self, permit: NoPermit, body: impl FnOnce() -> R) -> (NoPermit, R) {
        let (admitted, result) = Stepper::run_blocking(permit.0, body);
        (NoPermit(admitted), result)
    }

    /// Runs the body of an async function.
    #[inline]
    pub async fn run<R>(
        &mut self,
        permit: NoPermit,
        body: impl Future<Output = R>,
    ) -> (NoPermit, R) {
        (permit, body.await)
    }

    /// Returns `result`, or sleeps and asks for another attempt.
    pub fn after_blocking<R, C>(
        &mut self,
        permit: NoPermit,
        result: R,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let delay = decided(
            self.0.decide(permit.0, result.error(), false, &classifier),
            result,
        )?;
        self.0.clock().sleep_blocking(delay);
        ControlFlow::Continue(())
    }

    /// Returns `result`, or sleeps and asks for another attempt.
    pub async fn after<R, C>(
        &mut self,
        permit: NoPermit,
        result: R,
        classifier: C,
    ) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        let delay = decided(
            self.0.decide(permit.0, result.error(), false, &classifier),
            result,
        )?;
        self.0.clock().sleep(delay).await;
        ControlFlow::Continue(())
    }
}

/// `Break(result)` to return it, `Continue(delay)` to retry.
#[inline]
pub(crate) fn decided<R>(flow: ControlFlow<(), Duration>, result: R) -> ControlFlow<R, Duration> {
    match flow {
        ControlFlow::Continue(delay) => ControlFlow::Continue(delay),
        ControlFlow::Break(()) => ControlFlow::Break(result),
    }
}
