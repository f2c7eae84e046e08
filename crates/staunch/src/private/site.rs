//! One attributed function: its arguments, merged once with the settings.

use std::sync::OnceLock;
use std::time::Duration;

use super::call::RetryCall;
use super::config::{Config, Jitter};
use crate::Clock;

/// The `static` each attributed function holds.
#[derive(Debug)]
pub struct Site {
    config: Config,
    resolved: OnceLock<Resolved>,
}

/// The arguments with the settings filled in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resolved {
    pub(crate) max_attempts: u32,
    pub(crate) wait_min: Duration,
    pub(crate) wait_max: Duration,
    pub(crate) jitter: Jitter,
    pub(crate) seed: Option<u64>,
    pub(crate) failure_threshold: u32,
    pub(crate) recovery_timeout: Duration,
}

impl Site {
    /// A site for a function given `config`.
    pub const fn new(config: Config) -> Self {
        Self {
            config,
            resolved: OnceLock::new(),
        }
    }

    /// The name breakers and metrics use.
    pub fn name(&self) -> &'static str {
        self.config.name
    }

    /// A retry-only call (`#[retry_on_exception]`, `#[retry_with_jitter]`).
    pub fn retry(&'static self, clock: Option<Clock>) -> RetryCall {
        RetryCall::new(self.name(), *self.resolved(), clock.unwrap_or_default())
    }

    pub(crate) fn resolved(&self) -> &Resolved {
        self.resolved.get_or_init(|| resolve(&self.config))
    }
}

fn resolve(config: &Config) -> Resolved {
    Resolved {
        max_attempts: config.max_attempts.unwrap_or(3),
        wait_min: config.wait_min.unwrap_or(Duration::from_secs(1)),
        wait_max: config.wait_max.unwrap_or(Duration::from_secs(10)),
        jitter: config.jitter.unwrap_or(Jitter::None),
        seed: config.seed,
        failure_threshold: config.failure_threshold.unwrap_or(10),
        recovery_timeout: config.recovery_timeout.unwrap_or(Duration::from_secs(60)),
    }
}
