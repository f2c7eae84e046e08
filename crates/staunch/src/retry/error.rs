//! The error a retry returns when it stops without a success.

use std::fmt;
use std::time::Duration;

/// Why a retry stopped without a success.
///
/// ```
/// use staunch::RetryErrorKind;
/// assert_eq!(RetryErrorKind::Exhausted.as_str(), "exhausted");
/// assert_eq!(RetryErrorKind::HintTooLong.to_string(), "hint_too_long");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryErrorKind {
    /// Every allowed attempt failed.
    Exhausted,
    /// The classifier said another attempt would not help; returned after that attempt.
    NotRetryable,
    /// The overall deadline left no time for the next attempt.
    Deadline,
    /// The server asked for a pause longer than the policy's `max_delay_hint`.
    HintTooLong,
}

impl RetryErrorKind {
    /// The lower-case name: `"exhausted"`, `"not_retryable"`, `"deadline"` or
    /// `"hint_too_long"`.
    ///
    /// ```
    /// assert_eq!(staunch::RetryErrorKind::Deadline.as_str(), "deadline");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            RetryErrorKind::Exhausted => "exhausted",
            RetryErrorKind::NotRetryable => "not_retryable",
            RetryErrorKind::Deadline => "deadline",
            RetryErrorKind::HintTooLong => "hint_too_long",
        }
    }
}

impl fmt::Display for RetryErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A retry that ended without a success: the caller's last error, by value, with why the
/// retry stopped, how many attempts it made and how long it took.
///
/// `source()` is the caller's error, so `?` into `anyhow::Error` or
/// `Box<dyn Error + Send + Sync>` keeps the whole chain. It is `Send + Sync` when `E` is.
///
/// ```
/// use std::io;
/// use staunch::test_util::FakeClock;
/// use staunch::{BlockingRetryable, RetryErrorKind, RetryPolicy};
///
/// let fake = FakeClock::new();
/// let err = (|| Err::<(), _>(io::Error::from(io::ErrorKind::TimedOut)))
///     .retry_blocking(RetryPolicy::retry_on_exception())
///     .clock(fake.clock())
///     .call()
///     .unwrap_err();
/// assert_eq!(err.kind(), RetryErrorKind::Exhausted);
/// assert_eq!(err.attempts(), 3);
/// assert_eq!(err.last_error().kind(), io::ErrorKind::TimedOut);
/// assert_eq!(err.to_string(), "gave up after 3 attempts in 3s: retries exhausted");
/// let inner: io::Error = err.into_inner();
/// # let _ = inner;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RetryError<E> {
    /// Boxed: the error is one pointer, so a retried call's `Result<T, RetryError<E>>` is
    /// as small as `T` allows and is handed back in registers on the success path.
    inner: Box<Inner<E>>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner<E> {
    kind: RetryErrorKind,
    error: E,
    attempts: u32,
    elapsed: Duration,
    delay_hint: Option<Duration>,
}

