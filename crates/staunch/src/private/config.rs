//! The arguments an attribute was given, as constants in the function's `static`.

use std::time::Duration;

use crate::Jitter;

/// What the attribute's arguments say; `None` falls back to the settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub(crate) name: &'static str,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) wait_min: Option<Duration>,
    pub(crate) wait_max: Option<Duration>,
    pub(crate) jitter: Option<Jitter>,
    pub(crate) seed: Option<u64>,
    pub(crate) failure_threshold: Option<u32>,
    pub(crate) recovery_timeout: Option<Duration>,
}

impl Config {
    /// No arguments, for the function or breaker called `name`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            max_attempts: None,
            wait_min: None,
            wait_max: None,
            jitter: None,
            seed: None,
            failure_threshold: None,
            recovery_timeout: None,
        }
    }

    /// `max_attempts = n`.
    pub const fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n);
        self
    }

    /// `wait_min = d`, or `base_wait = d`.
    pub const fn wait_min(mut self, d: Duration) -> Self {
        self.wait_min = Some(d);
        self
    }

    /// `wait_max = d`, or `max_wait = d`.
    pub const fn wait_max(mut self, d: Duration) -> Self {
        self.wait_max = Some(d);
        self
    }

    /// `jitter = ...`.
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// `seed = n`: a reproducible jitter sequence.
    pub const fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// `failure_threshold = n`.
    pub const fn failure_threshold(mut self, n: u32) -> Self {
        self.failure_threshold = Some(n);
        self
    }

    /// `recovery_timeout = d`.
    pub const fn recovery_timeout(mut self, d: Duration) -> Self {
        self.recovery_timeout = Some(d);
        self
    }
}
