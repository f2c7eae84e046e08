//! The delay iterator and its saturating arithmetic.
//!
//! Delays are computed in `u128` nanoseconds, which hold `Duration::MAX` (about 1.8e28 ns)
//! and any product of two such values' logarithmic growth without wrapping; every step
//! saturates and is clamped into `[floor, cap]` before it turns back into a `Duration`.

use std::time::Duration;

use super::{Backoff, Jitter, Strategy};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// The delays of a [`Backoff`], one per retry; an endless iterator.
///
/// [`nth`](Iterator::nth) jumps in constant time, so `iter().nth(u32::MAX as usize)` is
/// cheap and yields the cap of a growing backoff.
///
/// ```
/// use std::time::Duration;
/// use staunch::Backoff;
///
/// let mut delays = Backoff::exponential(Duration::from_secs(1))
///     .with_max_delay(Duration::from_secs(10))
///     .iter();
/// assert_eq!(delays.next(), Some(Duration::from_secs(1)));
/// assert_eq!(delays.retries(), 1);
/// assert_eq!(delays.nth(1_000_000), Some(Duration::from_secs(10)));
/// ```
#[derive(Clone, Debug)]
pub struct Delays {
    backoff: Backoff,
    /// Retries handed out so far; the next one is `retry + 1`.
    retry: u32,
    /// The previous delay, for decorrelated jitter.
    prev: u128,
    /// Created on the first jittered draw, so schedules without jitter never seed.
    rng: Option<fastrand::Rng>,
}

impl Delays {
    #[inline]
    pub(crate) fn new(backoff: Backoff) -> Self {
        Self {
            backoff,
            retry: 0,
            prev: backoff.first.as_nanos(),
            rng: None,
        }
    }

    /// How many delays this iterator has handed out (saturating at `u32::MAX`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let mut delays = staunch::Backoff::constant(Duration::from_secs(1)).iter();
    /// delays.next();
    /// delays.next();
    /// assert_eq!(delays.retries(), 2);
    /// ```
    pub fn retries(&self) -> u32 {
        self.retry
    }

    /// The ceiling of retry `n` (1-based): its raw delay clamped into `[floor, cap]`.
    fn ceiling(&self, n: u32) -> u128 {
        let b = &self.backoff;
        let cap = b.cap.as_nanos();
        let floor = b.floor.as_nanos().min(cap);
        raw_delay(b.strategy, b.first.as_nanos(), n, cap).clamp(floor, cap)
    }

    fn draw(&mut self, lo: u128, hi: u128) -> u128 {
        if lo >= hi {
            return lo;
        }
        let seed = self.backoff.seed;
        let rng = self.rng.get_or_insert_with(|| match seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        });
        rng.u128(lo..=hi)
    }

    fn delay(&mut self, n: u32) -> u128 {
        let b = self.backoff;
        let floor = b.floor.as_nanos().min(b.cap.as_nanos());
        let delay = match b.jitter {
            Jitter::None => self.ceiling(n),
            Jitter::Full => {
                let hi = self.ceiling(n.saturating_add(1));
                self.draw(floor, hi)
            }
            Jitter::Equal => {
                let hi = self.ceiling(n.saturating_add(1));
                self.draw(floor.max(hi / 2), hi)
            }
            Jitter::Decorrelated => {
                let spread = b.first.as_nanos().max(self.prev.saturating_mul(3));
                let hi = self.ceiling(n.saturating_add(1)).min(spread).max(floor);
                self.draw(floor, hi)
            }
        };
        self.prev = delay;
        delay
    }
}

impl Iterator for Delays {
    type Item = Duration;

    #[inline]
    fn next(&mut self) -> Option<Duration> {
        self.retry = self.retry.saturating_add(1);
        Some(from_nanos(self.delay(self.retry)))
    }

    fn nth(&mut self, n: usize) -> Option<Duration> {
        let skip = u32::try_from(n).unwrap_or(u32::MAX);
        self.retry = self.retry.saturating_add(skip);
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// The un-clamped delay of retry `n` (1-based), saturating at `cap` (or beyond it).
fn raw_delay(strategy: Strategy, first: u128, n: u32, cap: u128) -> u128 {
    let steps = u128::from(n.saturating_sub(1));
    match strategy {
        Strategy::Constant => first,
        Strategy::Linear { step } => first.saturating_add(step.as_nanos().saturating_mul(steps)),
        Strategy::Exponential { factor } => exponential(first, factor, steps, cap),
        Strategy::Fibonacci => fibonacci(first, n, cap),
    }
}

fn exponential(first: u128, factor: f64, steps: u128, cap: u128) -> u128 {
    if first == 0 || steps == 0 {
        return first;
    }
    let exponent = i32::try_from(steps).unwrap_or(i32::MAX);
    // Exact for the usual cases: powers of two and nanosecond counts below 2^53.
    let value = first as f64 * factor.powi(exponent);
    // NaN (a NaN factor) and anything at or past the cap become the cap.
    if value.is_nan() || value >= cap as f64 {
        cap
    } else if value <= 0.0 {
        0
    } else {
        value as u128
    }
}

fn fibonacci(first: u128, n: u32, cap: u128) -> u128 {
    if first == 0 {
        return 0;
    }
    let (mut current, mut next) = (1u128, 1u128);
    for _ in 1..n {
        // Growth is geometric, so this leaves the loop within ~140 rounds.
        if current.saturating_mul(first) >= cap {
            return cap;
        }
        (current, next) = (next, current.saturating_add(next));
    }
    current.saturating_mul(first)
}

/// Turns nanoseconds back into a `Duration`, saturating at `Duration::MAX`.
pub(crate) fn from_nanos(nanos: u128) -> Duration {
    match u64::try_from(nanos / NANOS_PER_SEC) {
        Ok(secs) => Duration::new(secs, (nanos % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_nanos_round_trips_and_saturates() {
        assert_eq!(from_nanos(Duration::MAX.as_nanos()), Duration::MAX);
        assert_eq!(from_nanos(u128::MAX), Duration::MAX);
        assert_eq!(from_nanos(1_500_000_000), Duration::from_millis(1500));
    }

    #[test]
    fn fibonacci_saturates_at_the_cap() {
        assert_eq!(fibonacci(1, u32::MAX, u128::MAX), u128::MAX);
        assert_eq!(fibonacci(5, 6, u128::MAX), 40);
    }

    #[test]
    fn exponential_handles_extremes() {
        assert_eq!(exponential(1, 1e300, 5, 1_000), 1_000);
        assert_eq!(exponential(1, f64::NAN, 5, 1_000), 1_000);
        assert_eq!(exponential(1_000, 1.0, u128::MAX, 1_000_000), 1_000);
        assert_eq!(exponential(u128::MAX, 2.0, 1, u128::MAX), u128::MAX);
    }
}
