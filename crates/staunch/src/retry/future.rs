//! The async retry: a thin adapter over the engine's async driver, a call without a
//! breaker.

use std::borrow::Borrow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::form::RetryForm;
use super::hooks::{AcceptOk, NoNotify, Notify, RetryOk, Retrying};
use super::{RetryError, RetryPolicy};
use crate::classify::{self, When};
use crate::engine::future::Drive;
use crate::engine::table::NoBreaker;
use crate::policy::{Fallback, NoFallback};
use crate::{AllTransient, Classify, Clock, SystemClock};

pin_project! {
    /// A retried async call; await it. Made by [`Retryable::retry`](super::Retryable::retry)
    /// or [`RetryPolicy::call`].
    ///
    /// Refine it before awaiting: [`when`](Self::when) / [`classify`](Self::classify)
    /// choose what to retry, [`when_ok`](Self::when_ok) retries on some `Ok` values,
    /// [`notify`](Self::notify) adds a hook before each sleep, [`fallback`](Self::fallback)
    /// turns the final error into a value, [`clock`](Self::clock) swaps the clock. [`BlockingRetry`](super::BlockingRetry) has the same methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use staunch::test_util::FakeClock;
    /// use staunch::{RetryPolicy, Retryable};
    ///
    /// let fake = FakeClock::new();
    /// let err = (|| async { Err::<(), _>("unavailable") })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.attempts(), 3);
    /// assert_eq!(fake.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Retry<F, Fut, C = AllTransient, O = AcceptOk, N = NoNotify, FB = NoFallback, R = RetryPolicy, K = SystemClock>
    where
        Fut: Future,
    {
        #[pin]
        drive: Drive<RetryForm<F, C, O, N, FB, R, K>, Fut, NoBreaker>,
    }
}

impl<F, Fut: Future, R: Borrow<RetryPolicy>>
    Retry<F, Fut, AllTransient, AcceptOk, NoNotify, NoFallback, R>
{
    #[inline]
    pub(crate) fn new(make: F, policy: R) -> Self {
        Self::of(RetryForm::new(make, policy))
    }
}

impl<F, Fut: Future, C, O, N, FB, R: Borrow<RetryPolicy>, K> Retry<F, Fut, C, O, N, FB, R, K> {
    /// The retry of `form`.
    #[inline]
    fn of(form: RetryForm<F, C, O, N, FB, R, K>) -> Self {
        Self {
            drive: Drive::new(form),
        }
    }

    #[inline]
    fn with_form<C2, O2, N2, FB2>(
        self,
        refine: impl FnOnce(RetryForm<F, C, O, N, FB, R, K>) -> RetryForm<F, C2, O2, N2, FB2, R, K>,
    ) -> Retry<F, Fut, C2, O2, N2, FB2, R, K> {
        Retry::of(refine(self.drive.into_form()))
    }

