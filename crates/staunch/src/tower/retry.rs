//! [`RetryLayer`]: retries a service's failed requests under a [`RetryPolicy`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::take_ready;
use crate::classify::{self, When};
use crate::engine::form::{fall_back, AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::{NoBreaker, Stopped};
use crate::policy::{Fallback, NoFallback};
use crate::{
    AllTransient, CircuitOpen, Classify, Clock, RetryError, RetryErrorKind, RetryPolicy, Verdict,
};

/// Retries failed requests with a [`RetryPolicy`]. Requests and the inner service must be
/// `Clone`: each attempt sends a clone of the request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use staunch::test_util::FakeClock;
/// use staunch::tower::RetryLayer;
/// use staunch::RetryPolicy;
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// #[derive(Clone)]
/// struct Flaky(Arc<AtomicU32>);
/// impl Service<u32> for Flaky {
///     type Response = u32;
///     type Error = &'static str;
///     type Future = std::future::Ready<Result<u32, &'static str>>;
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, n: u32) -> Self::Future {
///         // Relaxed: a counter read after the calls complete.
///         let calls = self.0.fetch_add(1, Ordering::Relaxed) + 1;
///         std::future::ready(if calls < 3 { Err("busy") } else { Ok(n * 2) })
///     }
/// }
///
/// let fake = FakeClock::new();
/// let layer = RetryLayer::new(RetryPolicy::retry_on_exception()).clock(fake.clock());
/// let mut service = layer.layer(Flaky(Arc::default()));
/// assert_eq!(service.call(21).await.unwrap(), 42);
/// assert_eq!(fake.sleeps().len(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RetryLayer<C = AllTransient, FB = NoFallback> {
    policy: RetryPolicy,
    classify: C,
    clock: Clock,
    fallback: Option<FB>,
}

impl<C: fmt::Debug, FB> fmt::Debug for RetryLayer<C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer")
            .field("policy", &self.policy)
            .field("classify", &self.classify)
            .field("clock", &self.clock)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl RetryLayer {
    /// A layer retrying every error under `policy`, on the system clock.
    ///
    /// ```
    /// let layer = staunch::tower::RetryLayer::new(staunch::RetryPolicy::retry_with_jitter());
    /// # let _ = layer;
    /// ```
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            classify: AllTransient,
            clock: Clock::system(),
            fallback: None,
        }
    }
}

impl<C, FB> RetryLayer<C, FB> {
    /// Retries only errors matching `predicate`.
    ///
    /// ```
    /// let layer = staunch::tower::RetryLayer::new(staunch::RetryPolicy::default())
    ///     .when(staunch::classify::io::is_transient);
    /// # let _ = layer;
    /// ```
    pub fn when<P>(self, predicate: P) -> RetryLayer<When<P>, FB> {
        self.classify(classify::when(predicate))
    }

    /// Chooses what to retry with a full [`Classify`] (delay hints included).
    ///
    /// ```
    /// use staunch::classify::http::status_verdict;
    /// let layer = staunch::tower::RetryLayer::new(staunch::RetryPolicy::default())
    ///     .classify(|status: &u16| status_verdict(*status));
    /// # let _ = layer;
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> RetryLayer<C2, FB> {
        RetryLayer {
            policy: self.policy,
            classify: classifier,
            clock: self.clock,
            fallback: self.fallback,
        }
    }

