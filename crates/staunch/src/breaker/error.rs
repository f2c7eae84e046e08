//! The breaker's errors: [`CircuitOpen`] (a rejected call) and [`BreakerError`] (either
//! that or the protected call's own error, by value).

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A call rejected because the circuit is open (the seed's `CircuitBreakerError`).
///
/// It names the breaker and says how long until the breaker lets a probe through.
/// Only the breaker constructs it.
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, CircuitBreaker};
///
/// let fake = FakeClock::new();
/// let breaker = CircuitBreaker::builder("llm").clock(fake.clock()).build()?;
/// breaker.force_open();
/// let err = breaker.try_acquire().unwrap_err();
/// assert_eq!(err.name(), "llm");
/// assert_eq!(err.retry_after(), None); // forced open: no probe is scheduled
/// assert_eq!(err.to_string(), "circuit `llm` is open");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CircuitOpen {
    name: BreakerName,
    /// Nanoseconds until the next probe; [`UNKNOWN`] when none is scheduled. (One word
    /// rather than an `Option<Duration>` keeps the error, and so every call's `Result`,
    /// small.)
    retry_after: u64,
}

const UNKNOWN: u64 = u64::MAX;

/// A breaker's name as a rejection carries it: short names are copied inline, so that
/// rejecting a call touches no shared reference count; longer ones share the breaker's.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum BreakerName {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

const INLINE: usize = 22;

impl BreakerName {
    pub(crate) fn new(name: &Arc<str>) -> Self {
        if name.len() > INLINE {
            return BreakerName::Shared(Arc::clone(name));
        }
        let mut bytes = [0; INLINE];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        BreakerName::Inline {
            len: name.len() as u8,
            bytes,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // The bytes are a copy of a whole `str`: always valid UTF-8.
            BreakerName::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            BreakerName::Shared(name) => name,
        }
    }
}

impl fmt::Debug for BreakerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl CircuitOpen {
    /// A rejection by the breaker named `name`.
    pub(crate) fn new(name: Arc<str>, retry_after: Option<Duration>) -> Self {
        Self::named(BreakerName::new(&name), retry_after)
    }

    #[inline]
    pub(crate) fn named(name: BreakerName, retry_after: Option<Duration>) -> Self {
        let retry_after = retry_after.map_or(UNKNOWN, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(UNKNOWN - 1)
        });
        Self { name, retry_after }
    }

    /// The name of the breaker that rejected the call.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// # let breaker = CircuitBreaker::builder("mcp").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// assert_eq!(breaker.try_acquire().unwrap_err().name(), "mcp");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// How long until the breaker lets a probe through: the rest of the open period.
    ///
    /// `None` when no time is known: the circuit is forced open, or every half-open probe
    /// slot is taken and the probes' results will decide.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    ///
    /// let fake = FakeClock::new();
    /// let breaker = CircuitBreaker::builder("db")
    ///     .failure_threshold(1)
    ///     .recovery_timeout(Duration::from_secs(30))
    ///     .clock(fake.clock())
    ///     .build()?;
    /// let _ = breaker.call_blocking(|| Err::<(), _>("down"));
    /// fake.advance(Duration::from_secs(10));
    /// let err = breaker.try_acquire().unwrap_err();
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(20)));
    /// assert_eq!(err.to_string(), "circuit `db` is open; next probe in 20.0s");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        (self.retry_after != UNKNOWN).then(|| Duration::from_nanos(self.retry_after))
    }
}

impl fmt::Debug for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitOpen")
            .field("name", &self.name())
            .field("retry_after", &self.retry_after())
            .finish()
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circuit `{}` is open", self.name())?;
        match self.retry_after() {
            None => Ok(()),
            Some(d) if d >= Duration::from_secs(1) => {
                write!(f, "; next probe in {:.1}s", d.as_secs_f64())
            }
            Some(d) => write!(f, "; next probe in {}ms", d.as_millis()),
        }
    }
}

impl Error for CircuitOpen {}

/// The error of a call through a breaker: the circuit rejected it, or the call itself
/// failed (its error kept by value, with no `Clone` or `'static` bound beyond what `Error`
/// needs).
///
/// ```
/// use staunch::{test_util::FakeClock, BreakerError, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder("llm").clock(FakeClock::new().clock()).build()?;
/// let err = breaker.call_blocking(|| Err::<(), _>(std::io::Error::other("reset"))).unwrap_err();
/// assert!(matches!(err, BreakerError::Inner(_)));
/// assert_eq!(err.into_inner().unwrap().to_string(), "reset");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum BreakerError<E> {
    /// The circuit rejected the call; the call did not run.
    Open(CircuitOpen),
    /// The call ran and failed with this error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// The call's own error, or `None` when the circuit rejected the call.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// # let breaker = CircuitBreaker::builder("x").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// let err = breaker.call_blocking(|| Ok::<(), &str>(())).unwrap_err();
    /// assert_eq!(err.into_inner(), None);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Inner(e) => Some(e),
            BreakerError::Open(_) => None,
        }
    }

    /// The rejection, when the circuit rejected the call.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// # let breaker = CircuitBreaker::builder("x").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// let err = breaker.call_blocking(|| Ok::<(), &str>(())).unwrap_err();
    /// assert_eq!(err.as_open().unwrap().name(), "x");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn as_open(&self) -> Option<&CircuitOpen> {
        match self {
            BreakerError::Open(open) => Some(open),
            BreakerError::Inner(_) => None,
        }
    }

    /// Whether the circuit rejected the call.
    ///
    /// ```
    /// # use staunch::{test_util::FakeClock, CircuitBreaker};
    /// # let breaker = CircuitBreaker::builder("x").clock(FakeClock::new().clock()).build()?;
    /// let err = breaker.call_blocking(|| Err::<(), _>("boom")).unwrap_err();
    /// assert!(!err.is_open());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn is_open(&self) -> bool {
        matches!(self, BreakerError::Open(_))
    }
}

impl<E> From<CircuitOpen> for BreakerError<E> {
    fn from(open: CircuitOpen) -> Self {
        BreakerError::Open(open)
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Open(open) => fmt::Display::fmt(open, f),
            BreakerError::Inner(_) => f.write_str("protected call failed"),
        }
    }
}

impl<E: Error + 'static> Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BreakerError::Open(_) => None,
            BreakerError::Inner(e) => Some(e),
        }
    }
}
