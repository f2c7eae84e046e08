//! [`PolicyLayer`]: what a service under a policy is made of.

use std::fmt;

use tower_layer::Layer;

use super::PolicyService;
use crate::classify::{self, When};
#[cfg(doc)]
use crate::policy::Fallback;
use crate::policy::NoFallback;
#[cfg(doc)]
use crate::Classify;
#[cfg(doc)]
use crate::PolicyError;
use crate::{AllTransient, Policy};

/// Runs every request under a [`Policy`]: the same engine, rules and events as
/// [`Policy::call`]. Requests and the inner service must be `Clone`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use staunch::test_util::FakeClock;
/// use staunch::tower::PolicyLayer;
/// use staunch::Policy;
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
/// let fake = FakeClock::new();
/// let policy = Policy::builder("upstream").failure_threshold(1).clock(fake.clock()).build()?;
/// let mut service = PolicyLayer::new(policy).layer(Down);
/// let err = service.call(()).await.unwrap_err();
/// assert!(err.is_circuit_open()); // the failure opened the circuit: no sleep into it
/// assert_eq!(err.last_error(), Some(&"503"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PolicyLayer<C = AllTransient, FB = NoFallback> {
    pub(super) policy: Policy,
    pub(super) classify: C,
    pub(super) fallback: Option<FB>,
}

impl<C: fmt::Debug, FB> fmt::Debug for PolicyLayer<C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyLayer")
            .field("policy", &self.policy)
            .field("classify", &self.classify)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl PolicyLayer {
    /// A layer running requests under `policy`, every error transient.
    ///
    /// ```
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::database().clone());
    /// # let _ = layer;
    /// ```
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            classify: AllTransient,
            fallback: None,
        }
    }
}

impl<C, FB> PolicyLayer<C, FB> {
    /// Retries and counts only errors matching `predicate`.
    ///
    /// ```
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::mcp().clone())
    ///     .when(staunch::classify::io::is_transient);
    /// # let _ = layer;
    /// ```
    pub fn when<P>(self, predicate: P) -> PolicyLayer<When<P>, FB> {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`] (delay hints included).
    ///
    /// ```
    /// use staunch::classify::http::status_verdict;
    /// let layer = staunch::tower::PolicyLayer::new(staunch::Policy::llm().clone())
    ///     .classify(|status: &u16| status_verdict(*status));
    /// # let _ = layer;
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> PolicyLayer<C2, FB> {
        PolicyLayer {
            policy: self.policy,
            classify: classifier,
            fallback: self.fallback,
        }
    }

    /// Turns a request's final error into a response, or hands it back: the
    /// [`Fallback`] of [`PolicyCall::fallback`](crate::policy::PolicyCall::fallback),
    /// cloned for each request (a closure holding a cache handle, say). It is handed the
    /// [`PolicyError`] the request would fail with (an open circuit, exhaustion, an
    /// empty budget, a timeout, a request's own mistake), once per request that did not
    /// succeed; a response it makes is reported with the `fallback used` event.
    /// The service's own `poll_ready` still fails when the inner service's does (there
    /// is no request to answer yet); a readiness error before a later attempt ends the
    /// request as not retryable, and that error goes to the fallback.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::test_util::FakeClock;
    /// use staunch::tower::PolicyLayer;
    /// use staunch::{Policy, PolicyError, PolicyErrorKind};
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
    /// let policy = Policy::builder("upstream").clock(FakeClock::new().clock()).build()?;
    /// let cached = |err: PolicyError<&'static str>| match err.kind() {
    ///     PolicyErrorKind::NotRetryable => Err(err), // the request's own fault: no cover-up
    ///     _ => Ok(String::from("cached")),
    /// };
    /// let mut service = PolicyLayer::new(policy).fallback(cached).layer(Down);
    /// assert_eq!(service.call(()).await.unwrap(), "cached");
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2>(self, fallback: FB2) -> PolicyLayer<C, FB2> {
        PolicyLayer {
            policy: self.policy,
            classify: self.classify,
            fallback: Some(fallback),
        }
    }
}

impl<S, C: Clone, FB: Clone> Layer<S> for PolicyLayer<C, FB> {
    type Service = PolicyService<S, C, FB>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService {
            inner,
            policy: self.policy.clone(),
            classify: self.classify.clone(),
            fallback: self.fallback.clone(),
        }
    }
}
