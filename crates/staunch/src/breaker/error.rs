//! The breaker's errors: [`CircuitOpen`] (a rejected call) and [`BreakerError`] (either
//! that or the protected call's own error, by value).

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::Duration;

/// A call rejected because the circuit is open (the seed's `CircuitBreakerError`).
///
/// It names the breaker and says how long until the breaker lets a probe through.
/// Only the breaker constructs it. It is `Copy` and 12 bytes (the name is an index in the
/// process's table of breaker names), so that a call's `Result` stays as small as the
/// call's own: a rejection costs no allocation and no shared reference count, and a
/// `Result<u64, BreakerError<std::io::Error>>` is two registers wide. Each distinct
/// breaker name is stored once and kept for the life of the process, so names should
/// come from a bounded set (services, hosts, tools), not from per-request data.
///
/// ```
/// use staunch::{BreakerError, CircuitOpen};
///
/// assert_eq!(size_of::<CircuitOpen>(), 12);
/// assert_eq!(size_of::<Result<u64, BreakerError<std::io::Error>>>(), 16);
/// ```
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
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CircuitOpen {
    name: BreakerName,
    /// Nanoseconds until the next probe, as two halves (low, high); [`UNKNOWN`] when none
    /// is scheduled. Two 4-byte halves rather than an `Option<Duration>` or a `u64` keep
    /// the error at 12 bytes with 4-byte alignment, so that a call's
    /// `Result<T, BreakerError<E>>` with a word-sized `T` and `E` fits in two registers.
    retry_after: [u32; 2],
}

const UNKNOWN: u64 = u64::MAX;

/// A breaker's name as a rejection carries it: its index in the process's table of
/// breaker names, so that rejecting a call copies 4 bytes and touches no shared count.
/// Each distinct name is stored once for the life of the process.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct BreakerName(u32);

/// Every breaker name seen by this process, each stored once: the names in order of
/// first use, and each name's index.
#[derive(Default)]
struct Names {
    list: Vec<&'static str>,
    index: HashMap<&'static str, u32>,
}

static NAMES: LazyLock<RwLock<Names>> = LazyLock::new(RwLock::default);

impl BreakerName {
    /// The index of `name` and the stored name, stored now if this is its first use. A
    /// process that has used more than `u32::MAX` distinct names shares the last index
    /// among the rest.
    pub(crate) fn intern(name: &str) -> (Self, &'static str) {
        let found = |names: &Names| {
            let (&stored, &index) = names.index.get_key_value(name)?;
            Some((BreakerName(index), stored))
        };
        if let Some(found) = found(&NAMES.read().unwrap_or_else(PoisonError::into_inner)) {
            return found;
        }
        let mut names = NAMES.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = found(&names) {
            return found;
        }
        let stored: &'static str = Box::leak(Box::from(name));
        let Ok(index) = u32::try_from(names.list.len()) else {
            return (BreakerName(u32::MAX), stored);
        };
        names.list.push(stored);
        names.index.insert(stored, index);
        (BreakerName(index), stored)
    }

    fn as_str(self) -> &'static str {
        let names = NAMES.read().unwrap_or_else(PoisonError::into_inner);
        let index = usize::try_from(self.0).unwrap_or(usize::MAX);
        names
            .list
            .get(index)
            .or(names.list.last())
            .copied()
            .unwrap_or_default()
    }
}

impl fmt::Debug for BreakerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl CircuitOpen {
    /// A rejection by the breaker named `name`.
    #[inline]
    pub(crate) fn named(name: BreakerName, retry_after: Option<Duration>) -> Self {
        let nanos = retry_after.map_or(UNKNOWN, |d| {
            u64::try_from(d.as_nanos()).unwrap_or(UNKNOWN - 1)
        });
        // Truncations by design: the two halves of one u64.
        #[allow(clippy::cast_possible_truncation)]
        let retry_after = [nanos as u32, (nanos >> 32) as u32];
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
    pub fn name(&self) -> &'static str {
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
        let [low, high] = self.retry_after;
        let nanos = u64::from(high) << 32 | u64::from(low);
        (nanos != UNKNOWN).then(|| Duration::from_nanos(nanos))
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{BreakerName, CircuitOpen};

    #[test]
    fn a_name_is_kept_once_and_outlives_its_breakers() {
        let (first, _) = BreakerName::intern("error-tests-name");
        let (again, stored) = BreakerName::intern(&String::from("error-tests-name"));
        let (other, _) = BreakerName::intern("error-tests-other");
        assert_eq!(stored, "error-tests-name");
        assert_eq!(first, again);
        assert_ne!(first, other);
        let open = CircuitOpen::named(first, None);
        assert_eq!(open.name(), "error-tests-name");
        assert_eq!(CircuitOpen::named(other, None).name(), "error-tests-other");
        // A breaker's rejection keeps its name after the breaker is gone.
        let breaker = crate::CircuitBreaker::builder("error-tests-dropped")
            .build()
            .unwrap();
        breaker.force_open();
        let rejected = breaker.try_acquire().unwrap_err();
        drop(breaker);
        assert_eq!(rejected.name(), "error-tests-dropped");
        assert_eq!(
            format!("{rejected:?}"),
            "CircuitOpen { name: \"error-tests-dropped\", retry_after: None }"
        );
    }

    #[test]
    fn the_time_to_the_probe_keeps_every_nanosecond() {
        let (name, _) = BreakerName::intern("error-tests-time");
        for nanos in [
            0,
            1,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            30_000_000_007,
            u64::MAX - 1,
        ] {
            let open = CircuitOpen::named(name, Some(Duration::from_nanos(nanos)));
            assert_eq!(
                open.retry_after(),
                Some(Duration::from_nanos(nanos)),
                "{nanos} ns"
            );
        }
        assert_eq!(CircuitOpen::named(name, None).retry_after(), None);
        // Longer than u64 nanoseconds: kept as the longest time that is not "unknown".
        let open = CircuitOpen::named(name, Some(Duration::MAX));
        assert_eq!(open.retry_after(), Some(Duration::from_nanos(u64::MAX - 1)));
    }
}
