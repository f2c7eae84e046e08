//! [`PolicyFuture`]: one request under the policy, driven by the engine.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tower_service::Service;

use crate::breaker::OwnedPermit;
use crate::engine::form::{fall_back, AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::Stopped;
use crate::policy::{Fallback, NoFallback};
use crate::{CircuitOpen, Classify, Policy, PolicyError, Verdict};

/// One request under a policy: each attempt sends a clone of the request.
pub(super) struct ServiceForm<S, Request, C, FB> {
    pub(super) service: S,
    pub(super) request: Request,
    pub(super) policy: Policy,
    pub(super) classify: C,
    /// Taken by the one call of `finish`.
    pub(super) fallback: Option<FB>,
}

impl<S, Request, C, FB> Form<S::Response, S::Error> for ServiceForm<S, Request, C, FB>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    FB: Fallback<S::Response, S::Error>,
{
    type Permit = OwnedPermit;
    type Error = PolicyError<S::Error>;

    #[inline(always)]
    fn layers(&self) -> Layers<'_> {
        self.policy.layers()
    }

    #[inline(always)]
    fn admit(&mut self) -> Result<OwnedPermit, CircuitOpen> {
        self.policy.breaker().try_acquire_owned()
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
    ) -> Result<S::Response, PolicyError<S::Error>> {
        let kind = stopped.kind;
        let error = stopped.into_policy_error(last.and_then(Result::err));
        fall_back(&self.policy.layers(), kind, &mut self.fallback, error)
    }
}

impl<S, Request, C, FB> AsyncForm<S::Response, S::Error, S::Future>
    for ServiceForm<S, Request, C, FB>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    FB: Fallback<S::Response, S::Error>,
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

pin_project! {
    /// The response future of [`PolicyService`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use staunch::tower::{PolicyFuture, PolicyLayer};
    /// # use tower_layer::Layer;
    /// # use tower_service::Service;
    /// # #[derive(Clone)] struct Ok1;
    /// # impl Service<()> for Ok1 {
    /// #     type Response = u8; type Error = (); type Future = std::future::Ready<Result<u8, ()>>;
    /// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), ()>> { std::task::Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Ok(1)) }
    /// # }
    /// let mut service = PolicyLayer::new(staunch::Policy::builder("one").build()?).layer(Ok1);
    /// let future: PolicyFuture<Ok1, (), staunch::AllTransient> = service.call(());
    /// assert_eq!(future.await.unwrap(), 1);
    /// # Ok(()) }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct PolicyFuture<S, Request, C, FB = NoFallback>
    where
        S: Service<Request>,
    {
        #[pin]
        pub(super) drive: Drive<ServiceForm<S, Request, C, FB>, S::Future, OwnedPermit>,
    }
}

impl<S, Request, C, FB> Future for PolicyFuture<S, Request, C, FB>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    FB: Fallback<S::Response, S::Error>,
    Request: Clone,
{
    type Output = Result<S::Response, PolicyError<S::Error>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<S: Service<Request>, Request, C: fmt::Debug, FB> fmt::Debug
    for PolicyFuture<S, Request, C, FB>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = self.drive.form();
        f.debug_struct("PolicyFuture")
            .field("policy", &form.policy.name())
            .field("classify", &form.classify)
            .field("phase", &self.drive.phase())
            .finish()
    }
}
