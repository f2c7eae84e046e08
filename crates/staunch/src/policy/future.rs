//! The async policy call: a thin adapter over the engine's async driver.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::fallback::{Fallback, NoFallback};
use super::form::PolicyForm;
use super::{Policy, PolicyError};
use crate::breaker::Permit;
use crate::classify::{self, When};
use crate::engine::future::Drive;
use crate::{AllTransient, Classify};

pin_project! {
    /// An async call under a [`Policy`]; await it. Made by [`Policy::call`].
    ///
    /// Refine it before awaiting: [`when`](Self::when) / [`classify`](Self::classify)
    /// choose what to retry and count, [`fallback`](Self::fallback) turns the final error
    /// into a value. [`BlockingPolicyCall`](super::BlockingPolicyCall) has the same
    /// methods. Dropping the future mid-attempt counts nothing and frees a half-open
    /// probe slot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::time::Duration;
    /// use staunch::{policy::PolicyErrorKind, test_util::FakeClock, Policy};
    ///
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("llm").clock(fake.clock()).build()?;
    /// let err = policy.call(|| async { Err::<(), _>("unavailable") }).await.unwrap_err();
    /// assert_eq!((err.kind(), err.attempts()), (PolicyErrorKind::Exhausted, 3));
    /// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
    /// # Ok(()) }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct PolicyCall<'p, F, Fut, C = AllTransient, FB = NoFallback>
    where
        Fut: Future,
    {
        #[pin]
        drive: Drive<PolicyForm<'p, F, C, FB>, Fut, Permit<'p>>,
    }
}

impl<'p, F, Fut: Future> PolicyCall<'p, F, Fut> {
    #[inline(always)]
    pub(crate) fn new(policy: &'p Policy, make: F) -> Self {
        Self::from_form(PolicyForm {
            policy,
            make,
            classify: AllTransient,
            fallback: None,
        })
    }
}

impl<'p, F, Fut: Future, C, FB> PolicyCall<'p, F, Fut, C, FB> {
    #[inline(always)]
    fn from_form(form: PolicyForm<'p, F, C, FB>) -> Self {
        Self {
            drive: Drive::new(form),
        }
    }
}

impl<'p, F, Fut: Future, C, FB> PolicyCall<'p, F, Fut, C, FB> {
    /// Retries and counts only errors matching `predicate` (the seed's
    /// `exception_types`); others are returned at once, uncounted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::io;
    /// use staunch::{classify, policy::PolicyErrorKind, Policy};
    /// let policy = Policy::builder("db").build()?;
    /// let err = policy
    ///     .call(|| async { Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied)) })
    ///     .when(classify::io::is_transient)
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    /// # Ok(()) }
    /// ```
    pub fn when<P, T, E>(self, predicate: P) -> PolicyCall<'p, F, Fut, When<P>, FB>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.classify(classify::when(predicate))
    }

    /// Classifies errors with a full [`Classify`]: retry or not, count or not, and any
    /// server delay hint (`Retry-After`), which the retry honours up to
    /// `max_delay_hint`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use std::time::Duration;
    /// use staunch::{classify::http::status_verdict, test_util::FakeClock, Policy};
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("llm").clock(fake.clock()).build()?;
    /// let mut replies = vec![Ok("hello"), Err(429)];
    /// let text = policy
    ///     .call(|| { let reply = replies.pop().unwrap(); async move { reply } })
    ///     .classify(|status: &u16| status_verdict(*status).with_delay_hint(Duration::from_secs(7)))
    ///     .await
    ///     .unwrap();
    /// assert_eq!((text, fake.sleeps()), ("hello", vec![Duration::from_secs(7)]));
    /// # Ok(()) }
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> PolicyCall<'p, F, Fut, C2, FB> {
        let mut form = self.drive.into_form();
        let fallback = form.fallback.take();
        PolicyCall::from_form(form.refine(classifier, fallback))
    }

    /// Turns the final error into a value, or hands it back (see
    /// [`Fallback`](super::Fallback)): the seed's cached response.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::Policy;
    /// let policy = Policy::builder("llm").build()?;
    /// policy.breaker().force_open();
    /// let reply = policy
    ///     .call(|| async { Ok::<_, std::io::Error>(String::from("fresh")) })
    ///     .fallback(|err| if err.is_circuit_open() { Ok(String::from("cached")) } else { Err(err) })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(reply, "cached");
    /// # Ok(()) }
    /// ```
    pub fn fallback<FB2, T, E>(self, fallback: FB2) -> PolicyCall<'p, F, Fut, C, FB2>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        FB2: FnOnce(PolicyError<E>) -> Result<T, PolicyError<E>>,
    {
        PolicyCall::from_form(self.drive.into_form().refine_fallback(fallback))
    }
}

impl<F, Fut, T, E, C, FB> Future for PolicyCall<'_, F, Fut, C, FB>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    FB: Fallback<T, E>,
    E: fmt::Debug,
{
    type Output = Result<T, PolicyError<E>>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<F, Fut: Future, C: fmt::Debug, FB> fmt::Debug for PolicyCall<'_, F, Fut, C, FB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = self.drive.form();
        f.debug_struct("PolicyCall")
            .field("policy", &form.policy.name())
            .field("classify", &form.classify)
            .field("phase", &self.drive.phase())
            .finish()
    }
}
