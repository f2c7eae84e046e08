//! The error a combined policy returns: the caller's last error, by value, and the layer
//! that ended the call.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::{CircuitOpen, RetryErrorKind};

/// Which layer of a [`Policy`](super::Policy) ended the call, and why.
///
/// ```
/// use staunch::policy::PolicyErrorKind;
/// assert_eq!(PolicyErrorKind::BreakerOpen.as_str(), "breaker_open");
/// assert_eq!(PolicyErrorKind::BreakerOpen.layer(), "breaker");
/// assert_eq!(PolicyErrorKind::Timeout.to_string(), "timeout");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The classifier said another attempt would not help (retry layer).
    NotRetryable,
    /// Every allowed attempt failed with an error of the call (retry layer).
    Exhausted,
    /// The circuit refused the call, or will stay open longer than the retry is willing
    /// to wait (breaker layer).
    BreakerOpen,
    /// The last attempt ran out of time and no attempt was left (timeout layer).
    Timeout,
    /// The retry budget had no retry left to spend (budget layer).
    BudgetExhausted,
    /// The overall deadline left no time for another attempt (retry layer).
    Deadline,
    /// The server asked for a pause longer than the policy's `max_delay_hint` (retry
    /// layer).
    HintTooLong,
}

impl PolicyErrorKind {
    /// The lower-case name: `"not_retryable"`, `"exhausted"`, `"breaker_open"`,
    /// `"timeout"`, `"budget_exhausted"`, `"deadline"` or `"hint_too_long"`.
    ///
    /// ```
    /// assert_eq!(staunch::policy::PolicyErrorKind::BudgetExhausted.as_str(), "budget_exhausted");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotRetryable => "not_retryable",
            Self::Exhausted => "exhausted",
            Self::BreakerOpen => "breaker_open",
            Self::Timeout => "timeout",
            Self::BudgetExhausted => "budget_exhausted",
            Self::Deadline => "deadline",
            Self::HintTooLong => "hint_too_long",
        }
    }

    /// The layer that ended the call: `"retry"`, `"breaker"`, `"timeout"` or `"budget"`.
    ///
    /// ```
    /// use staunch::policy::PolicyErrorKind;
    /// assert_eq!(PolicyErrorKind::Exhausted.layer(), "retry");
    /// assert_eq!(PolicyErrorKind::BudgetExhausted.layer(), "budget");
    /// ```
    pub const fn layer(self) -> &'static str {
        match self {
            Self::BreakerOpen => "breaker",
            Self::Timeout => "timeout",
            Self::BudgetExhausted => "budget",
            Self::NotRetryable | Self::Exhausted | Self::Deadline | Self::HintTooLong => "retry",
        }
    }

    /// The kind for a stop of the retry's state machine; `timed_out` says whether the
    /// last attempt ran out of time.
    pub(crate) fn from_retry(kind: RetryErrorKind, timed_out: bool) -> Self {
        match kind {
            RetryErrorKind::Exhausted if timed_out => Self::Timeout,
            RetryErrorKind::Exhausted => Self::Exhausted,
            RetryErrorKind::NotRetryable => Self::NotRetryable,
            RetryErrorKind::Deadline => Self::Deadline,
            RetryErrorKind::HintTooLong => Self::HintTooLong,
        }
    }
}

impl fmt::Display for PolicyErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call under a [`Policy`](super::Policy) that ended without a value: which layer
/// ended it ([`kind`](Self::kind)), the last error the call itself returned (by value),
/// the open circuit if the breaker had the last word, the attempts made and the time
/// taken.
///
/// [`last_error`](Self::last_error) is `None` when no attempt returned an error: the
/// circuit refused the first attempt, or every attempt ran out of time. When the final
/// attempt was refused or timed out after earlier attempts failed, it is the most recent
/// error of those, which is usually the best clue to the outage.
///
/// `source()` is the caller's error when there is one, else the [`CircuitOpen`]. It is
/// `Send + Sync` when `E` is.
///
/// ```
/// use std::time::Duration;
/// use staunch::policy::PolicyErrorKind;
/// use staunch::test_util::FakeClock;
/// use staunch::Policy;
///
/// let fake = FakeClock::new();
/// let policy = Policy::builder("db").failure_threshold(1).clock(fake.clock()).build()?;
/// let err = policy.call_blocking(|| Err::<(), _>("connection reset")).unwrap_err();
/// assert_eq!(err.kind(), PolicyErrorKind::BreakerOpen); // the failure opened the circuit
/// assert_eq!(err.last_error(), Some(&"connection reset"));
/// assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
/// assert_eq!(err.attempts(), 1);
/// assert_eq!(err.to_string(), "gave up after 1 attempt in 0s: circuit `db` is open; next probe in 60.0s");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
///
/// The error is one pointer wide (its details are boxed when the call gives up), so a
/// call's `Result<T, PolicyError<E>>` is hardly larger than `T`: the success path, which
/// every call takes, moves no more than it must. Giving up allocates once per call, never
/// per attempt.
///
/// ```
/// use staunch::PolicyError;
/// assert_eq!(std::mem::size_of::<Result<u64, PolicyError<std::io::Error>>>(), 16);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PolicyError<E> {
    inner: Box<Inner<E>>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner<E> {
    kind: PolicyErrorKind,
    error: Option<E>,
    open: Option<CircuitOpen>,
    attempts: u32,
    elapsed: Duration,
}

impl<E: fmt::Debug> fmt::Debug for PolicyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("PolicyError")
            .field("kind", &inner.kind)
            .field("error", &inner.error)
            .field("open", &inner.open)
            .field("attempts", &inner.attempts)
            .field("elapsed", &inner.elapsed)
            .finish()
    }
}

