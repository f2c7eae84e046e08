//! [`RetryLayer`]: what a retrying service is made of.

use std::fmt;

use tower_layer::Layer;

use super::RetryService;
use crate::classify::{self, When};
#[cfg(doc)]
use crate::policy::Fallback;
use crate::policy::NoFallback;
#[cfg(doc)]
use crate::Classify;
#[cfg(doc)]
use crate::RetryError;
use crate::{AllTransient, Clock, RetryPolicy};

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
#[derive(Clone)]
pub struct RetryLayer<C = AllTransient, FB = NoFallback> {
    pub(super) policy: RetryPolicy,
    pub(super) classify: C,
    pub(super) clock: Clock,
    pub(super) fallback: Option<FB>,
}

impl<C: fmt::Debug, FB> fmt::Debug for RetryLayer<C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer")
            .field("policy", &self.policy)
            .field("classify", &self.classify)
            .field("clock", &self.clock)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
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
            fallback: None,
        }
    }
}

impl<C, FB> RetryLayer<C, FB> {
    /// Retries only errors matching `predicate`.
    ///
    /// ```
    /// let layer = staunch::tower::RetryLayer::new(staunch::RetryPolicy::default())
    ///     .when(staunch::classify::io::is_transient);
    /// # let _ = layer;
    /// ```
    pub fn when<P>(self, predicate: P) -> RetryLayer<When<P>, FB> {
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
    pub fn classify<C2>(self, classifier: C2) -> RetryLayer<C2, FB> {
        RetryLayer {
            policy: self.policy,
            classify: classifier,
            clock: self.clock,
            fallback: self.fallback,
        }
    }

    /// Turns a request's final error into a response, or hands it back: the
    /// [`Fallback`] of [`Retry::fallback`](crate::Retry::fallback), cloned for each
    /// request (a closure holding a cache handle, say). It is handed the [`RetryError`]
    /// the request would fail with, once per request that did not succeed, after the
    /// last attempt; a response it makes is reported with the `fallback used` event.
    /// The service's own `poll_ready` still fails when the inner service's does (there
    /// is no request to answer yet); a readiness error before a later attempt ends the
    /// request as not retryable, and that error goes to the fallback.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use staunch::test_util::FakeClock;
    /// use staunch::tower::RetryLayer;
    /// use staunch::{RetryError, RetryErrorKind, RetryPolicy};
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
    /// let fake = FakeClock::new();
    /// let cached = |err: RetryError<&'static str>| match err.kind() {
    ///     RetryErrorKind::NotRetryable => Err(err), // the request's own fault: no cover-up
    ///     _ => Ok(String::from("cached")),
    /// };
    /// let layer = RetryLayer::new(RetryPolicy::default()).clock(fake.clock()).fallback(cached);
    /// let mut service = layer.layer(Down);
    /// assert_eq!(service.call(()).await.unwrap(), "cached");
    /// assert_eq!(fake.sleeps().len(), 2); // after every attempt
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2>(self, fallback: FB2) -> RetryLayer<C, FB2> {
        RetryLayer {
            policy: self.policy,
            classify: self.classify,
            clock: self.clock,
            fallback: Some(fallback),
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

impl<S, C: Clone, FB: Clone> Layer<S> for RetryLayer<C, FB> {
    type Service = RetryService<S, C, FB>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: self.policy,
            classify: self.classify.clone(),
            clock: self.clock.clone(),
            fallback: self.fallback.clone(),
        }
    }
}
