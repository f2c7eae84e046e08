//! [`PolicyLayer`]: the combined policy (budget, retry, breaker, attempt timeout) as a
//! tower layer, with the policy call's fallback.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::take_ready;
use crate::breaker::OwnedPermit;
use crate::classify::{self, When};
use crate::engine::form::{fall_back, AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::Stopped;
use crate::policy::{Fallback, NoFallback};
use crate::{AllTransient, CircuitOpen, Classify, Policy, PolicyError, PolicyErrorKind, Verdict};

/// Runs every request under a [`Policy`]: the same engine, rules and events as
/// [`Policy::call`]. Requests and the inner service must be `Clone`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use staunch::test_util::FakeClock;
/// use staunch::tower::PolicyLayer;
/// use staunch::Policy;
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// #[derive(Clone)]
/// struct Down;
/// impl Service<()> for Down {
///     type Response = ();
///     type Error = &'static str;
///     type Future = std::future::Ready<Result<(), &'static str>>;
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Err("503")) }
/// }
///
/// let fake = FakeClock::new();
/// let policy = Policy::builder("upstream").failure_threshold(1).clock(fake.clock()).build()?;
/// let mut service = PolicyLayer::new(policy).layer(Down);
/// let err = service.call(()).await.unwrap_err();
/// assert!(err.is_circuit_open()); // the failure opened the circuit: no sleep into it
/// assert_eq!(err.last_error(), Some(&"503"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PolicyLayer<C = AllTransient, FB = NoFallback> {
    policy: Policy,
    classify: C,
    fallback: Option<FB>,
}

impl<C: fmt::Debug, FB> fmt::Debug for PolicyLayer<C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyLayer")
            .field("policy", &self.policy)
            .field("classify", &self.classify)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl PolicyLayer {
    /// A layer running requests under `policy`, every error transient.
    ///
    /// ```
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::database().clone());
    /// # let _ = layer;
    /// ```
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            classify: AllTransient,
            fallback: None,
        }
    }
}

impl<C, FB> PolicyLayer<C, FB> {
    /// Retries and counts only errors matching `predicate`.
    ///
    /// ```
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::mcp().clone())
    ///     .when(staunch::classify::io::is_transient);
    /// # let _ = layer;
    /// ```
    pub fn when<P>(self, predicate: P) -> PolicyLayer<When<P>, FB> {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`] (delay hints included).
    ///
    /// ```
    /// use staunch::classify::http::status_verdict;
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::llm().clone())
    ///     .classify(|status: &u16| status_verdict(*status));
    /// # let _ = layer;
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> PolicyLayer<C2, FB> {
        PolicyLayer {
            policy: self.policy,
            classify: classifier,
            fallback: self.fallback,
        }
    }

    /// Turns a request's final error into a response, or hands it back: the
    /// [`Fallback`] of [`PolicyCall::fallback`](crate::policy::PolicyCall::fallback),
    /// cloned for each request (a closure holding a cache handle, say). It is handed the
    /// [`PolicyError`] the request would fail with (an open circuit, exhaustion, an
    /// empty budget, a timeout, a request's own mistake), once per request that did not
    /// succeed; a response it makes is reported with the `fallback used` event.
    /// The service's own `poll_ready` still fails when the inner service's does (there
    /// is no request to answer yet); a readiness error before a later attempt ends the
    /// request as not retryable, and that error goes to the fallback.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::test_util::FakeClock;
    /// use staunch::tower::PolicyLayer;
    /// use staunch::{Policy, PolicyError, PolicyErrorKind};
    /// use tower_layer::Layer;
    /// use tower_service::Service;
    ///
    /// #[derive(Clone)]
    /// struct Down;
    /// impl Service<()> for Down {
    ///     type Response = String;
    ///     type Error = &'static str;
    ///     type Future = std::future::Ready<Result<String, &'static str>>;
    ///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
    ///         std::task::Poll::Ready(Ok(()))
    ///     }
    ///     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Err("503")) }
    /// }
    ///
    /// let policy = Policy::builder("upstream").clock(FakeClock::new().clock()).build()?;
    /// let cached = |err: PolicyError<&'static str>| match err.kind() {
    ///     PolicyErrorKind::NotRetryable => Err(err), // the request's own fault: no cover-up
    ///     _ => Ok(String::from("cached")),
    /// };
    /// let mut service = PolicyLayer::new(policy).fallback(cached).layer(Down);
    /// assert_eq!(service.call(()).await.unwrap(), "cached");
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2>(self, fallback: FB2) -> PolicyLayer<C, FB2> {
        PolicyLayer {
            policy: self.policy,
            classify: self.classify,
            fallback: Some(fallback),
        }
    }
}

