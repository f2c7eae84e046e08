//! The blocking retry: the async API's twin, name for name, ended by `call()`.

use std::borrow::Borrow;
use std::fmt;

use super::form::RetryForm;
use super::hooks::{AcceptOk, NoNotify, Notify, RetryOk, Retrying};
use super::{RetryError, RetryPolicy};
use crate::classify::{self, When};
use crate::engine;
use crate::policy::{Fallback, NoFallback};
use crate::{AllTransient, Classify, Clock, SystemClock};

/// A retried blocking call; run it with [`call`](Self::call). Made by
/// [`BlockingRetryable::retry_blocking`](super::BlockingRetryable::retry_blocking).
///
/// Same refinements as the async [`Retry`](super::Retry): `when`, `classify`, `when_ok`,
/// `notify`, `fallback`, `clock`. Sleeps with [`Clock::sleep_blocking`], so no async runtime is needed.
///
/// ```
/// use std::time::Duration;
/// use staunch::test_util::FakeClock;
/// use staunch::{BlockingRetryable, RetryPolicy};
///
/// let fake = FakeClock::new();
/// let mut calls = 0;
/// let value = (|| { calls += 1; if calls < 3 { Err("busy") } else { Ok(calls) } })
///     .retry_blocking(RetryPolicy::retry_on_exception())
///     .clock(fake.clock())
///     .call()
///     .unwrap();
/// assert_eq!(value, 3);
/// assert_eq!(fake.total_slept(), Duration::from_secs(3));
/// ```
#[must_use = "a blocking retry does nothing until `call()`"]
pub struct BlockingRetry<
    F,
    C = AllTransient,
    O = AcceptOk,
    N = NoNotify,
    FB = NoFallback,
    R = RetryPolicy,
    K = SystemClock,
> {
    form: RetryForm<F, C, O, N, FB, R, K>,
}

impl<F, R> BlockingRetry<F, AllTransient, AcceptOk, NoNotify, NoFallback, R> {
    pub(crate) fn new(make: F, policy: R) -> Self {
        Self {
            form: RetryForm::new(make, policy),
        }
    }
}

impl<F, C, O, N, FB, R: Borrow<RetryPolicy>, K> BlockingRetry<F, C, O, N, FB, R, K> {
    /// Retries only errors matching `predicate`; others return at once.
    ///
    /// ```
    /// use std::io;
    /// use staunch::{BlockingRetryable, RetryErrorKind, RetryPolicy};
    /// let mut calls = 0;
    /// let err = (|| { calls += 1; Err::<(), _>(io::Error::from(io::ErrorKind::NotFound)) })
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .when(staunch::classify::io::is_transient)
    ///     .call()
    ///     .unwrap_err();
    /// assert_eq!((err.kind(), calls), (RetryErrorKind::NotRetryable, 1));
    /// ```
    pub fn when<P, T, E>(self, predicate: P) -> BlockingRetry<F, When<P>, O, N, FB, R, K>
    where
        F: FnMut() -> Result<T, E>,
        P: Fn(&E) -> bool,
    {
        self.classify(classify::when(predicate))
    }

    /// Chooses what to retry with a full classifier (verdicts may carry delay hints).
    ///
    /// ```
    /// use staunch::{BlockingRetryable, RetryErrorKind, RetryPolicy, Verdict};
    /// let err = (|| Err::<(), _>("corrupt"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .classify(|_: &&str| Verdict::FATAL)
    ///     .call()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::NotRetryable);
    /// ```
    pub fn classify<C2>(self, classifier: C2) -> BlockingRetry<F, C2, O, N, FB, R, K> {
        BlockingRetry {
            form: self.form.refine(|_, o, n, fb| (classifier, o, n, fb)),
        }
    }

    /// Also retries when an `Ok` value matches `predicate`; when attempts run out the
    /// last value is returned as `Ok`.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// let fake = FakeClock::new();
    /// let status = (|| Ok::<_, ()>("pending"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .when_ok(|s: &&str| *s == "pending")
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(status, Ok("pending"));
    /// assert_eq!(fake.sleeps().len(), 2);
    /// ```
    pub fn when_ok<P, T, E>(self, predicate: P) -> BlockingRetry<F, C, P, N, FB, R, K>
    where
        F: FnMut() -> Result<T, E>,
        P: FnMut(&T) -> bool,
    {
        BlockingRetry {
            form: self.form.refine(|c, _, n, fb| (c, predicate, n, fb)),
        }
    }

    /// Calls `hook` before each sleep with the attempt number, the delay and the outcome.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// let fake = FakeClock::new();
    /// let mut delays = Vec::new();
    /// let _ = (|| Err::<(), _>("busy"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| delays.push(r.delay().as_secs()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(delays, [1, 2]);
    /// ```
    pub fn notify<H, T, E>(self, hook: H) -> BlockingRetry<F, C, O, H, FB, R, K>
    where
        F: FnMut() -> Result<T, E>,
        H: FnMut(&Retrying<'_, T, E>),
    {
        BlockingRetry {
            form: self.form.refine(|c, o, _, fb| (c, o, hook, fb)),
        }
    }

    /// Turns the final error into a value, or hands it back (see
    /// [`Retry::fallback`](super::Retry::fallback)).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// let fake = FakeClock::new();
    /// let rows = (|| Err::<Vec<u8>, _>("connection reset"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .fallback(|_| Ok(Vec::new()))
    ///     .clock(fake.clock())
    ///     .call()
    ///     .unwrap();
    /// assert!(rows.is_empty());
    /// assert_eq!(fake.sleeps().len(), 2);
    /// ```
    pub fn fallback<FB2, T, E>(self, fallback: FB2) -> BlockingRetry<F, C, O, N, FB2, R, K>
    where
        F: FnMut() -> Result<T, E>,
        FB2: FnOnce(RetryError<E>) -> Result<T, RetryError<E>>,
    {
        BlockingRetry {
            form: self.form.refine(|c, o, n, _| (c, o, n, Some(fallback))),
        }
    }

    /// Reads time and sleeps on `clock` (default: the system clock, [`SystemClock`]).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// let fake = FakeClock::new();
    /// let _ = (|| Err::<(), _>(())).retry_blocking(RetryPolicy::retry_with_jitter()).clock(fake.clock()).call();
    /// assert_eq!(fake.sleeps().len(), 4);
    /// ```
    pub fn clock(self, clock: Clock) -> BlockingRetry<F, C, O, N, FB, R, Clock> {
        BlockingRetry {
            form: self.form.on_clock(clock),
        }
    }

    /// Runs the call until it succeeds or the policy gives up.
    ///
    /// ```
    /// use staunch::{BlockingRetryable, RetryPolicy};
    /// let value = (|| Ok::<_, String>(1)).retry_blocking(RetryPolicy::retry_on_exception()).call();
    /// assert_eq!(value, Ok(1));
    /// ```
    #[inline]
    pub fn call<T, E>(self) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Result<T, E>,
        C: Classify<E>,
        O: RetryOk<T>,
        N: Notify<T, E>,
        FB: Fallback<T, E, RetryError<E>>,
        E: fmt::Debug,
        K: Borrow<Clock>,
    {
        engine::blocking::run(self.form)
    }
}

impl<F, C: fmt::Debug, O: fmt::Debug, N: fmt::Debug, FB, R: Borrow<RetryPolicy>, K> fmt::Debug
    for BlockingRetry<F, C, O, N, FB, R, K>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingRetry")
            .field("policy", self.form.policy())
            .field("classify", &self.form.classify)
            .finish()
    }
}
