//! [`RetryFuture`]: one request under the retry, driven by the engine.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tower_service::Service;

use crate::engine::form::{fall_back, AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::{NoBreaker, Stopped};
use crate::policy::{Fallback, NoFallback};
use crate::{CircuitOpen, Classify, Clock, RetryError, RetryPolicy, Verdict};

pin_project! {
    /// The response future of [`RetryService`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use staunch::tower::{RetryFuture, RetryLayer};
    /// # use tower_layer::Layer;
    /// # use tower_service::Service;
    /// # #[derive(Clone)] struct Ok1;
    /// # impl Service<()> for Ok1 {
    /// #     type Response = u8; type Error = (); type Future = std::future::Ready<Result<u8, ()>>;
    /// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), ()>> { std::task::Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Ok(1)) }
    /// # }
    /// let mut service = RetryLayer::new(staunch::RetryPolicy::default()).layer(Ok1);
    /// let future: RetryFuture<Ok1, (), staunch::AllTransient> = service.call(());
    /// assert_eq!(future.await.unwrap(), 1);
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct RetryFuture<S, Request, C, FB = NoFallback>
    where
        S: Service<Request>,
    {
        #[pin]
        pub(super) drive: Drive<ServiceForm<S, Request, C, FB>, S::Future, NoBreaker>,
    }
}

/// One request under a retry: each attempt sends a clone of the request.
pub(super) struct ServiceForm<S, Request, C, FB> {
    pub(super) service: S,
    pub(super) request: Request,
    pub(super) policy: RetryPolicy,
    pub(super) classify: C,
    pub(super) clock: Clock,
    pub(super) fallback: Option<FB>,
}

impl<S, Request, C, FB> Form<S::Response, S::Error> for ServiceForm<S, Request, C, FB>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    FB: Fallback<S::Response, S::Error, RetryError<S::Error>>,
{
    type Permit = NoBreaker;
    type Error = RetryError<S::Error>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        Layers::retry_alone(&self.policy, &self.clock)
    }

    #[inline(always)]
    fn admit(&mut self) -> Result<NoBreaker, CircuitOpen> {
        Ok(NoBreaker)
    }

    fn classify(&self, error: &S::Error) -> Verdict {
        self.classify.classify(error)
    }

    fn debug(error: &S::Error) -> Option<&dyn fmt::Debug> {
        Some(error)
    }

    fn finish(
        &mut self,
        stopped: Stopped,
        last: Option<Result<S::Response, S::Error>>,
    ) -> Result<S::Response, RetryError<S::Error>> {
        match last.expect("a retry alone stops after an attempt") {
            Ok(response) => Ok(response),
            Err(error) => {
                let kind = stopped.kind;
                let error = RetryError::from_stopped(stopped, error);
                let layers = Layers::retry_alone(&self.policy, &self.clock);
                fall_back(&layers, kind, &mut self.fallback, error)
            }
        }
    }
}

impl<S, Request, C, FB> AsyncForm<S::Response, S::Error, S::Future>
    for ServiceForm<S, Request, C, FB>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    FB: Fallback<S::Response, S::Error, RetryError<S::Error>>,
    Request: Clone,
{
    type Once = ();

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.service.poll_ready(cx)
    }

    fn attempt(&mut self) -> S::Future {
        self.service.call(self.request.clone())
    }
}

impl<S, Request, C, FB> Future for RetryFuture<S, Request, C, FB>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    FB: Fallback<S::Response, S::Error, RetryError<S::Error>>,
    Request: Clone,
{
    type Output = Result<S::Response, RetryError<S::Error>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<S: Service<Request>, Request, C: fmt::Debug, FB> fmt::Debug
    for RetryFuture<S, Request, C, FB>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = self.drive.form();
        f.debug_struct("RetryFuture")
            .field("policy", &form.policy)
            .field("classify", &form.classify)
            .field("phase", &self.drive.phase())
            .finish()
    }
}
