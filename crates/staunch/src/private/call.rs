//! One call of an attributed function: before and after each attempt.

use std::ops::ControlFlow;
use std::time::Duration;

use super::config::Jitter;
use super::site::Resolved;
use super::Outcome;
use crate::classify::Classify;
use crate::Clock;

/// The admission of a retry-only attempt: nothing to hold.
#[derive(Debug)]
pub struct NoPermit(());

/// A call of a function under `#[retry_on_exception]` or `#[retry_with_jitter]`.
#[derive(Debug)]
pub struct RetryCall {
    name: &'static str,
    config: Resolved,
    clock: Clock,
    attempts: u32,
    previous: Duration,
    rng: fastrand::Rng,
}

impl RetryCall {
    pub(crate) fn new(name: &'static str, config: Resolved, clock: Clock) -> Self {
        let rng = config
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Self {
            name,
            config,
            clock,
            attempts: 0,
            previous: config.wait_min,
            rng,
        }
    }

    /// Admits the next attempt.
    #[inline]
    pub fn before<R>(&mut self) -> ControlFlow<R, NoPermit> {
        self.attempts += 1;
        ControlFlow::Continue(NoPermit(()))
    }

    /// Returns `result`, or sleeps and asks for another attempt.
    pub fn after_blocking<R, C>(&mut self, _: NoPermit, result: R, classifier: C) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        match self.decide(result, &classifier) {
            ControlFlow::Break(result) => ControlFlow::Break(result),
            ControlFlow::Continue(delay) => {
                self.clock.sleep_blocking(delay);
                ControlFlow::Continue(())
            }
        }
    }

    /// Returns `result`, or sleeps and asks for another attempt.
    pub async fn after<R, C>(&mut self, _: NoPermit, result: R, classifier: C) -> ControlFlow<R>
    where
        R: Outcome,
        C: Classify<R::Err>,
    {
        match self.decide(result, &classifier) {
            ControlFlow::Break(result) => ControlFlow::Break(result),
            ControlFlow::Continue(delay) => {
                self.clock.sleep(delay).await;
                ControlFlow::Continue(())
            }
        }
    }

    fn decide<R: Outcome, C: Classify<R::Err>>(
        &mut self,
        result: R,
        classifier: &C,
    ) -> ControlFlow<R, Duration> {
        let Some(error) = result.error() else {
            return ControlFlow::Break(result);
        };
        let verdict = classifier.classify(error);
        if !verdict.should_retry() || self.attempts >= self.config.max_attempts {
            return ControlFlow::Break(result);
        }
        let _ = self.name;
        let delay = self.delay().max(verdict.delay_hint().unwrap_or_default());
        ControlFlow::Continue(delay.min(self.config.wait_max.max(delay)))
    }

    fn delay(&mut self) -> Duration {
        let (base, cap) = (self.config.wait_min, self.config.wait_max);
        let exp = base
            .saturating_mul(1u32 << (self.attempts - 1).min(31))
            .min(cap);
        let d = match self.config.jitter {
            Jitter::None => exp,
            Jitter::Full => exp.mul_f64(self.rng.f64()),
            Jitter::Equal => exp / 2 + (exp / 2).mul_f64(self.rng.f64()),
            Jitter::Decorrelated => {
                let hi = self.previous.saturating_mul(3).min(cap);
                base + (hi.saturating_sub(base)).mul_f64(self.rng.f64())
            }
        };
        self.previous = d;
        d
    }
}
