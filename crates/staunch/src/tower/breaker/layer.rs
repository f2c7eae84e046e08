//! [`CircuitBreakerLayer`]: what a guarded service is made of.

use std::fmt;

use tower_layer::Layer;

use super::CircuitBreakerService;
use crate::classify::{self, When};
#[cfg(doc)]
use crate::policy::Fallback;
use crate::policy::NoFallback;
#[cfg(doc)]
use crate::BreakerError;
#[cfg(doc)]
use crate::Classify;
use crate::{AllTransient, CircuitBreaker};

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
    pub(super) breaker: CircuitBreaker,
    pub(super) classify: C,
    pub(super) reject_in_poll_ready: bool,
    pub(super) fallback: Option<FB>,
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

    /// Admits in [`poll_ready`](tower_service::Service::poll_ready): the service is ready once it holds
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
