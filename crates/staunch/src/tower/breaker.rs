//! [`CircuitBreakerLayer`]: every request takes a permit; errors are classified.
//!
//! By default a request is admitted when it is sent ([`Service::call`]) and a refused one
//! fails with [`BreakerError::Open`]; readiness is the inner service's. With
//! [`reject_in_poll_ready`](CircuitBreakerLayer::reject_in_poll_ready) admission moves
//! into [`Service::poll_ready`]: the service is ready only once it holds a permit for its
//! next request, so an open circuit (or a half-open one whose probe slots are taken) fails
//! readiness, and a load balancer stops routing to the endpoint instead of sending it
//! requests that fail at once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::breaker::OwnedPermit;
use crate::classify::{self, When};
use crate::engine::form::{fall_back, AsyncForm, Form};
use crate::engine::future::Drive;
use crate::engine::step::Layers;
use crate::engine::table::Stopped;
use crate::policy::{Fallback, NoFallback};
use crate::{AllTransient, BreakerError, CircuitBreaker, CircuitOpen, Classify, Verdict};

/// Guards a service with a [`CircuitBreaker`]: a request the circuit refuses fails with
/// [`BreakerError::Open`] without reaching the service.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use staunch::tower::CircuitBreakerLayer;
/// use staunch::{BreakerError, CircuitBreaker};
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
/// let breaker = CircuitBreaker::builder("upstream").failure_threshold(1).build()?;
/// let mut service = CircuitBreakerLayer::new(breaker).layer(Down);
/// assert!(matches!(service.call(()).await, Err(BreakerError::Inner("503"))));
/// assert!(matches!(service.call(()).await, Err(BreakerError::Open(_))));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CircuitBreakerLayer<C = AllTransient, FB = NoFallback> {
    breaker: CircuitBreaker,
    classify: C,
    reject_in_poll_ready: bool,
    fallback: Option<FB>,
}

impl<C: fmt::Debug, FB> fmt::Debug for CircuitBreakerLayer<C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerLayer")
            .field("breaker", &self.breaker)
            .field("classify", &self.classify)
            .field("reject_in_poll_ready", &self.reject_in_poll_ready)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl CircuitBreakerLayer {
    /// A layer counting every error of the service as a failure.
    ///
    /// ```
    /// let layer = staunch::tower::CircuitBreakerLayer::new(staunch::CircuitBreaker::builder("db").build()?);
    /// # let _ = layer;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn new(breaker: CircuitBreaker) -> Self {
        Self {
            breaker,
            classify: AllTransient,
            reject_in_poll_ready: false,
            fallback: None,
        }
    }
}

