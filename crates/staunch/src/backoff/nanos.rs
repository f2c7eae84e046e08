//! Durations stored as nanoseconds in a `u64`, so that policies stay small.
//!
//! A [`Duration`] takes 16 bytes; a retry policy holds half a dozen and is copied into
//! every retried call, so its size is paid on every call, failed or not. Eight bytes of
//! nanoseconds reach about 584 years, the longest duration staunch accepts anywhere.
//! Anything longer, [`Duration::MAX`] included, is stored as `u64::MAX` and reads back as
//! [`Duration::MAX`]: "forever", as an uncapped backoff or an unlimited hint means.

use std::fmt;
use std::time::Duration;

/// A duration in whole nanoseconds, saturating at "forever" (`u64::MAX`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Nanos(u64);

impl Nanos {
    /// No time at all.
    pub(crate) const ZERO: Self = Self(0);
    /// Forever: what [`Duration::MAX`] and anything above `u64::MAX` nanoseconds become.
    pub(crate) const MAX: Self = Self(u64::MAX);

    /// `duration` in nanoseconds, or [`MAX`](Self::MAX) when it does not fit.
    #[inline]
    pub(crate) const fn from_duration(duration: Duration) -> Self {
        let nanos = duration.as_nanos();
        if nanos >= u64::MAX as u128 {
            Self::MAX
        } else {
            Self(nanos as u64)
        }
    }

    /// `nanos`, saturating at [`MAX`](Self::MAX).
    #[inline]
    pub(crate) const fn from_u128(nanos: u128) -> Self {
        if nanos >= u64::MAX as u128 {
            Self::MAX
        } else {
            Self(nanos as u64)
        }
    }

    /// Back to a `Duration`; [`MAX`](Self::MAX) reads as [`Duration::MAX`].
    #[inline]
    pub(crate) const fn to_duration(self) -> Duration {
        if self.0 == u64::MAX {
            Duration::MAX
        } else {
            Duration::from_nanos(self.0)
        }
    }

    /// `nanos` as they are, [`MAX`](Self::MAX) included: the inverse of
    /// [`as_u64`](Self::as_u64).
    #[inline]
    pub(crate) const fn from_u64(nanos: u64) -> Self {
        Self(nanos)
    }

    /// The nanoseconds as stored, `u64::MAX` for "forever".
    #[inline]
    pub(crate) const fn as_u64(self) -> u64 {
        self.0
    }

    /// The nanoseconds, widened for arithmetic that must not overflow.
    #[inline]
    pub(crate) const fn as_u128(self) -> u128 {
        self.0 as u128
    }
}

impl fmt::Debug for Nanos {
    /// As the duration it stands for (`1.5s`), like the `Duration` it replaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_duration(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_below_584_years_and_saturates_above() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_millis(1500),
            Duration::from_nanos(u64::MAX - 1),
        ] {
            assert_eq!(Nanos::from_duration(d).to_duration(), d);
        }
        assert_eq!(Nanos::from_duration(Duration::MAX), Nanos::MAX);
        assert_eq!(
            Nanos::from_duration(Duration::from_nanos(u64::MAX)),
            Nanos::MAX
        );
        assert_eq!(
            Nanos::from_duration(Duration::from_secs(u64::MAX / 2)),
            Nanos::MAX
        );
        assert_eq!(Nanos::MAX.to_duration(), Duration::MAX);
        assert_eq!(Nanos::from_u128(u128::MAX), Nanos::MAX);
        assert_eq!(
            Nanos::from_u128(7),
            Nanos::from_duration(Duration::from_nanos(7))
        );
    }

    #[test]
    fn orders_like_the_durations_it_stands_for() {
        let a = Nanos::from_duration(Duration::from_millis(1));
        let b = Nanos::from_duration(Duration::from_secs(1));
        assert!(Nanos::ZERO < a && a < b && b < Nanos::MAX);
    }

    #[test]
    fn debug_reads_like_a_duration() {
        assert_eq!(
            format!("{:?}", Nanos::from_duration(Duration::from_millis(1500))),
            "1.5s"
        );
    }
}
