//! [`KeyedCircuitBreakerLayer`]: one breaker per key of the request (host, model,
//! tenant), from the registry's bounded [`KeyedBreakers`].
//!
//! Each request is sent through the [`CircuitBreakerService`] of its key's breaker, so
//! the response future, the classification and what a dropped future or a refusal means
//! are those of [`CircuitBreakerLayer`](super::CircuitBreakerLayer): only the choice of
//! breaker is added. With [`reject_in_poll_ready`](KeyedCircuitBreakerLayer::reject_in_poll_ready),
//! readiness also fails while every request would be refused: a load balancer then sees
//! the endpoint as unavailable instead of sending it requests that fail at once.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::{CircuitBreakerFuture, CircuitBreakerService};
use crate::classify::{self, When};
use crate::policy::{Fallback, NoFallback};
use crate::{AllTransient, BreakerError, Classify, KeyedBreakers};

/// Guards a service with one breaker per key of the request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use staunch::tower::KeyedCircuitBreakerLayer;
/// use staunch::{BreakerError, CircuitBreaker, KeyedBreakers};
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// /// Fails for host "down", answers for the others.
/// #[derive(Clone)]
/// struct Hosts;
/// impl Service<&'static str> for Hosts {
///     type Response = ();
///     type Error = &'static str;
///     type Future = std::future::Ready<Result<(), &'static str>>;
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, host: &'static str) -> Self::Future {
///         std::future::ready(if host == "down" { Err("503") } else { Ok(()) })
///     }
/// }
///
/// let hosts = KeyedBreakers::new(CircuitBreaker::builder("host").failure_threshold(1), 100)?;
/// let mut service = KeyedCircuitBreakerLayer::new(hosts, |host: &&'static str| host.to_string()).layer(Hosts);
/// assert!(matches!(service.call("down").await, Err(BreakerError::Inner("503"))));
/// assert!(matches!(service.call("down").await, Err(BreakerError::Open(_))));
/// assert!(service.call("up").await.is_ok()); // another host, another breaker
/// # Ok(()) }
/// ```
pub struct KeyedCircuitBreakerLayer<K, F, C = AllTransient, FB = NoFallback> {
    breakers: Arc<KeyedBreakers<K>>,
    key: F,
    classify: C,
    reject_in_poll_ready: bool,
    fallback: Option<FB>,
}

impl<K, F> KeyedCircuitBreakerLayer<K, F> {
    /// A layer taking the breaker of `key(&request)` from `breakers`, counting every
    /// error of the service as a failure.
    ///
    /// See [`KeyedCircuitBreakerLayer`] for an example.
    pub fn new(breakers: KeyedBreakers<K>, key: F) -> Self {
        Self::shared(Arc::new(breakers), key)
    }

    /// Like [`new`](Self::new), with breakers shared with other layers or with a
    /// dashboard.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use staunch::{tower::KeyedCircuitBreakerLayer, CircuitBreaker, KeyedBreakers};
    /// let models = Arc::new(KeyedBreakers::<String>::new(CircuitBreaker::builder("model"), 32)?);
    /// let layer = KeyedCircuitBreakerLayer::shared(Arc::clone(&models), |model: &String| model.clone());
    /// assert!(Arc::ptr_eq(layer.breakers(), &models));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn shared(breakers: Arc<KeyedBreakers<K>>, key: F) -> Self {
        Self {
            breakers,
            key,
            classify: AllTransient,
            reject_in_poll_ready: false,
            fallback: None,
        }
    }
}

impl<K, F, C, FB> KeyedCircuitBreakerLayer<K, F, C, FB> {
    /// Counts only errors matching `predicate`; the others pass through uncounted.
    ///
    /// ```
    /// use staunch::{tower::KeyedCircuitBreakerLayer, CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::<String>::new(CircuitBreaker::builder("host"), 100)?;
    /// let layer = KeyedCircuitBreakerLayer::new(hosts, |host: &String| host.clone())
    ///     .when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
    /// # let _ = layer;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn when<P>(self, predicate: P) -> KeyedCircuitBreakerLayer<K, F, When<P>, FB> {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`].
    ///
    /// ```
    /// use staunch::{classify::http::status_verdict, tower::KeyedCircuitBreakerLayer};
    /// use staunch::{CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::<String>::new(CircuitBreaker::builder("host"), 100)?;
    /// let layer = KeyedCircuitBreakerLayer::new(hosts, |host: &String| host.clone())
    ///     .classify(|status: &u16| status_verdict(*status));
    /// # let _ = layer;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> KeyedCircuitBreakerLayer<K, F, C2, FB> {
        KeyedCircuitBreakerLayer {
            breakers: self.breakers,
            key: self.key,
            classify: classifier,
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: self.fallback,
        }
    }

    /// Turns a request's final error into a response, or hands it back, as
    /// [`CircuitBreakerLayer::fallback`](super::CircuitBreakerLayer::fallback) does for
    /// one breaker: cloned for each request,
    /// handed the refusal of the key's breaker or the classified error of the inner
    /// service.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::{tower::KeyedCircuitBreakerLayer, BreakerError, CircuitBreaker, KeyedBreakers};
    /// use tower_layer::Layer;
    /// use tower_service::Service;
    ///
    /// #[derive(Clone)]
    /// struct Down;
    /// impl Service<String> for Down {
    ///     type Response = String;
    ///     type Error = &'static str;
    ///     type Future = std::future::Ready<Result<String, &'static str>>;
    ///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
    ///         std::task::Poll::Ready(Ok(()))
    ///     }
    ///     fn call(&mut self, _: String) -> Self::Future { std::future::ready(Err("503")) }
    /// }
    ///
    /// let models = KeyedBreakers::<String>::new(CircuitBreaker::builder("model"), 32)?;
    /// models.get(&"large".to_owned()).force_open();
    /// let mut service = KeyedCircuitBreakerLayer::new(models, |model: &String| model.clone())
    ///     .fallback(|err: BreakerError<&'static str>| match err {
    ///         BreakerError::Open(_) => Ok(String::from("small model's answer")),
    ///         err => Err(err),
    ///     })
    ///     .layer(Down);
    /// assert_eq!(service.call("large".to_owned()).await.unwrap(), "small model's answer");
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2>(self, fallback: FB2) -> KeyedCircuitBreakerLayer<K, F, C, FB2> {
        KeyedCircuitBreakerLayer {
            breakers: self.breakers,
            key: self.key,
            classify: self.classify,
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: Some(fallback),
        }
    }

    /// Fails readiness with [`BreakerError::Open`] while every breaker the service has
    /// used is open and refusing, so that a load balancer (which drops an endpoint whose
    /// readiness fails until discovery adds it back) stops sending it requests. A
    /// breaker whose open period has passed is not refusing: its probe goes through.
    /// Each readiness check then reads the state of every key's breaker.
    ///
    /// ```
    /// use staunch::{tower::KeyedCircuitBreakerLayer, CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::<String>::new(CircuitBreaker::builder("host"), 100)?;
    /// let layer = KeyedCircuitBreakerLayer::new(hosts, |host: &String| host.clone()).reject_in_poll_ready();
    /// # let _ = layer;
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn reject_in_poll_ready(mut self) -> Self {
        self.reject_in_poll_ready = true;
        self
    }

    /// The keyed breakers.
    ///
    /// See [`shared`](KeyedCircuitBreakerLayer::shared) for an example.
    pub fn breakers(&self) -> &Arc<KeyedBreakers<K>> {
        &self.breakers
    }
}

