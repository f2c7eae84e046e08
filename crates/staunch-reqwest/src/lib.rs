//! A [`reqwest-middleware`](reqwest_middleware) middleware that runs every request under
//! a [staunch](https://docs.rs/staunch) [`Policy`]: retries with backoff and jitter, a circuit breaker
//! (one for all hosts, or one per host), the server's `Retry-After` or `retry-after-ms`
//! honoured up to the policy's cap, a per-attempt timeout and a retry budget.
//!
//! Users of `reqwest-retry` switch in one line, and gain the breaker:
//!
//! ```
//! use staunch::Policy;
//! use staunch_reqwest::PolicyMiddleware;
//!
//! # fn main() -> Result<(), staunch::ConfigError> {
//! let policy = Policy::builder("api").max_attempts(3).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     // was: .with(RetryTransientMiddleware::new_with_policy(retry_policy))
//!     .with(PolicyMiddleware::new(policy))
//!     .build();
//! # let _ = client;
//! # Ok(()) }
//! ```
//!
//! # What is retried, what is counted
//!
//! [`classify::reqwest`] decides: a refused, reset or timed
//! out request, 408, 429, 500, 502, 503 and 504 are retried and counted; other 5xx are
//! counted only; 4xx and successes are neither. The last answer is returned as it is,
//! error status included, when the attempts run out, as `reqwest-retry` does; a request
//! that never got an answer returns the client's last error. A request the policy
//! refused before sending it (the circuit is open, the budget is spent) fails with a
//! middleware error holding a [`CircuitOpen`](staunch::CircuitOpen) or a [`Rejected`].
//!
//! A request whose body cannot be cloned (a stream) is sent once: its outcome still
//! counts for the breaker.
//!
//! # One breaker per host
//!
//! [`PolicyMiddleware::per_host`] gives each host its own breaker from a template,
//! bounded in number by [`KeyedBreakers`]: one host down opens its own circuit, the
//! others' calls go on.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};
use staunch::classify;
use staunch::{KeyedBreakers, Policy, PolicyError, PolicyErrorKind, Verdict};

/// Runs each request under a staunch [`Policy`]; see the [crate docs](crate).
///
/// ```
/// let middleware = staunch_reqwest::PolicyMiddleware::new(staunch::Policy::builder("api").build()?);
/// assert_eq!(middleware.policy().name(), "api");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PolicyMiddleware {
    policy: Policy,
    hosts: Option<Arc<KeyedBreakers<String>>>,
}

impl PolicyMiddleware {
    /// Every request under `policy`, and its one breaker.
    ///
    /// See [`PolicyMiddleware`] for an example.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            hosts: None,
        }
    }

    /// Every request under `policy`'s retry, timeout and budget, with the breaker of its
    /// host from `hosts`.
    ///
    /// ```
    /// use staunch::{CircuitBreaker, KeyedBreakers, Policy};
    /// let hosts = KeyedBreakers::new(CircuitBreaker::builder("host").failure_threshold(3), 100)?;
    /// let middleware = staunch_reqwest::PolicyMiddleware::per_host(Policy::builder("api").build()?, hosts);
    /// assert_eq!(middleware.breaker_for("api.example.com").name(), "host:api.example.com");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn per_host(policy: Policy, hosts: KeyedBreakers<String>) -> Self {
        Self {
            policy,
            hosts: Some(Arc::new(hosts)),
        }
    }

    /// The policy requests run under (with its own breaker when not keyed per host).
    ///
    /// See [`PolicyMiddleware`] for an example.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The breaker that guards requests to `host`.
    ///
    /// ```
    /// let middleware = staunch_reqwest::PolicyMiddleware::new(staunch::Policy::builder("api").build()?);
    /// assert_eq!(middleware.breaker_for("anywhere").name(), "api");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn breaker_for(&self, host: &str) -> staunch::CircuitBreaker {
        match &self.hosts {
            Some(hosts) => hosts.get(&host.to_owned()),
            None => self.policy.breaker().clone(),
        }
    }

    fn policy_for(&self, request: &Request) -> reqwest_middleware::Result<Policy> {
        let Some(hosts) = &self.hosts else {
            return Ok(self.policy.clone());
        };
        let host = request.url().host_str().unwrap_or_default().to_owned();
        let breaker = hosts.get(&host);
        self.policy
            .to_builder()
            .breaker(breaker)
            .build()
            .map_err(reqwest_middleware::Error::middleware)
    }
}

