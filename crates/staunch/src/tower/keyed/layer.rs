//! [`KeyedCircuitBreakerLayer`]: the keyed breakers, the key function and the options.

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use super::KeyedCircuitBreakerService;
use crate::classify::{self, When};
use crate::policy::NoFallback;
#[cfg(doc)]
use crate::tower::CircuitBreakerLayer;
#[cfg(doc)]
use crate::BreakerError;
#[cfg(doc)]
use crate::Classify;
use crate::{AllTransient, KeyedBreakers};

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
    pub(super) breakers: Arc<KeyedBreakers<K>>,
    pub(super) key: F,
    pub(super) classify: C,
    pub(super) reject_in_poll_ready: bool,
    pub(super) fallback: Option<FB>,
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
    /// [`CircuitBreakerLayer::fallback`] does for
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