impl<K, F: Clone, C: Clone, FB: Clone> Clone for KeyedCircuitBreakerLayer<K, F, C, FB> {
    fn clone(&self) -> Self {
        Self {
            breakers: Arc::clone(&self.breakers),
            key: self.key.clone(),
            classify: self.classify.clone(),
            reject_in_poll_ready: self.reject_in_poll_ready,
            fallback: self.fallback.clone(),
        }
    }
}

impl<K, F, C: fmt::Debug, FB> fmt::Debug for KeyedCircuitBreakerLayer<K, F, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCircuitBreakerLayer")
            .field("classify", &self.classify)
            .field("reject_in_poll_ready", &self.reject_in_poll_ready)
            .field("fallback", &self.fallback.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, K, F: Clone, C: Clone, FB: Clone> Layer<S> for KeyedCircuitBreakerLayer<K, F, C, FB> {
    type Service = KeyedCircuitBreakerService<S, K, F, C, FB>;

    fn layer(&self, inner: S) -> Self::Service {
        KeyedCircuitBreakerService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`KeyedCircuitBreakerLayer`].
///
/// ```
/// use staunch::{tower::KeyedCircuitBreakerLayer, CircuitBreaker, KeyedBreakers};
/// use tower_layer::Layer;
/// let hosts = KeyedBreakers::<String>::new(CircuitBreaker::builder("host"), 100)?;
/// let mut service = KeyedCircuitBreakerLayer::new(hosts, |host: &String| host.clone()).layer(7_u8);
/// assert_eq!(*service.get_ref(), 7);
/// *service.get_mut() = 8;
/// assert_eq!(service.into_inner(), 8);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
pub struct KeyedCircuitBreakerService<S, K, F, C = AllTransient, FB = NoFallback> {
    inner: S,
    layer: KeyedCircuitBreakerLayer<K, F, C, FB>,
}

impl<S, K, F, C, FB> KeyedCircuitBreakerService<S, K, F, C, FB> {
    /// The inner service.
    ///
    /// See [`KeyedCircuitBreakerService`] for an example.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    ///
    /// See [`KeyedCircuitBreakerService`] for an example.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    ///
    /// See [`KeyedCircuitBreakerService`] for an example.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The keyed breakers.
    ///
    /// See [`KeyedCircuitBreakerLayer::shared`] for an example.
    pub fn breakers(&self) -> &Arc<KeyedBreakers<K>> {
        &self.layer.breakers
    }
}

impl<S: Clone, K, F: Clone, C: Clone, FB: Clone> Clone
    for KeyedCircuitBreakerService<S, K, F, C, FB>
{
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, K, F, C: fmt::Debug, FB> fmt::Debug
    for KeyedCircuitBreakerService<S, K, F, C, FB>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedCircuitBreakerService")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, K, F, C, FB, Request> Service<Request> for KeyedCircuitBreakerService<S, K, F, C, FB>
where
    S: Service<Request>,
    K: Eq + Hash + Clone + fmt::Display,
    F: Fn(&Request) -> K,
    C: Classify<S::Error> + Clone,
    FB: Fallback<S::Response, S::Error, BreakerError<S::Error>> + Clone,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = CircuitBreakerFuture<S::Future, C, FB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.layer.reject_in_poll_ready {
            if let Some(open) = self.layer.breakers.all_refusing() {
                return Poll::Ready(Err(BreakerError::Open(open)));
            }
        }
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let breaker = self.layer.breakers.get(&(self.layer.key)(&request));
        // The breaker's own service around the ready inner service, for this request.
        let mut service = CircuitBreakerService::for_key(
            &mut self.inner,
            breaker,
            self.layer.classify.clone(),
            self.layer.fallback.clone(),
        );
        service.call(request)
    }
}
