//! How long the circuit stays open: the recovery timeout, growing on consecutive trips
//! (doubling, capped, optionally jittered below the cap), and held longer by a server's
//! delay hint when the breaker is told to honour hints.

use std::time::Duration;

use crate::sync::{AtomicU64, Ordering};

/// The open-period settings and the seedable random source for its jitter.
#[derive(Debug)]
pub(crate) struct OpenPeriod {
    pub(crate) base: Duration,
    pub(crate) max: Duration,
    /// Fraction in `0.0..=1.0`: the period is drawn from `[d·(1 − jitter), d]`, so it never
    /// exceeds the cap and stays random at the cap.
    pub(crate) jitter: f64,
    /// Longest hold a delay hint may ask for; `None`: hints are not honoured.
    pub(crate) hint_cap: Option<Duration>,
    /// SplitMix64 state. Relaxed: each draw needs only a distinct value.
    rng: AtomicU64,
}

impl OpenPeriod {
    pub(crate) fn new(
        base: Duration,
        max: Duration,
        jitter: f64,
        hint_cap: Option<Duration>,
        seed: u64,
    ) -> Self {
        Self {
            base,
            max,
            jitter,
            hint_cap,
            rng: AtomicU64::new(seed),
        }
    }

    /// The open period for the `trips`-th consecutive trip (1 for the first).
    pub(crate) fn duration(&self, trips: u32) -> Duration {
        let doublings = trips.saturating_sub(1);
        let grown = 1u32
            .checked_shl(doublings)
            .and_then(|factor| self.base.checked_mul(factor))
            .unwrap_or(Duration::MAX);
        let capped = grown.min(self.max);
        if self.jitter <= 0.0 {
            return capped;
        }
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        capped.mul_f64(1.0 - self.jitter * unit)
    }

    fn next_u64(&self) -> u64 {
        let mut z = self
            .rng
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The hold a hint asks for, capped; `None` when hints are not honoured.
    pub(crate) fn hint(&self, hint: Option<Duration>) -> Option<Duration> {
        Some(hint?.min(self.hint_cap?))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn doubles_up_to_the_cap_and_never_overflows() {
        let p = OpenPeriod::new(S(10), S(60), 0.0, None, 1);
        let got: Vec<_> = [1, 2, 3, 4, 200].iter().map(|t| p.duration(*t)).collect();
        assert_eq!(got, [S(10), S(20), S(40), S(60), S(60)]);
    }

    #[test]
    fn jitter_stays_below_the_cap_and_random_at_it() {
        let p = OpenPeriod::new(S(10), S(60), 0.5, None, 7);
        let draws: Vec<_> = (0..100).map(|_| p.duration(9)).collect();
        assert!(draws.iter().all(|d| *d <= S(60) && *d >= S(30)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
        let again = OpenPeriod::new(S(10), S(60), 0.5, None, 7);
        assert_eq!(again.duration(9), draws[0], "seeded");
    }

    #[test]
    fn hints_are_capped_and_opt_in() {
        let off = OpenPeriod::new(S(1), S(1), 0.0, None, 0);
        assert_eq!(off.hint(Some(S(5))), None);
        let on = OpenPeriod::new(S(1), S(1), 0.0, Some(S(120)), 0);
        assert_eq!(on.hint(Some(S(3600))), Some(S(120)));
        assert_eq!(on.hint(None), None);
    }
}