impl<E> PolicyError<E> {
    #[cold]
    pub(crate) fn new(
        kind: PolicyErrorKind,
        error: Option<E>,
        open: Option<CircuitOpen>,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                error,
                open,
                attempts,
                elapsed,
            }),
        }
    }

    /// Which layer ended the call, and why.
    ///
    /// ```
    /// use staunch::{policy::PolicyErrorKind, test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.blocking(|| Err::<(), _>(404)).when(|code| *code >= 500).call().unwrap_err();
    /// assert_eq!(err.kind(), PolicyErrorKind::NotRetryable);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn kind(&self) -> PolicyErrorKind {
        self.inner.kind
    }

    /// Attempts made, the first included, counting those the breaker refused.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>("down")).unwrap_err();
    /// assert_eq!(err.attempts(), 3);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Time from the start of the call to the end of the last attempt, on the policy's
    /// clock.
    ///
    /// With a deadline or an attempt timeout set this covers the first attempt; without
    /// them it is counted from the end of the first attempt, so a call that succeeds at
    /// once reads no clock.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>("down")).unwrap_err();
    /// assert_eq!(err.elapsed(), Duration::from_secs(1 + 2));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.inner.elapsed
    }

    /// The last error the call returned, if any attempt returned one.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>("down")).unwrap_err();
    /// assert_eq!(err.last_error(), Some(&"down"));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn last_error(&self) -> Option<&E> {
        self.inner.error.as_ref()
    }

    /// The last error the call returned, by value.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>(String::from("down"))).unwrap_err();
    /// let inner: Option<String> = err.into_inner();
    /// assert_eq!(inner.as_deref(), Some("down"));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn into_inner(self) -> Option<E> {
        self.inner.error
    }

    /// The open circuit, when the breaker ended the call.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("llm").clock(FakeClock::new().clock()).build()?;
    /// policy.breaker().force_open();
    /// let err = policy.call_blocking(|| Ok::<_, String>(1)).unwrap_err();
    /// assert_eq!(err.circuit_open().map(|open| open.name()), Some("llm"));
    /// assert_eq!(err.last_error(), None); // the call never ran
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn circuit_open(&self) -> Option<&CircuitOpen> {
        self.inner.open.as_ref()
    }

    /// How long until the breaker lets a probe through, when the breaker ended the call
    /// and knows it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("llm").failure_threshold(1).clock(FakeClock::new().clock()).build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>("overloaded")).unwrap_err();
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.open.as_ref().and_then(CircuitOpen::retry_after)
    }

    /// Whether the breaker ended the call.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("llm").clock(FakeClock::new().clock()).build()?;
    /// policy.breaker().force_open();
    /// assert!(policy.call_blocking(|| Ok::<_, String>(1)).unwrap_err().is_circuit_open());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn is_circuit_open(&self) -> bool {
        self.inner.kind == PolicyErrorKind::BreakerOpen
    }

    /// Whether the last attempt ran out of time.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let fake = FakeClock::new();
    /// let policy = Policy::builder("mcp")
    ///     .max_attempts(1)
    ///     .attempt_timeout(Duration::from_secs(5))
    ///     .clock(fake.clock())
    ///     .build()?;
    /// let slow = || { fake.advance(Duration::from_secs(9)); Err::<(), _>("late") };
    /// assert!(policy.call_blocking(slow).unwrap_err().is_timeout());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == PolicyErrorKind::Timeout
    }

    /// Applies `f` to the caller's error, keeping the rest.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, Policy};
    /// let policy = Policy::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let err = policy.call_blocking(|| Err::<(), _>(503)).unwrap_err();
    /// assert_eq!(err.map(|code| code.to_string()).into_inner().as_deref(), Some("503"));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn map<F, E2>(self, f: F) -> PolicyError<E2>
    where
        F: FnOnce(E) -> E2,
    {
        let Inner {
            kind,
            error,
            open,
            attempts,
            elapsed,
        } = *self.inner;
        PolicyError::new(kind, error.map(f), open, attempts, elapsed)
    }
}

impl<E> fmt::Display for PolicyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = self.inner.attempts;
        let plural = if attempts == 1 { "" } else { "s" };
        // Whole milliseconds: a coarse clock's nanoseconds are noise.
        let elapsed = Duration::from_millis(
            u64::try_from(self.inner.elapsed.as_millis()).unwrap_or(u64::MAX),
        );
        let elapsed = humantime::format_duration(elapsed);
        write!(f, "gave up after {attempts} attempt{plural} in {elapsed}: ")?;
        match (self.inner.kind, &self.inner.open) {
            (PolicyErrorKind::BreakerOpen, Some(open)) => fmt::Display::fmt(open, f),
            (PolicyErrorKind::BreakerOpen, None) => f.write_str("circuit is open"),
            (PolicyErrorKind::NotRetryable, _) => f.write_str("error is not retryable"),
            (PolicyErrorKind::Exhausted, _) => f.write_str("retries exhausted"),
            (PolicyErrorKind::Timeout, _) => f.write_str("attempt timed out"),
            (PolicyErrorKind::BudgetExhausted, _) => f.write_str("retry budget exhausted"),
            (PolicyErrorKind::Deadline, _) => f.write_str("deadline reached"),
            (PolicyErrorKind::HintTooLong, _) => {
                f.write_str("server asked to wait longer than max_delay_hint")
            }
        }
    }
}

impl<E> Error for PolicyError<E>
where
    E: Error + 'static,
{
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match (&self.inner.error, &self.inner.open) {
            (Some(error), _) => Some(error),
            (None, Some(open)) => Some(open),
            (None, None) => None,
        }
    }
}
