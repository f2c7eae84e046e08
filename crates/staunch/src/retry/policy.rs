//! The retry policy: a validated, `Copy` description of when and how long to retry.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use super::{BlockingRetryable, Retry, RetryBuilder, RetryError, Retryable};
use crate::backoff::{Nanos, Strategy};
use crate::{Backoff, Jitter};

/// How often and how patiently to retry: attempts in total, a backoff, an optional
/// overall deadline, a cap on server delay hints and an optional name for events.
///
/// Validated once by [`RetryBuilder::build`]; `Copy`, so one policy serves any number of
/// calls and threads. What to retry is chosen at the call site (`.when(..)`,
/// `.classify(..)`), so one policy works for every error type.
///
/// Every retried call carries its own copy, so the policy is kept small (80 bytes): its
/// durations (the backoff's, the hint cap and the deadline) are stored as nanoseconds,
/// exact up to about 584 years; longer ones mean "forever" and read back as
/// [`Duration::MAX`].
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
#[derive(Clone, Copy)]
// Every field is a word or less, and they are laid out by hand so that none is padded:
// the backoff's settings are kept here field by field (a nested `Backoff` would bring its
// own padding), and [`backoff`](Self::backoff) puts them back together. The deadline, the
// only setting a first attempt reads, comes last: the compiler then copies the rest of the
// policy on the failure path only, which keeps a blocking retry that succeeds at once as
// cheap as the call (benches/README.md).
#[repr(C)]
pub struct RetryPolicy {
    first: Nanos,
    floor: Nanos,
    cap: Nanos,
    /// The strategy's parameter: a linear step in nanoseconds, or the bits of an
    /// exponential factor; zero for the others.
    param: u64,
    /// The jitter's seed, when `seeded`.
    seed: u64,
    pub(crate) max_delay_hint: Nanos,
    pub(crate) name: Option<&'static str>,
    pub(crate) max_attempts: u32,
    strategy: Kind,
    jitter: Jitter,
    seeded: bool,
    has_deadline: bool,
    /// The deadline, when `has_deadline`.
    deadline: Nanos,
}

/// Which backoff strategy a policy keeps, without its parameter.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Kind {
    Constant,
    Linear,
    Exponential,
    Fibonacci,
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts with `backoff`, no deadline, the default hint
    /// cap and no name.
    pub(crate) const fn new(max_attempts: u32, backoff: Backoff) -> Self {
        let zero = Nanos::ZERO;
        let policy = Self {
            first: zero,
            floor: zero,
            cap: zero,
            param: 0,
            seed: 0,
            max_delay_hint: Nanos::from_duration(super::DEFAULT_MAX_DELAY_HINT),
            name: None,
            max_attempts,
            strategy: Kind::Constant,
            jitter: Jitter::None,
            seeded: false,
            has_deadline: false,
            deadline: zero,
        };
        policy.with_backoff(backoff)
    }

    /// This policy with `backoff` in place of its own.
    pub(crate) const fn with_backoff(mut self, backoff: Backoff) -> Self {
        (self.strategy, self.param) = match backoff.strategy {
            Strategy::Constant => (Kind::Constant, 0),
            Strategy::Linear { step } => (Kind::Linear, step.as_u64()),
            Strategy::Exponential { factor } => (Kind::Exponential, factor.to_bits()),
            Strategy::Fibonacci => (Kind::Fibonacci, 0),
        };
        self.first = backoff.first;
        self.floor = backoff.floor;
        self.cap = backoff.cap;
        self.jitter = backoff.jitter;
        (self.seeded, self.seed) = match backoff.seed {
            Some(seed) => (true, seed),
            None => (false, 0),
        };
        self
    }

    /// This policy with an overall `deadline`.
    pub(crate) const fn with_deadline(mut self, deadline: Duration) -> Self {
        self.has_deadline = true;
        self.deadline = Nanos::from_duration(deadline);
        self
    }

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
        Backoff {
            strategy: match self.strategy {
                Kind::Constant => Strategy::Constant,
                Kind::Linear => Strategy::Linear {
                    step: Nanos::from_u64(self.param),
                },
                Kind::Exponential => Strategy::Exponential {
                    factor: f64::from_bits(self.param),
                },
                Kind::Fibonacci => Strategy::Fibonacci,
            },
            first: self.first,
            floor: self.floor,
            cap: self.cap,
            jitter: self.jitter,
            seed: if self.seeded { Some(self.seed) } else { None },
        }
    }

    /// The overall deadline, measured on the clock from the start of the call.
    ///
    /// ```
    /// assert_eq!(staunch::RetryPolicy::retry_on_exception().deadline(), None);
    /// ```
    pub const fn deadline(&self) -> Option<Duration> {
        if self.has_deadline {
            Some(self.deadline.to_duration())
        } else {
            None
        }
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
        self.max_delay_hint.to_duration()
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

impl PartialEq for RetryPolicy {
    /// Equal settings: the same backoff (its factor compared as a number), attempts,
    /// deadline, hint cap and name.
    fn eq(&self, other: &Self) -> bool {
        self.backoff() == other.backoff()
            && self.max_delay_hint == other.max_delay_hint
            && self.name == other.name
            && self.max_attempts == other.max_attempts
            && self.deadline() == other.deadline()
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("backoff", &self.backoff())
            .field("max_delay_hint", &self.max_delay_hint)
            .field("name", &self.name)
            .field("max_attempts", &self.max_attempts)
            .field("deadline", &self.deadline())
            .finish()
    }
}
