//! [`PolicyService`]: sends each request under the policy, a clone of it per attempt.

use std::fmt;
use std::task::{Context, Poll};

use tower_service::Service;

use super::error::not_ready;
use super::future::ServiceForm;
use super::PolicyFuture;
use crate::engine::future::Drive;
use crate::policy::{Fallback, NoFallback};
use crate::tower::take_ready;
#[cfg(doc)]
use crate::tower::PolicyLayer;
use crate::{AllTransient, Classify, Policy, PolicyError};

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
    pub(super) inner: S,
    pub(super) policy: Policy,
    pub(super) classify: C,
    pub(super) fallback: Option<FB>,
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
