//! [`CircuitBreakerService`]: admits each request, in `call` or in `poll_ready`.

use std::fmt;
use std::task::{ready, Context, Poll};

use tower_service::Service;

use super::future::FutureForm;
use super::CircuitBreakerFuture;
use crate::breaker::OwnedPermit;
use crate::engine::future::Drive;
use crate::policy::{Fallback, NoFallback};
#[cfg(doc)]
use crate::tower::CircuitBreakerLayer;
use crate::{AllTransient, BreakerError, CircuitBreaker, Classify};

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
    pub(super) inner: S,
    pub(super) breaker: CircuitBreaker,
    pub(super) classify: C,
    pub(super) reject_in_poll_ready: bool,
    pub(super) fallback: Option<FB>,
    /// With `reject_in_poll_ready`: the permit taken by `poll_ready` for the next call.
    pub(super) reserved: Option<OwnedPermit>,
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
    pub(in crate::tower) fn for_key(
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
