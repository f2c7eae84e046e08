//! [`CircuitBreakerFuture`]: one admitted (or refused) request, driven by the engine.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::breaker::OwnedPermit;
use crate::engine::form::{fall_back, AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::{Layers, Shape};
use crate::engine::table::Stopped;
use crate::policy::{Fallback, NoFallback};
use crate::{BreakerError, CircuitOpen, Classify, Verdict};

/// One request through a breaker alone, admitted (or refused) when it was sent.
pub(super) struct FutureForm<F, C, FB> {
    pub(super) admission: Option<Result<OwnedPermit, CircuitOpen>>,
    pub(super) future: Option<F>,
    pub(super) classify: C,
    pub(super) fallback: Option<FB>,
}

impl<F, C, FB, T, E> Form<T, E> for FutureForm<F, C, FB>
where
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    type Permit = OwnedPermit;
    type Error = BreakerError<E>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        Layers::breaker_alone()
    }

    /// A breaker alone has no budget, deadline or attempt timeout.
    #[inline(always)]
    fn shape(&self) -> Shape {
        Shape::Plain
    }

    #[inline(always)]
    fn admit(&mut self) -> Result<OwnedPermit, CircuitOpen> {
        self.admission.take().expect("a breaker alone admits once")
    }

    fn classify(&self, error: &E) -> Verdict {
        self.classify.classify(error)
    }

    fn debug(_: &E) -> Option<&dyn fmt::Debug> {
        None
    }

    fn finish(
        &mut self,
        stopped: Stopped,
        last: Option<Result<T, E>>,
    ) -> Result<T, BreakerError<E>> {
        let kind = stopped.kind;
        match crate::breaker::finish(stopped, last) {
            Ok(value) => Ok(value),
            Err(error) => fall_back(&Layers::breaker_alone(), kind, &mut self.fallback, error),
        }
    }
}

impl<F, C, FB, T, E> AsyncForm<T, E, F> for FutureForm<F, C, FB>
where
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    type Once = ();

    fn attempt(&mut self) -> F {
        self.future
            .take()
            .expect("an admitted request has its future")
    }
}

pin_project! {
    /// The response future of [`CircuitBreakerService`].
    ///
    /// ```
    /// fn assert_future<F: std::future::Future>() {}
    /// assert_future::<staunch::tower::CircuitBreakerFuture<std::future::Ready<Result<(), ()>>, staunch::AllTransient>>();
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct CircuitBreakerFuture<F, C, FB = NoFallback>
    where
        F: Future,
    {
        #[pin]
        pub(super) drive: Drive<FutureForm<F, C, FB>, F, OwnedPermit>,
    }
}

impl<F, C, FB, T, E> Future for CircuitBreakerFuture<F, C, FB>
where
    F: Future<Output = Result<T, E>>,
    C: Classify<E>,
    FB: Fallback<T, E, BreakerError<E>>,
{
    type Output = Result<T, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<F: Future, C, FB> fmt::Debug for CircuitBreakerFuture<F, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerFuture")
            .field("phase", &self.drive.phase())
            .finish()
    }
}