impl<C, FB> CircuitBreakerLayer<C, FB> {
    /// Counts only errors matching `predicate`; the others pass through uncounted.
    ///
    /// ```
    /// use staunch::{tower::CircuitBreakerLayer, CircuitBreaker};
    /// let layer = CircuitBreakerLayer::new(CircuitBreaker::builder("db").build()?)
    ///     .when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
    /// # let _ = layer;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn when<P>(self, predicate: P) -> CircuitBreakerLayer<When<P>, FB> {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`].
    ///
    /// ```
    /// use staunch::{classify::http::status_verdict, tower::CircuitBreakerLayer, CircuitBreaker};
    /// let layer = CircuitBreakerLayer::new(CircuitBreaker::builder("api").build()?)
    ///     .classify(|status: &u16| status_verdict(*status));
    /// # let _ = layer;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> CircuitBreakerLayer<C2, FB> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            classify: classifier,
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: self.fallback,
        }
    }

    /// Turns a request's final error into a response, or hands it back: the
    /// [`Fallback`] of [`BreakerCall::fallback`](crate::breaker::BreakerCall::fallback),
    /// cloned for each request (a closure holding a cache handle, say). It is handed the
    /// [`BreakerError`] the request would fail with, a refusal or a classified error of
    /// the inner service, once per request that did not succeed; the breaker counts the
    /// outcome before. A refused readiness check
    /// ([`reject_in_poll_ready`](Self::reject_in_poll_ready)) is not a request: it fails
    /// `poll_ready` as before, so that a load balancer routes elsewhere.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::tower::CircuitBreakerLayer;
    /// use staunch::{BreakerError, CircuitBreaker};
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
    /// let breaker = CircuitBreaker::builder("upstream").failure_threshold(1).build()?;
    /// let cached = |err: BreakerError<&'static str>| match err {
    ///     BreakerError::Open(_) => Ok(String::from("cached")),
    ///     err => Err(err), // the failure itself is seen
    /// };
    /// let mut service = CircuitBreakerLayer::new(breaker).fallback(cached).layer(Down);
    /// assert!(matches!(service.call(()).await, Err(BreakerError::Inner("503"))));
    /// assert_eq!(service.call(()).await.unwrap(), "cached"); // open: the fallback answers
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2>(self, fallback: FB2) -> CircuitBreakerLayer<C, FB2> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            classify: self.classify,
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: Some(fallback),
        }
    }

    /// Admits in [`poll_ready`](Service::poll_ready): the service is ready once it holds
    /// a permit for its next request, and readiness fails with [`BreakerError::Open`]
    /// while the circuit refuses (open, or half-open with every probe slot taken), so
    /// that a load balancer sheds the endpoint. A permit held by a ready service that is
    /// dropped before its call is given back; a clone of a ready service is not ready.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::tower::CircuitBreakerLayer;
    /// use staunch::{BreakerError, CircuitBreaker};
    /// use tower_layer::Layer;
    /// use tower_service::Service;
    ///
    /// #[derive(Clone)]
    /// struct Pong;
    /// impl Service<()> for Pong {
    ///     type Response = &'static str;
    ///     type Error = std::io::Error;
    ///     type Future = std::future::Ready<Result<&'static str, std::io::Error>>;
    ///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
    ///         std::task::Poll::Ready(Ok(()))
    ///     }
    ///     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Ok("pong")) }
    /// }
    ///
    /// let breaker = CircuitBreaker::builder("upstream").build()?;
    /// let mut service = CircuitBreakerLayer::new(breaker.clone()).reject_in_poll_ready().layer(Pong);
    /// std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
    /// assert_eq!(service.call(()).await?, "pong");
    ///
    /// breaker.force_open();
    /// let refused = std::future::poll_fn(|cx| service.poll_ready(cx)).await;
    /// assert!(matches!(refused, Err(BreakerError::Open(_))));
    /// # Ok(()) }
    /// ```
    pub fn reject_in_poll_ready(mut self) -> Self {
        self.reject_in_poll_ready = true;
        self
    }
}

impl<S, C: Clone, FB: Clone> Layer<S> for CircuitBreakerLayer<C, FB> {
    type Service = CircuitBreakerService<S, C, FB>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreakerService {
            inner,
            breaker: self.breaker.clone(),
            classify: self.classify.clone(),
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: self.fallback.clone(),
            reserved: None,
        }
    }
}

/// The service made by [`CircuitBreakerLayer`].
///
/// ```
/// use staunch::tower::{CircuitBreakerLayer, CircuitBreakerService};
/// use tower_layer::Layer;
/// let layer = CircuitBreakerLayer::new(staunch::CircuitBreaker::builder("db").build()?);
/// let service: CircuitBreakerService<(), _> = layer.layer(());
/// assert_eq!(service.breaker().name(), "db");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
pub struct CircuitBreakerService<S, C = AllTransient, FB = NoFallback> {
    inner: S,
    breaker: CircuitBreaker,
    classify: C,
    reject_in_poll_ready: bool,
    fallback: Option<FB>,
    /// With `reject_in_poll_ready`: the permit taken by `poll_ready` for the next call.
    reserved: Option<OwnedPermit>,
}

impl<S: Clone, C: Clone, FB: Clone> Clone for CircuitBreakerService<S, C, FB> {
    /// A clone is not ready: it holds no permit of its own.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            breaker: self.breaker.clone(),
            classify: self.classify.clone(),
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: self.fallback.clone(),
            reserved: None,
        }
    }
}

