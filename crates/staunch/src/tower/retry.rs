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
use crate::engine::form::{AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::{NoBreaker, Stopped};
use crate::retry::retry_kind;
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
#[derive(Clone, Debug)]
pub struct RetryLayer<C = AllTransient> {
    policy: RetryPolicy,
    classify: C,
    clock: Clock,
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
        }
    }
}

impl<C> RetryLayer<C> {
    /// Retries only errors matching `predicate`.
    ///
    /// ```
    /// let layer = staunch::tower::RetryLayer::new(staunch::RetryPolicy::default())
    ///     .when(staunch::classify::io::is_transient);
    /// # let _ = layer;
    /// ```
    pub fn when<P>(self, predicate: P) -> RetryLayer<When<P>> {
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
    pub fn classify<C2>(self, classifier: C2) -> RetryLayer<C2> {
        RetryLayer {
            policy: self.policy,
            classify: classifier,
            clock: self.clock,
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

impl<S, C: Clone> Layer<S> for RetryLayer<C> {
    type Service = RetryService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: self.policy,
            classify: self.classify.clone(),
            clock: self.clock.clone(),
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
#[derive(Clone, Debug)]
pub struct RetryService<S, C = AllTransient> {
    inner: S,
    policy: RetryPolicy,
    classify: C,
    clock: Clock,
}

impl<S, C> RetryService<S, C> {
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

impl<S, C, Request> Service<Request> for RetryService<S, C>
where
    S: Service<Request> + Clone,
    S::Error: fmt::Debug,
    C: Classify<S::Error> + Clone,
    Request: Clone,
{
    type Response = S::Response;
    type Error = RetryError<S::Error>;
    type Future = RetryFuture<S, Request, C>;

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
    pub struct RetryFuture<S, Request, C>
    where
        S: Service<Request>,
    {
        #[pin]
        drive: Drive<ServiceForm<S, Request, C>, S::Future, NoBreaker>,
    }
}

/// One request under a retry: each attempt sends a clone of the request.
struct ServiceForm<S, Request, C> {
    service: S,
    request: Request,
    policy: RetryPolicy,
    classify: C,
    clock: Clock,
}

impl<S, Request, C> Form<S::Response, S::Error> for ServiceForm<S, Request, C>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
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
            Err(error) => Err(RetryError::new(
                retry_kind(stopped.kind),
                error,
                stopped.attempts,
                stopped.elapsed,
                stopped.hint,
            )),
        }
    }
}

impl<S, Request, C> AsyncForm<S::Response, S::Error, S::Future> for ServiceForm<S, Request, C>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    Request: Clone,
{
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.service.poll_ready(cx)
    }

    fn attempt(&mut self) -> S::Future {
        self.service.call(self.request.clone())
    }
}

impl<S, Request, C> Future for RetryFuture<S, Request, C>
where
    S: Service<Request>,
    S::Error: fmt::Debug,
    C: Classify<S::Error>,
    Request: Clone,
{
    type Output = Result<S::Response, RetryError<S::Error>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<S: Service<Request>, Request, C: fmt::Debug> fmt::Debug for RetryFuture<S, Request, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = self.drive.form();
        f.debug_struct("RetryFuture")
            .field("policy", &form.policy)
            .field("classify", &form.classify)
            .field("phase", &self.drive.phase())
            .finish()
    }
}
