//! Validation of a builder's settings into the breaker's fixed configuration; every
//! error names the field and the bad value.

use std::fmt;
use std::time::Duration;

use super::{CircuitBreakerBuilder, WindowSpec};
use crate::breaker::core::Config;
use crate::breaker::open_period::OpenPeriod;
use crate::breaker::window::{count, Thresholds};
use crate::breaker::word::{Rules, MAX_FAILURE_THRESHOLD, MAX_PROBES};
use crate::error::ConfigError;

/// The largest [`open_jitter`](CircuitBreakerBuilder::open_jitter).
pub(crate) const MAX_OPEN_JITTER: f64 = 0.5;
/// The longest [`transition_history`](CircuitBreakerBuilder::transition_history).
pub(crate) const MAX_HISTORY: usize = 4096;

impl CircuitBreakerBuilder {
    pub(super) fn config(&self) -> Result<Config, ConfigError> {
        let bad = |field: &'static str, value: &dyn fmt::Display, reason: String| {
            Err(ConfigError::new(field, value, reason))
        };
        if self.history > MAX_HISTORY {
            let reason = format!("must be at most {MAX_HISTORY}");
            return bad("transition_history", &self.history, reason);
        }
        if self.name.is_empty() {
            return bad("name", &"", "must not be empty".into());
        }
        if self.recovery_timeout.is_zero() {
            return bad(
                "recovery_timeout",
                &"0s",
                "must be greater than zero".into(),
            );
        }
        let thresholds = self.thresholds()?;
        let consecutive = match (self.failure_threshold, self.window) {
            (Some(n), Some(_)) => {
                return bad(
                    "failure_threshold",
                    &n,
                    "cannot be combined with a failure-rate window".into(),
                )
            }
            (Some(n), None) if n == 0 || n > MAX_FAILURE_THRESHOLD => {
                return bad(
                    "failure_threshold",
                    &n,
                    format!("must be in 1..={MAX_FAILURE_THRESHOLD}"),
                )
            }
            (n, None) => Some(n.unwrap_or(5)),
            (None, Some(_)) => None,
        };
        let probes = self.half_open_probes;
        if probes == 0 || probes > MAX_PROBES {
            return bad(
                "half_open_probes",
                &probes,
                format!("must be in 1..={MAX_PROBES}"),
            );
        }
        if self.success_threshold == 0 || self.success_threshold > probes {
            let reason = format!("must be in 1..=half_open_probes ({probes})");
            return bad("success_threshold", &self.success_threshold, reason);
        }
        let open = self.open_period()?;
        let observed = self.window.is_some() || self.slow.is_some() || cfg!(feature = "metrics");
        Ok(Config {
            rules: Rules {
                consecutive,
                success_threshold: self.success_threshold,
            },
            max_probes: probes,
            thresholds,
            slow_threshold: self.slow.map(|(d, _)| d),
            slow_detection: self.slow.is_some(),
            half_open_timeout: self.half_open_timeout.unwrap_or(self.recovery_timeout),
            open,
            observed,
            counted: observed || self.authority.is_some(),
        })
    }

    fn thresholds(&self) -> Result<Thresholds, ConfigError> {
        let rate = |field: &'static str, r: f64| {
            if r > 0.0 && r <= 1.0 {
                Ok((r * 1_000_000.0).round() as u32)
            } else {
                Err(ConfigError::new(field, r, "must be in (0, 1]"))
            }
        };
        let needs_window = |field: &'static str, value: &dyn fmt::Display| {
            Err(ConfigError::new(
                field,
                value,
                "needs a count_window or time_window",
            ))
        };
        let failure_ppm = self
            .failure_rate
            .map(|r| rate("failure_rate_threshold", r))
            .transpose()?;
        let slow_ppm = self.slow.map(|(_, r)| rate("slow_calls", r)).transpose()?;
        if let Some((d, _)) = self.slow {
            if d.is_zero() {
                return Err(ConfigError::new(
                    "slow_calls",
                    "0s",
                    "threshold must be greater than zero",
                ));
            }
        }
        let default_min = match self.window {
            None if self.failure_rate.is_some() => {
                return needs_window("failure_rate_threshold", &self.failure_rate.unwrap_or(0.0))
            }
            None if self.slow.is_some() => {
                return needs_window(
                    "slow_calls",
                    &format!("{:?}", self.slow.map(|s| s.0).unwrap_or_default()),
                )
            }
            None if self.minimum_calls.is_some() => {
                return needs_window("minimum_calls", &self.minimum_calls.unwrap_or(0))
            }
            None => 1,
            Some(WindowSpec::Count(n)) => {
                if n == 0 || n > count::MAX_SIZE {
                    return Err(ConfigError::new(
                        "count_window",
                        n,
                        format!("must be in 1..={}", count::MAX_SIZE),
                    ));
                }
                n
            }
            Some(WindowSpec::Time(length, buckets)) => {
                if buckets == 0 || buckets > 1000 {
                    return Err(ConfigError::new(
                        "time_window",
                        format!("{buckets} buckets"),
                        "must have 1..=1000 buckets",
                    ));
                }
                if length < Duration::from_millis(u64::from(buckets)) {
                    return Err(ConfigError::new(
                        "time_window",
                        format!("{length:?}"),
                        "each bucket must span at least 1ms",
                    ));
                }
                10
            }
        };
        let min_calls = self.minimum_calls.unwrap_or(default_min);
        if min_calls == 0 {
            return Err(ConfigError::new("minimum_calls", 0, "must be at least 1"));
        }
        if let Some(WindowSpec::Count(n)) = self.window {
            if min_calls > n {
                return Err(ConfigError::new(
                    "minimum_calls",
                    min_calls,
                    format!("must not exceed count_window ({n})"),
                ));
            }
        }
        // A window judges the failure rate at 50 % unless told otherwise.
        let failure_ppm = failure_ppm.or(Some(500_000));
        Ok(Thresholds {
            failure_ppm,
            slow_ppm,
            min_calls,
        })
    }

    fn open_period(&self) -> Result<OpenPeriod, ConfigError> {
        let max = self.open_max.unwrap_or(self.recovery_timeout);
        if max < self.recovery_timeout {
            let reason = format!(
                "must be at least recovery_timeout ({:?})",
                self.recovery_timeout
            );
            return Err(ConfigError::new("open_backoff", format!("{max:?}"), reason));
        }
        // At most half the period is taken off, so an open period is never shorter than
        // half the recovery timeout (a jitter of 1 could make it about zero).
        if !(0.0..=MAX_OPEN_JITTER).contains(&self.open_jitter) {
            return Err(ConfigError::new(
                "open_jitter",
                self.open_jitter,
                format!("must be in [0, {MAX_OPEN_JITTER}]"),
            ));
        }
        if self.half_open_timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::new(
                "half_open_timeout",
                "0s",
                "must be greater than zero",
            ));
        }
        if let Some(cap) = self.hint_cap {
            if cap.is_zero() {
                return Err(ConfigError::new(
                    "hold_open_on_delay_hint",
                    "0s",
                    "cap must be greater than zero",
                ));
            }
        }
        let seed = self.seed.unwrap_or_else(|| fastrand::u64(..));
        Ok(OpenPeriod::new(
            self.recovery_timeout,
            max,
            self.open_jitter,
            self.hint_cap,
            seed,
        ))
    }
}