impl<S: fmt::Debug, C: fmt::Debug, FB> fmt::Debug for CircuitBreakerService<S, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerService")
            .field("inner", &self.inner)
            .field("breaker", &self.breaker)
            .field("classify", &self.classify)
            .field("reject_in_poll_ready", &self.reject_in_poll_ready)
            .field("fallback", &self.fallback.is_some())
            .field("reserved", &self.reserved)
            .finish()
    }
}

impl<S, C, FB> CircuitBreakerService<S, C, FB> {
    /// The service of a key's breaker, for one request of a keyed service (admission at
    /// the call: the keyed service's readiness is its own).
    pub(super) fn for_key(
        inner: S,
        breaker: CircuitBreaker,
        classify: C,
        fallback: Option<FB>,
    ) -> Self {
        Self {
            inner,
            breaker,
            classify,
            reject_in_poll_ready: false,
            fallback,
            reserved: None,
        }
    }

    /// The inner service.
    ///
    /// ```
    /// # use staunch::tower::CircuitBreakerLayer;
    /// # use tower_layer::Layer;
    /// let mut service = CircuitBreakerLayer::new(staunch::CircuitBreaker::builder("db").build()?).layer(7_u8);
    /// assert_eq!(*service.get_ref(), 7);
    /// *service.get_mut() = 8;
    /// assert_eq!(service.into_inner(), 8);
    /// # Ok::<(), staunch::ConfigError>(())
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

    /// The inner service, unwrapped (a permit reserved by `poll_ready` is given back).
    ///
    /// See [`get_ref`](Self::get_ref) for an example.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The breaker guarding the service.
    ///
    /// ```
    /// # use staunch::tower::CircuitBreakerLayer;
    /// # use tower_layer::Layer;
    /// let service = CircuitBreakerLayer::new(staunch::CircuitBreaker::builder("db").build()?).layer(());
    /// assert_eq!(service.breaker().failure_count(), 0);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }
}

impl<S, C, FB, Request> Service<Request> for CircuitBreakerService<S, C, FB>
where
    S: Service<Request>,
    C: Classify<S::Error> + Clone,
    FB: Fallback<S::Response, S::Error, BreakerError<S::Error>> + Clone,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = CircuitBreakerFuture<S::Future, C, FB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.reject_in_poll_ready && self.reserved.is_none() {
            // Admission first: an open circuit sheds load without waiting for the inner
            // service. The permit is held while the inner service gets ready.
            self.reserved = Some(
                self.breaker
                    .try_acquire_owned()
                    .map_err(BreakerError::Open)?,
            );
        }
        let ready = ready!(self.inner.poll_ready(cx));
        if ready.is_err() {
            // Nothing will be sent: the slot goes back to the breaker, uncounted.
            self.reserved = None;
        }
        Poll::Ready(ready.map_err(BreakerError::Inner))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Admission before the call, so a refused request never reaches the service: the
        // permit reserved by `poll_ready`, or one taken now.
        let admission = match self.reserved.take() {
            Some(permit) => Ok(permit),
            None => self.breaker.try_acquire_owned(),
        };
        let (admission, future) = match admission {
            Ok(permit) => (Ok(permit), Some(self.inner.call(request))),
            Err(open) => (Err(open), None),
        };
        CircuitBreakerFuture {
            drive: Drive::new(FutureForm {
                admission: Some(admission),
                future,
                classify: self.classify.clone(),
                fallback: self.fallback.clone(),
            }),
        }
    }
}

/// One request through a breaker alone, admitted (or refused) when it was sent.
struct FutureForm<F, C, FB> {
    admission: Option<Result<OwnedPermit, CircuitOpen>>,
    future: Option<F>,
    classify: C,
    fallback: Option<FB>,
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
        drive: Drive<FutureForm<F, C, FB>, F, OwnedPermit>,
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
