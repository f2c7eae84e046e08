//! The misbehaviour script: when each local service has its outage.
//!
//! Time is measured from the start of the demo on the system [`Clock`] and repeats every
//! [`PERIOD`]. Outages are staggered so that the breakers open one after another in the
//! first seconds, and each lasts longer than a recovery timeout, so that the first probe
//! fails and the breaker opens again before it recovers: every breaker shows the whole
//! cycle (closed, open, half-open, open, half-open, closed) within about six seconds.
//! Outside its outage a service still misbehaves a little (slow answers, the odd
//! rate-limit), which the retries absorb.

use std::ops::Range;
use std::time::Duration;

use staunch::Clock;

/// The length of one cycle of the script.
pub(crate) const PERIOD: Duration = Duration::from_secs(15);

/// The three local services the demo calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Service {
    Llm,
    Mcp,
    Database,
}

impl Service {
    pub(crate) const ALL: [Service; 3] = [Service::Llm, Service::Mcp, Service::Database];

    /// The name of the service's breaker.
    pub(crate) fn breaker_name(self) -> &'static str {
        match self {
            Service::Llm => "llm",
            Service::Mcp => "mcp",
            Service::Database => "database",
        }
    }

    /// When, within each period, the service is down.
    fn outage(self) -> Range<Duration> {
        let ms = Duration::from_millis;
        match self {
            Service::Llm => ms(1_000)..ms(3_000),
            Service::Mcp => ms(1_500)..ms(3_500),
            Service::Database => ms(2_000)..ms(4_000),
        }
    }
}

/// Shared by the services: a clock and the moment the demo started.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    clock: Clock,
    start: Duration,
    seed: u64,
    /// No outages (a fleet's replicas but the first).
    calm: bool,
}

impl Script {
    /// A script starting now on `clock`; `seed` drives the services' random choices.
    pub(crate) fn start(clock: Clock, seed: u64) -> Self {
        let start = clock.now();
        Self {
            clock,
            start,
            seed,
            calm: false,
        }
    }

    /// The same script without its outages.
    pub(crate) fn calm(self) -> Self {
        Self { calm: true, ..self }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Time since the demo started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }

    /// Whether `service` is in its outage now.
    pub(crate) fn is_down(&self, service: Service) -> bool {
        !self.calm && is_down_at(service, self.elapsed())
    }

    /// A random source for request number `n` of `service`: the same seed gives the same
    /// answers in the same order.
    pub(crate) fn rng(&self, service: Service, n: u64) -> fastrand::Rng {
        let salt = (service as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        fastrand::Rng::with_seed(self.seed ^ salt ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }
}

fn is_down_at(service: Service, elapsed: Duration) -> bool {
    let period = PERIOD.as_nanos();
    let within = Duration::from_nanos((elapsed.as_nanos() % period) as u64);
    service.outage().contains(&within)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_staggered_and_repeat() {
        let s = Duration::from_secs_f64;
        assert!(!is_down_at(Service::Llm, s(0.5)));
        assert!(is_down_at(Service::Llm, s(1.0)));
        assert!(!is_down_at(Service::Llm, s(3.0)));
        assert!(is_down_at(Service::Mcp, s(3.4)));
        assert!(is_down_at(Service::Database, s(3.9)));
        assert!(is_down_at(Service::Llm, PERIOD + s(2.0)));
    }

    #[test]
    fn the_same_seed_gives_the_same_choices() {
        let script = Script::start(Clock::system(), 7);
        let a = script.rng(Service::Llm, 3).u32(..);
        let b = script.rng(Service::Llm, 3).u32(..);
        let c = script.rng(Service::Mcp, 3).u32(..);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