    /// Turns a request's final error into a response, or hands it back: the
    /// [`Fallback`] of [`Retry::fallback`](crate::Retry::fallback), cloned for each
    /// request (a closure holding a cache handle, say). It is handed the [`RetryError`]
    /// the request would fail with, once per request that did not succeed, after the
    /// last attempt; a response it makes is reported with the `fallback used` event.
    /// The service's own `poll_ready` still fails when the inner service's does (there
    /// is no request to answer yet); a readiness error before a later attempt ends the
    /// request as not retryable, and that error goes to the fallback.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::test_util::FakeClock;
    /// use staunch::tower::RetryLayer;
    /// use staunch::{RetryError, RetryErrorKind, RetryPolicy};
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
    /// let fake = FakeClock::new();
    /// let cached = |err: RetryError<&'static str>| match err.kind() {
    ///     RetryErrorKind::NotRetryable => Err(err), // the request's own fault: no cover-up
    ///     _ => Ok(String::from("cached")),
    /// };
    /// let layer = RetryLayer::new(RetryPolicy::default()).clock(fake.clock()).fallback(cached);
    /// let mut service = layer.layer(Down);
    /// assert_eq!(service.call(()).await.unwrap(), "cached");
    /// assert_eq!(fake.sleeps().len(), 2); // after every attempt
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2>(self, fallback: FB2) -> RetryLayer<C, FB2> {
        RetryLayer {
            policy: self.policy,
            classify: self.classify,
            clock: self.clock,
            fallback: Some(fallback),
        }
    }

    /// Reads time and sleeps on `clock` (default: the system clock).
    ///
    /// ```
    /// let fake = staunch::test_util::FakeClock::new();
    /// let layer = staunch::tower::RetryLayer::new(staunch::RetryPolicy::default()).clock(fake.clock());
    /// # let _ = layer;
    /// ```
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }
}

impl<S, C: Clone, FB: Clone> Layer<S> for RetryLayer<C, FB> {
    type Service = RetryService<S, C, FB>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: self.policy,
            classify: self.classify.clone(),
            clock: self.clock.clone(),
            fallback: self.fallback.clone(),
        }
    }
}

/// The service made by [`RetryLayer`].
///
/// ```
/// use staunch::tower::{RetryLayer, RetryService};
/// use tower_layer::Layer;
/// let service: RetryService<(), _> = RetryLayer::new(staunch::RetryPolicy::default()).layer(());
/// assert_eq!(service.policy().max_attempts(), 3);
/// ```
#[derive(Clone)]
pub struct RetryService<S, C = AllTransient, FB = NoFallback> {
    inner: S,
    policy: RetryPolicy,
    classify: C,
    clock: Clock,
    fallback: Option<FB>,
}

impl<S: fmt::Debug, C: fmt::Debug, FB> fmt::Debug for RetryService<S, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryService")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .field("classify", &self.classify)
            .field("clock", &self.clock)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl<S, C, FB> RetryService<S, C, FB> {
    /// The retry policy.
    ///
    /// ```
    /// # use staunch::tower::RetryLayer;
    /// # use tower_layer::Layer;
    /// let service = RetryLayer::new(staunch::RetryPolicy::retry_with_jitter()).layer(());
    /// assert_eq!(service.policy().max_attempts(), 5);
    /// ```
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The inner service.
    ///
    /// ```
    /// # use tower_layer::Layer;
    /// let mut service = staunch::tower::RetryLayer::new(staunch::RetryPolicy::default()).layer(7_u8);
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

impl<S, C, FB, Request> Service<Request> for RetryService<S, C, FB>
where
    S: Service<Request> + Clone,
    S::Error: fmt::Debug,
    C: Classify<S::Error> + Clone,
    FB: Fallback<S::Response, S::Error, RetryError<S::Error>> + Clone,
    Request: Clone,
{
    type Response = S::Response;
    type Error = RetryError<S::Error>;
    type Future = RetryFuture<S, Request, C, FB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(not_ready)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        RetryFuture {
            drive: Drive::new(ServiceForm {
                service: take_ready(&mut self.inner),
                request,
                policy: self.policy,
                classify: self.classify.clone(),
                clock: self.clock.clone(),
                fallback: self.fallback.clone(),
            }),
        }
    }
}

fn not_ready<E>(error: E) -> RetryError<E> {
    RetryError::new(RetryErrorKind::NotRetryable, error, 0, Duration::ZERO, None)
}

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
        drive: Drive<ServiceForm<S, Request, C, FB>, S::Future, NoBreaker>,
    }
}

/// One request under a retry: each attempt sends a clone of the request.
struct ServiceForm<S, Request, C, FB> {
    service: S,
    request: Request,
    policy: RetryPolicy,
    classify: C,
    clock: Clock,
    fallback: Option<FB>,
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