    /// Retries only errors matching `predicate` (the seed's `exception_types`); any
    /// other error is returned at once as [`RetryErrorKind::NotRetryable`](super::RetryErrorKind).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::io;
    /// use staunch::{RetryErrorKind, RetryPolicy, Retryable};
    /// let err = (|| async { Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied)) })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .when(staunch::classify::io::is_transient)
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::NotRetryable);
    /// # }
    /// ```
    pub fn when<P, T, E>(self, predicate: P) -> Retry<F, Fut, When<P>, O, N, FB, R, K>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: Fn(&E) -> bool,
    {
        self.classify(classify::when(predicate))
    }

    /// Chooses what to retry with a full classifier, which may also carry a server delay
    /// hint (see [`Verdict::with_delay_hint`](crate::Verdict::with_delay_hint)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::{classify, RetryErrorKind, RetryPolicy, Retryable};
    /// let err = (|| async { Err::<(), u16>(404) })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .classify(|status: &u16| classify::http::status_verdict(*status))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::NotRetryable);
    /// # }
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> Retry<F, Fut, C2, O, N, FB, R, K> {
        self.with_form(|f| f.refine(|_, o, n, fb| (classifier, o, n, fb)))
    }

    /// Also retries when an `Ok` value matches `predicate`; when attempts run out the
    /// last value is returned as `Ok`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::test_util::FakeClock;
    /// use staunch::{RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let mut pages = vec![vec![1, 2], vec![], vec![]];
    /// let page = (|| { let page = pages.pop().unwrap(); async move { Ok::<_, ()>(page) } })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .when_ok(|page: &Vec<i32>| page.is_empty())
    ///     .clock(fake.clock())
    ///     .await
    ///     .unwrap();
    /// assert_eq!(page, [1, 2]);
    /// # }
    /// ```
    pub fn when_ok<P, T, E>(self, predicate: P) -> Retry<F, Fut, C, P, N, FB, R, K>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        P: FnMut(&T) -> bool,
    {
        self.with_form(|f| f.refine(|c, _, n, fb| (c, predicate, n, fb)))
    }

    /// Calls `hook` before each sleep with the attempt number, the delay and the outcome.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::test_util::FakeClock;
    /// use staunch::{RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let mut log = Vec::new();
    /// let _ = (|| async { Err::<(), _>("busy") })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .notify(|r| log.push(format!("attempt {} failed ({:?}), next in {:?}", r.attempt(), r.error(), r.delay())))
    ///     .clock(fake.clock())
    ///     .await;
    /// assert_eq!(log[0], "attempt 1 failed (Some(\"busy\")), next in 1s");
    /// # }
    /// ```
    pub fn notify<H, T, E>(self, hook: H) -> Retry<F, Fut, C, O, H, FB, R, K>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        H: FnMut(&Retrying<'_, T, E>),
    {
        self.with_form(|f| f.refine(|c, o, _, fb| (c, o, hook, fb)))
    }

    /// Turns the final error into a value, or hands it back (see
    /// [`Fallback`](crate::policy::Fallback)): a cached or default answer once the
    /// retries are spent. A value that [`when_ok`](Self::when_ok) kept rejecting is
    /// returned as before, without the fallback.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use staunch::{test_util::FakeClock, RetryErrorKind, RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let reply = (|| async { Err::<&str, _>("unavailable") })
    ///     .retry(RetryPolicy::retry_on_exception())
    ///     .fallback(|err| if err.kind() == RetryErrorKind::Exhausted { Ok("cached") } else { Err(err) })
    ///     .clock(fake.clock())
    ///     .await;
    /// assert_eq!(reply, Ok("cached"));
    /// assert_eq!(fake.sleeps().len(), 2); // every attempt was made first
    /// # }
    /// ```
    pub fn fallback<FB2, T, E>(self, fallback: FB2) -> Retry<F, Fut, C, O, N, FB2, R, K>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        FB2: FnOnce(RetryError<E>) -> Result<T, RetryError<E>>,
    {
        self.with_form(|f| f.refine(|c, o, n, _| (c, o, n, Some(fallback))))
    }

    /// Reads time and sleeps on `clock` (default: the system clock, [`SystemClock`], which
    /// the future carries no room for).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// use staunch::{test_util::FakeClock, RetryPolicy, Retryable};
    /// let fake = FakeClock::new();
    /// let _ = (|| async { Err::<(), _>(()) }).retry(RetryPolicy::retry_with_jitter()).clock(fake.clock()).await;
    /// assert_eq!(fake.sleeps().len(), 4);
    /// # }
    /// ```
    pub fn clock(self, clock: Clock) -> Retry<F, Fut, C, O, N, FB, R, Clock> {
        Retry::of(self.drive.into_form().on_clock(clock))
    }
}

impl<F, Fut, T, E, C, O, N, FB, R, K> Future for Retry<F, Fut, C, O, N, FB, R, K>
where
    R: Borrow<RetryPolicy>,
    K: Borrow<Clock>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Classify<E>,
    O: RetryOk<T>,
    N: Notify<T, E>,
    FB: Fallback<T, E, RetryError<E>>,
    E: fmt::Debug,
{
    type Output = Result<T, RetryError<E>>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().drive.poll(cx)
    }
}

impl<
        F,
        Fut: Future,
        C: fmt::Debug,
        O: fmt::Debug,
        N: fmt::Debug,
        FB,
        R: Borrow<RetryPolicy>,
        K,
    > fmt::Debug for Retry<F, Fut, C, O, N, FB, R, K>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = self.drive.form();
        f.debug_struct("Retry")
            .field("policy", form.policy())
            .field("classify", &form.classify)
            .field("phase", &self.drive.phase())
            .finish()
    }
}