/// What one attempt ended with, short of a success.
enum Attempt {
    /// No answer.
    Failed(reqwest_middleware::Error),
    /// An answer with an error status, kept to be returned if it is the last.
    Status(Response, Verdict),
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attempt::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
            Attempt::Status(r, _) => f.debug_tuple("Status").field(&r.status()).finish(),
        }
    }
}

fn verdict(attempt: &Attempt) -> Verdict {
    match attempt {
        Attempt::Failed(reqwest_middleware::Error::Reqwest(e)) => classify::reqwest::verdict(e),
        Attempt::Failed(reqwest_middleware::Error::Middleware(_)) => Verdict::FATAL,
        Attempt::Status(_, verdict) => *verdict,
    }
}

#[async_trait::async_trait]
impl Middleware for PolicyMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let policy = self.policy_for(&request)?;
        let cloneable = request.try_clone().is_some();
        let mut original = Some(request);
        let result = policy
            .call(|| {
                let request = match &original {
                    Some(r) if cloneable => r.try_clone(),
                    _ => original.take(),
                };
                let next = next.clone();
                let mut extensions = extensions.clone();
                async move {
                    let request = request.ok_or_else(body_not_cloneable)?;
                    let response = next
                        .run(request, &mut extensions)
                        .await
                        .map_err(Attempt::Failed)?;
                    match classify::reqwest::response_verdict(&response) {
                        None => Ok(response),
                        Some(verdict) => Err(Attempt::Status(response, verdict)),
                    }
                }
            })
            .classify(move |attempt: &Attempt| {
                let verdict = verdict(attempt);
                if cloneable {
                    verdict
                } else {
                    Verdict::new(false, verdict.counts_as_failure())
                }
            })
            .await;
        result.or_else(finish)
    }
}

/// A request that cannot be cloned is tried once: the classifier never asks for more,
/// so this error is never seen.
fn body_not_cloneable() -> Attempt {
    Attempt::Failed(reqwest_middleware::Error::middleware(Rejected {
        kind: PolicyErrorKind::NotRetryable,
        message: "the request body cannot be cloned for another attempt".to_owned(),
        retry_after: None,
    }))
}

/// The caller's answer when the policy gave up: the last answer, the last error, or
/// why no request was sent.
fn finish(error: PolicyError<Attempt>) -> reqwest_middleware::Result<Response> {
    if let Some(open) = error.circuit_open().cloned() {
        if error.last_error().is_none() {
            return Err(reqwest_middleware::Error::middleware(open));
        }
    }
    let kind = error.kind();
    let message = error.to_string();
    let retry_after = error.retry_after();
    match error.into_inner() {
        Some(Attempt::Status(response, _)) => Ok(response),
        Some(Attempt::Failed(e)) => Err(e),
        None => Err(reqwest_middleware::Error::middleware(Rejected {
            kind,
            message,
            retry_after,
        })),
    }
}

/// The policy refused to send a request for a reason other than an open circuit (which
/// fails with [`CircuitOpen`](staunch::CircuitOpen)): the retry budget or the deadline.
///
/// ```
/// use staunch::{test_util::FakeClock, Policy};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = Policy::builder("api").failure_threshold(1).clock(FakeClock::new().clock()).build()?;
/// policy.breaker().force_open();
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(staunch_reqwest::PolicyMiddleware::new(policy))
///     .build();
/// let error = client.get("http://127.0.0.1:1/").send().await.unwrap_err();
/// let reqwest_middleware::Error::Middleware(error) = error else { panic!() };
/// assert!(error.downcast_ref::<staunch::CircuitOpen>().is_some());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Rejected {
    kind: PolicyErrorKind,
    message: String,
    retry_after: Option<Duration>,
}

impl Rejected {
    /// Which layer of the policy refused.
    ///
    /// See [`Rejected`] for an example.
    pub fn kind(&self) -> PolicyErrorKind {
        self.kind
    }

    /// When a new request may succeed, if the policy knows.
    ///
    /// See [`Rejected`] for an example.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rejected {}
