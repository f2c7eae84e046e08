//! Hooks of a retried call: the notice before each sleep, and retrying on an `Ok` value.

use std::fmt;
use std::time::Duration;

/// What a [`Notify`] hook sees before each sleep: the attempt that just failed, the wait
/// that follows and the outcome (usually an error; an `Ok` value rejected by `.when_ok`).
///
/// ```
/// use staunch::test_util::FakeClock;
/// use staunch::{BlockingRetryable, RetryPolicy};
///
/// let fake = FakeClock::new();
/// let mut seen = Vec::new();
/// let _ = (|| Err::<(), _>("busy"))
///     .retry_blocking(RetryPolicy::retry_on_exception())
///     .notify(|r: &staunch::retry::Retrying<'_, (), &str>| {
///         seen.push((r.attempt(), r.delay().as_secs(), r.error().copied()))
///     })
///     .clock(fake.clock())
///     .call();
/// assert_eq!(seen, [(1, 1, Some("busy")), (2, 2, Some("busy"))]);
/// ```
pub struct Retrying<'a, T, E> {
    pub(crate) attempt: u32,
    pub(crate) delay: Duration,
    pub(crate) elapsed: Duration,
    pub(crate) outcome: &'a Result<T, E>,
}

impl<'a, T, E> Retrying<'a, T, E> {
    /// The attempt that just failed (1 for the first call).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// # let fake = FakeClock::new();
    /// let mut seen = Vec::new();
    /// let _ = (|| Err::<(), _>("down"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| seen.push(r.attempt()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(seen, [1, 2]);
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// How long the retry sleeps before the next attempt.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// # let fake = FakeClock::new();
    /// let mut seen = Vec::new();
    /// let _ = (|| Err::<(), _>("down"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| seen.push(r.delay()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(seen, [Duration::from_secs(1), Duration::from_secs(2)]);
    /// ```
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Time since the start of the call.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// # let fake = FakeClock::new();
    /// let mut seen = Vec::new();
    /// let _ = (|| Err::<(), _>("down"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| seen.push(r.elapsed()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(seen, [Duration::ZERO, Duration::from_secs(1)]);
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The error of the failed attempt, if it was an error.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// # let fake = FakeClock::new();
    /// let mut seen = Vec::new();
    /// let _ = (|| Err::<(), _>("down"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| seen.push(r.error().copied()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(seen, [Some("down"), Some("down")]);
    /// ```
    pub fn error(&self) -> Option<&'a E> {
        self.outcome.as_ref().err()
    }

    /// The `Ok` value that `.when_ok` rejected, if that is why the retry goes on.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// # let fake = FakeClock::new();
    /// let mut seen = Vec::new();
    /// let _ = (|| Err::<(), _>("down"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| seen.push(r.value().is_some()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(seen, [false, false]);
    /// ```
    pub fn value(&self) -> Option<&'a T> {
        self.outcome.as_ref().ok()
    }

    /// The whole outcome of the failed attempt.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, BlockingRetryable, RetryPolicy};
    /// # let fake = FakeClock::new();
    /// let mut seen = Vec::new();
    /// let _ = (|| Err::<(), _>("down"))
    ///     .retry_blocking(RetryPolicy::retry_on_exception())
    ///     .notify(|r| seen.push(r.outcome().is_err()))
    ///     .clock(fake.clock())
    ///     .call();
    /// assert_eq!(seen, [true, true]);
    /// ```
    pub fn outcome(&self) -> &'a Result<T, E> {
        self.outcome
    }
}

impl<T, E: fmt::Debug> fmt::Debug for Retrying<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrying")
            .field("attempt", &self.attempt)
            .field("delay", &self.delay)
            .field("elapsed", &self.elapsed)
            .field("error", &self.error())
            .finish()
    }
}

/// A hook called before each sleep. Implemented by every `FnMut(&Retrying<'_, T, E>)` and
/// by [`NoNotify`].
///
/// ```
/// use staunch::retry::{Notify, Retrying};
///
/// fn assert_notify<T, E>(_: impl Notify<T, E>) {}
/// assert_notify(|r: &Retrying<'_, u8, String>| println!("retry in {:?}", r.delay()));
/// assert_notify::<u8, String>(staunch::retry::NoNotify);
/// ```
pub trait Notify<T, E> {
    /// Called after attempt `retrying.attempt()` failed, before sleeping.
    fn notify(&mut self, retrying: &Retrying<'_, T, E>);

    /// Whether the hook does anything; `false` spares the clock read its notice needs.
    #[doc(hidden)]
    #[inline(always)]
    fn is_active(&self) -> bool {
        true
    }
}

impl<T, E, F> Notify<T, E> for F
where
    F: FnMut(&Retrying<'_, T, E>),
{
    #[inline]
    fn notify(&mut self, retrying: &Retrying<'_, T, E>) {
        self(retrying)
    }
}

/// The default hook: does nothing (the `tracing` events are emitted regardless).
///
/// ```
/// use staunch::retry::{NoNotify, Notify};
/// fn takes<N: Notify<(), ()>>(_: N) {}
/// takes(NoNotify);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNotify;

impl<T, E> Notify<T, E> for NoNotify {
    #[inline(always)]
    fn notify(&mut self, _: &Retrying<'_, T, E>) {}

    #[inline(always)]
    fn is_active(&self) -> bool {
        false
    }
}

/// Decides whether an `Ok` value still calls for a retry (an empty page, a "pending"
/// status). Implemented by every `FnMut(&T) -> bool` and by [`AcceptOk`].
///
/// ```
/// use staunch::retry::RetryOk;
/// let mut empty = |v: &Vec<u8>| v.is_empty();
/// assert!(empty.should_retry(&vec![]));
/// assert!(!staunch::retry::AcceptOk.should_retry(&vec![0u8]));
/// ```
pub trait RetryOk<T> {
    /// `true` to retry despite the `Ok`.
    fn should_retry(&mut self, value: &T) -> bool;
}

impl<T, F> RetryOk<T> for F
where
    F: FnMut(&T) -> bool,
{
    #[inline]
    fn should_retry(&mut self, value: &T) -> bool {
        self(value)
    }
}

/// The default: every `Ok` value is a success.
///
/// ```
/// use staunch::retry::{AcceptOk, RetryOk};
/// assert!(!AcceptOk.should_retry(&()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptOk;

impl<T> RetryOk<T> for AcceptOk {
    #[inline(always)]
    fn should_retry(&mut self, _: &T) -> bool {
        false
    }
}
