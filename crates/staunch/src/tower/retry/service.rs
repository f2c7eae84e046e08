//! [`RetryService`]: sends each request under the retry, a clone of it per attempt.

use std::fmt;
use std::task::{Context, Poll};

use tower_service::Service;

use super::error::not_ready;
use super::future::ServiceForm;
use super::RetryFuture;
use crate::engine::future::Drive;
use crate::policy::{Fallback, NoFallback};
use crate::tower::take_ready;
#[cfg(doc)]
use crate::tower::RetryLayer;
use crate::{AllTransient, Classify, Clock, RetryError, RetryPolicy};

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
    pub(super) inner: S,
    pub(super) policy: RetryPolicy,
    pub(super) classify: C,
    pub(super) clock: Clock,
    pub(super) fallback: Option<FB>,
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
