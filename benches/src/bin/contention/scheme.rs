//! The backoff schemes of the article, each as a staunch [`Backoff`] where staunch has
//! one, with the published simulator's exact arithmetic.
//!
//! The published simulator numbers the first retry `n = 1` and uses
//! `expo(n) = min(cap, base · 2^n)`, so its first un-jittered wait is `2 · base`, and its
//! full and equal jitter draw inside `expo(n)`. staunch's `exponential(d)` waits
//! `d · 2^(n−1)` and jitters retry `n` up to the ceiling of retry `n + 1`, which makes
//! `exponential(base)` with jitter and `exponential(2 · base)` without it the same
//! schedules, draw for draw.

use std::time::Duration;

use staunch::{Backoff, Jitter};

/// The article's base delay.
pub(crate) const BASE: Duration = Duration::from_millis(5);
/// The article's cap.
pub(crate) const CAP: Duration = Duration::from_secs(2);

/// One way of choosing the waits of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Retry at once (`NoBackoff`).
    NoBackoff,
    /// `min(cap, base · 2^n)`, no jitter (`ExpoBackoff`).
    Exponential,
    /// `U(0, expo(n))` (`ExpoBackoffFullJitter`).
    Full,
    /// `expo(n)/2 + U(0, expo(n)/2)` (`ExpoBackoffEqualJitter`).
    Equal,
    /// staunch's decorrelated jitter: `U(base, min(cap, 3·previous))`, random at the cap.
    Decorrelated,
    /// The article's exact form, `min(cap, U(base, 3·previous))` (`ExpoBackoffDecorr`),
    /// which piles up at the cap; staunch does not offer it, so it is computed here.
    AwsDecorrelated,
}

/// Every scheme, in the order of the tables.
pub(crate) const SCHEMES: [Scheme; 6] = [
    Scheme::NoBackoff,
    Scheme::Exponential,
    Scheme::Full,
    Scheme::Equal,
    Scheme::AwsDecorrelated,
    Scheme::Decorrelated,
];

impl Scheme {
    /// The name used in tables and CSV; the five schemes of the published simulator
    /// carry its names.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scheme::NoBackoff => "None",
            Scheme::Exponential => "Exponential",
            Scheme::Full => "FullJitter",
            Scheme::Equal => "EqualJitter",
            Scheme::AwsDecorrelated => "Decorr",
            Scheme::Decorrelated => "DecorrStaunch",
        }
    }

    /// The waits of one client, retry after retry.
    pub(crate) fn waits(self, seed: u64) -> Box<dyn Iterator<Item = Duration>> {
        let expo = Backoff::exponential(BASE)
            .with_max_delay(CAP)
            .with_seed(seed);
        match self {
            Scheme::NoBackoff => Box::new(Backoff::constant(Duration::ZERO).iter()),
            Scheme::Exponential => {
                Box::new(Backoff::exponential(BASE * 2).with_max_delay(CAP).iter())
            }
            Scheme::Full => Box::new(expo.with_jitter(Jitter::Full).iter()),
            Scheme::Equal => Box::new(expo.with_jitter(Jitter::Equal).iter()),
            Scheme::Decorrelated => Box::new(
                Backoff::decorrelated(BASE)
                    .with_max_delay(CAP)
                    .with_seed(seed)
                    .iter(),
            ),
            Scheme::AwsDecorrelated => Box::new(aws_decorrelated(seed)),
        }
    }
}

/// `sleep = min(cap, U(base, 3 · sleep))`, `sleep` starting at `base`.
fn aws_decorrelated(seed: u64) -> impl Iterator<Item = Duration> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (base, cap) = (BASE.as_nanos() as u64, CAP.as_nanos() as u64);
    let mut sleep = base;
    std::iter::from_fn(move || {
        sleep = rng.u64(base..=sleep.saturating_mul(3)).min(cap);
        Some(Duration::from_nanos(sleep))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(waits: impl Iterator<Item = Duration>, n: usize) -> Vec<u128> {
        waits.take(n).map(|d| d.as_millis()).collect()
    }

    #[test]
    fn exponential_matches_the_published_expo() {
        // expo(n) = min(2000, 5 · 2^n) for n = 1, 2, …
        assert_eq!(
            ms(Scheme::Exponential.waits(1), 10),
            [10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000]
        );
    }

    #[test]
    fn jittered_waits_stay_inside_the_published_bounds() {
        for seed in 0..50 {
            let full = Scheme::Full.waits(seed).take(12);
            let equal = Scheme::Equal.waits(seed).take(12);
            for (n, (f, e)) in full.zip(equal).enumerate() {
                let expo = (5u128 << (n + 1)).min(2000) * 1_000_000;
                assert!(f.as_nanos() <= expo, "full jitter retry {}: {f:?}", n + 1);
                let e = e.as_nanos();
                assert!(expo / 2 <= e && e <= expo, "equal jitter retry {}", n + 1);
            }
        }
    }
}
