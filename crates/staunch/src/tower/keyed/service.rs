//! [`KeyedCircuitBreakerService`]: each request through its key's breaker.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use super::KeyedCircuitBreakerLayer;
use crate::policy::{Fallback, NoFallback};
use crate::tower::{CircuitBreakerFuture, CircuitBreakerService};
use crate::{AllTransient, BreakerError, Classify, KeyedBreakers};

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
    pub(super) inner: S,
    pub(super) layer: KeyedCircuitBreakerLayer<K, F, C, FB>,
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