impl<E> RetryError<E> {
    pub(crate) fn new(
        kind: RetryErrorKind,
        error: E,
        attempts: u32,
        elapsed: Duration,
        delay_hint: Option<Duration>,
    ) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                error,
                attempts,
                elapsed,
                delay_hint,
            }),
        }
    }

    /// The error of a retry alone that the engine stopped, with the last error.
    pub(crate) fn from_stopped(stopped: crate::engine::table::Stopped, error: E) -> Self {
        let kind = crate::retry::form::retry_kind(stopped.kind);
        Self::new(kind, error, stopped.attempts, stopped.elapsed, stopped.hint)
    }

    /// Why the retry stopped.
    ///
    /// ```
    /// # use staunch::{BlockingRetryable, RetryErrorKind, RetryPolicy};
    /// let err = (|| Err::<(), _>("bad request"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .when(|e: &&str| e.contains("timeout"))
    ///     .call()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::NotRetryable);
    /// assert_eq!(err.attempts(), 1);
    /// ```
    pub fn kind(&self) -> RetryErrorKind {
        self.inner.kind
    }

    /// Attempts made, the first call included.
    ///
    /// ```
    /// # use staunch::{BlockingRetryable, RetryPolicy};
    /// # let fake = staunch::test_util::FakeClock::new();
    /// let err = (|| Err::<(), _>("down")).retry_blocking(RetryPolicy::retry_with_jitter())
    ///     .clock(fake.clock()).call().unwrap_err();
    /// assert_eq!(err.attempts(), 5);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Time from the start of the retry to the last failure, on the policy's clock.
    ///
    /// With a deadline set this covers the first attempt; without one it is counted from
    /// the end of the first attempt, so a first attempt that succeeds reads no clock.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{BlockingRetryable, RetryPolicy};
    /// # let fake = staunch::test_util::FakeClock::new();
    /// let err = (|| Err::<(), _>("down")).retry_blocking(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock()).call().unwrap_err();
    /// assert_eq!(err.elapsed(), Duration::from_secs(1 + 2));
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.inner.elapsed
    }

    /// The server's delay hint of the last error, if it had one.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{BlockingRetryable, RetryErrorKind, RetryPolicy, Verdict};
    /// let err = (|| Err::<(), _>(429))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .classify(|_: &i32| Verdict::TRANSIENT.with_delay_hint(Duration::from_secs(3600)))
    ///     .call()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), RetryErrorKind::HintTooLong);
    /// assert_eq!(err.delay_hint(), Some(Duration::from_secs(3600)));
    /// ```
    pub fn delay_hint(&self) -> Option<Duration> {
        self.inner.delay_hint
    }

    /// The caller's last error.
    ///
    /// ```
    /// # use staunch::{BlockingRetryable, RetryPolicy};
    /// # let fake = staunch::test_util::FakeClock::new();
    /// let err = (|| Err::<(), _>("down")).retry_blocking(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock()).call().unwrap_err();
    /// assert_eq!(*err.last_error(), "down");
    /// ```
    pub fn last_error(&self) -> &E {
        &self.inner.error
    }

    /// The caller's last error, by value.
    ///
    /// ```
    /// # use staunch::{BlockingRetryable, RetryPolicy};
    /// # let fake = staunch::test_util::FakeClock::new();
    /// let err = (|| Err::<(), _>(String::from("down")))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock()).call().unwrap_err();
    /// let inner: String = err.into_inner();
    /// assert_eq!(inner, "down");
    /// ```
    pub fn into_inner(self) -> E {
        self.inner.error
    }

    /// Whether every allowed attempt failed.
    ///
    /// ```
    /// # use staunch::{BlockingRetryable, RetryPolicy};
    /// # let fake = staunch::test_util::FakeClock::new();
    /// let err = (|| Err::<(), _>("down")).retry_blocking(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock()).call().unwrap_err();
    /// assert!(err.is_exhausted());
    /// ```
    pub fn is_exhausted(&self) -> bool {
        self.inner.kind == RetryErrorKind::Exhausted
    }

    /// Applies `f` to the inner error, keeping the rest.
    ///
    /// ```
    /// # use staunch::{BlockingRetryable, RetryPolicy};
    /// # let fake = staunch::test_util::FakeClock::new();
    /// let err = (|| Err::<(), _>(404)).retry_blocking(RetryPolicy::retry_on_exception())
    ///     .clock(fake.clock()).call().unwrap_err();
    /// assert_eq!(err.map(|code| code.to_string()).into_inner(), "404");
    /// ```
    pub fn map<F, E2>(self, f: F) -> RetryError<E2>
    where
        F: FnOnce(E) -> E2,
    {
        let Inner {
            kind,
            error,
            attempts,
            elapsed,
            delay_hint,
        } = *self.inner;
        RetryError::new(kind, f(error), attempts, elapsed, delay_hint)
    }
}

impl<E: fmt::Debug> fmt::Debug for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("RetryError")
            .field("kind", &inner.kind)
            .field("error", &inner.error)
            .field("attempts", &inner.attempts)
            .field("elapsed", &inner.elapsed)
            .field("delay_hint", &inner.delay_hint)
            .finish()
    }
}

impl<E> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Inner {
            kind,
            attempts,
            elapsed,
            delay_hint,
            ..
        } = &*self.inner;
        let attempts = *attempts;
        let plural = if attempts == 1 { "" } else { "s" };
        // Whole milliseconds read better than `148ms 7ns`.
        let millis = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let elapsed = humantime::format_duration(Duration::from_millis(millis));
        write!(f, "gave up after {attempts} attempt{plural} in {elapsed}: ")?;
        match (*kind, *delay_hint) {
            (RetryErrorKind::Exhausted, _) => f.write_str("retries exhausted"),
            (RetryErrorKind::NotRetryable, _) => f.write_str("error is not retryable"),
            (RetryErrorKind::Deadline, _) => f.write_str("deadline reached"),
            (RetryErrorKind::HintTooLong, Some(hint)) => write!(
                f,
                "server asked to wait {}, more than max_delay_hint",
                humantime::format_duration(hint)
            ),
            (RetryErrorKind::HintTooLong, None) => f.write_str("server hint too long"),
        }
    }
}

impl<E> std::error::Error for RetryError<E>
where
    E: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner.error)
    }
}