impl<S, C: Clone, FB: Clone> Layer<S> for PolicyLayer<C, FB> {
    type Service = PolicyService<S, C, FB>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService {
            inner,
            policy: self.policy.clone(),
            classify: self.classify.clone(),
            fallback: self.fallback.clone(),
        }
    }
}

/// The service made by [`PolicyLayer`].
///
/// ```
/// use staunch::tower::{PolicyLayer, PolicyService};
/// use tower_layer::Layer;
/// let service: PolicyService<(), _> = PolicyLayer::new(staunch::Policy::database().clone()).layer(());
/// assert_eq!(service.policy().name(), "database");
/// ```
#[derive(Clone)]
pub struct PolicyService<S, C = AllTransient, FB = NoFallback> {
    inner: S,
    policy: Policy,
    classify: C,
    fallback: Option<FB>,
}

impl<S: fmt::Debug, C: fmt::Debug, FB> fmt::Debug for PolicyService<S, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyService")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .field("classify", &self.classify)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl<S, C, FB> PolicyService<S, C, FB> {
    /// The policy requests run under.
    ///
    /// ```
    /// # use staunch::tower::PolicyLayer;
    /// # use tower_layer::Layer;
    /// let service = PolicyLayer::new(staunch::Policy::llm().clone()).layer(());
    /// assert_eq!(service.policy().name(), "llm");
    /// ```
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The inner service.
    ///
    /// ```
    /// # use tower_layer::Layer;
    /// let mut service = staunch::tower::PolicyLayer::new(staunch::Policy::database().clone()).layer(7_u8);
    /// assert_eq!(*service.get_ref(), 7);
    /// *service.get_mut() = 8;
    /// assert_eq!(service.into_inner(), 8);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    ///
    /// See [`get_ref`](Self::get_ref) for an example.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    ///
    /// See [`get_ref`](Self::get_ref) for an example.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, C, FB, Request> Service<Request> for PolicyService<S, C, FB>
where
    S: Service<Request> + Clone,
    S::Error: fmt::Debug,
    C: Classify<S::Error> + Clone,
    FB: Fallback<S::Response, S::Error> + Clone,
    Request: Clone,
{
    type Response = S::Response;
    type Error = PolicyError<S::Error>;
    type Future = PolicyFuture<S, Request, C, FB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(not_ready)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        PolicyFuture {
            drive: Drive::new(ServiceForm {
                service: take_ready(&mut self.inner),
                request,
                policy: self.policy.clone(),
                classify: self.classify.clone(),
                fallback: self.fallback.clone(),
            }),
        }
    }
}

fn not_ready<E>(error: E) -> PolicyError<E> {
    PolicyError::new(
        PolicyErrorKind::NotRetryable,
        Some(error),
        None,
        0,
        Duration::ZERO,
    )
}

/// One request under a policy: each attempt sends a clone of the request.
struct ServiceForm<S, Request, C, FB> {
    service: S,
    request: Request,
    policy: Policy,
    classify: C,
    /// Taken by the one call of `finish`.
    fallback: Option<FB>,
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
        drive: Drive<ServiceForm<S, Request, C, FB>, S::Future, OwnedPermit>,
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
