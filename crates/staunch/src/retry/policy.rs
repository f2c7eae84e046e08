//! The retry policy: a validated, `Copy` description of when and how long to retry.

use std::future::Future;
use std::time::Duration;

use super::{BlockingRetryable, Retry, RetryBuilder, RetryError, Retryable};
use crate::Backoff;

/// How often and how patiently to retry: attempts in total, a backoff, an optional
/// overall deadline, a cap on server delay hints and an optional name for events.
///
/// Validated once by [`RetryBuilder::build`]; `Copy`, so one policy serves any number of
/// calls and threads. What to retry is chosen at the call site (`.when(..)`,
/// `.classify(..)`), so one policy works for every error type.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::io;
/// use staunch::test_util::FakeClock;
/// use staunch::{RetryPolicy, Retryable};
///
/// let fake = FakeClock::new();
/// let mut calls = 0;
/// let value = (|| {
///     calls += 1;
///     let fail = calls < 3;
///     async move {
///         if fail { Err(io::Error::from(io::ErrorKind::TimedOut)) } else { Ok(42) }
///     }
/// })
/// .retry(RetryPolicy::retry_on_exception())
/// .when(staunch::classify::io::is_transient)
/// .clock(fake.clock())
/// .await
/// .unwrap();
/// assert_eq!(value, 42);
/// assert_eq!(fake.sleeps().len(), 2); // 1 s, then 2 s
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_delay_hint: Duration,
    pub(crate) name: Option<&'static str>,
}

impl RetryPolicy {
    /// The seed's `@retry_on_exception` defaults: 3 attempts in total, exponential wait
    /// from 1 s doubling up to 10 s (1, 2, 4, 8, 10 … s), no jitter.
    ///
    /// Pick the errors to retry at the call site with `.when(..)`, the Rust form of
    /// `exception_types`; change the numbers through [`RetryBuilder::retry_on_exception`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::RetryPolicy::retry_on_exception();
    /// assert_eq!(policy.max_attempts(), 3);
    /// let secs: Vec<u64> = policy.backoff().iter().take(5).map(|d| d.as_secs()).collect();
    /// assert_eq!(secs, [1, 2, 4, 8, 10]);
    /// ```
    pub const fn retry_on_exception() -> Self {
        RetryBuilder::retry_on_exception().assume_valid()
    }

    /// The seed's `@retry_with_jitter` defaults: 5 attempts in total, base 2 s, max 10 s,
    /// full jitter: retry `n` waits `U(2 s, min(10 s, 2 s·2^n))`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let policy = staunch::RetryPolicy::retry_with_jitter();
    /// assert_eq!(policy.max_attempts(), 5);
    /// let first = policy.backoff().iter().next().unwrap();
    /// assert!(Duration::from_secs(2) <= first && first <= Duration::from_secs(4));
    /// ```
    pub const fn retry_with_jitter() -> Self {
        RetryBuilder::retry_with_jitter().assume_valid()
    }

    /// A builder starting from the [`retry_on_exception`](Self::retry_on_exception)
    /// defaults.
    ///
    /// ```
    /// let policy = staunch::RetryPolicy::builder().max_attempts(5).build().unwrap();
    /// assert_eq!(policy.max_attempts(), 5);
    /// ```
    pub const fn builder() -> RetryBuilder {
        RetryBuilder::retry_on_exception()
    }

    /// A builder holding this policy's settings, to derive a variant.
    ///
    /// ```
    /// let policy = staunch::RetryPolicy::retry_with_jitter().to_builder().name("llm").build().unwrap();
    /// assert_eq!(policy.name(), Some("llm"));
    /// assert_eq!(policy.max_attempts(), 5);
    /// ```
    pub const fn to_builder(self) -> RetryBuilder {
        RetryBuilder::from_policy(self)
    }

    /// Attempts in total, the first call included.
    ///
    /// ```
    /// assert_eq!(staunch::RetryPolicy::retry_with_jitter().max_attempts(), 5);
    /// ```
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff between attempts.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let backoff = staunch::RetryPolicy::retry_on_exception().backoff();
    /// assert_eq!(backoff.max_delay(), Duration::from_secs(10));
    /// ```
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The overall deadline, measured on the clock from the start of the call.
    ///
    /// ```
    /// assert_eq!(staunch::RetryPolicy::retry_on_exception().deadline(), None);
    /// ```
    pub const fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The longest server delay hint the retry honours (default
    /// [`DEFAULT_MAX_DELAY_HINT`](super::DEFAULT_MAX_DELAY_HINT), 60 s); a longer hint
    /// stops the retry with [`RetryErrorKind::HintTooLong`](super::RetryErrorKind).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(staunch::RetryPolicy::retry_on_exception().max_delay_hint(), Duration::from_secs(60));
    /// ```
    pub const fn max_delay_hint(&self) -> Duration {
        self.max_delay_hint
    }

    /// The name used in `tracing` events and metric labels.
    ///
    /// ```
    /// assert_eq!(staunch::RetryPolicy::retry_on_exception().name(), None);
    /// ```
    pub const fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// Retries the futures `make` returns under this policy; same as
    /// `make.retry(policy)`. The returned future can still be refined (`.when(..)`,
    /// `.clock(..)` …) before it is awaited.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let policy = staunch::RetryPolicy::retry_on_exception();
    /// let value = policy.call(|| async { Ok::<_, std::io::Error>(7) }).await.unwrap();
    /// assert_eq!(value, 7);
    /// # }
    /// ```
    pub fn call<F, Fut, T, E>(&self, make: F) -> Retry<F, Fut>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        make.retry(*self)
    }

    /// Runs `f` until it succeeds or the policy gives up, sleeping on the system clock and
    /// retrying every error. For a classifier, a hook or another clock use
    /// [`BlockingRetryable::retry_blocking`].
    ///
    /// ```
    /// let policy = staunch::RetryPolicy::retry_on_exception();
    /// let value = policy.call_blocking(|| Ok::<_, std::io::Error>(7)).unwrap();
    /// assert_eq!(value, 7);
    /// ```
    pub fn call_blocking<F, T, E>(&self, f: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Result<T, E>,
        E: std::fmt::Debug,
    {
        f.retry_blocking(*self).call()
    }
}

impl Default for RetryPolicy {
    /// The [`retry_on_exception`](Self::retry_on_exception) defaults.
    fn default() -> Self {
        Self::retry_on_exception()
    }
}
