//! The demo's breakers and retry policies, all in this one module.
//!
//! Three breakers, `llm`, `mcp` and `database`, are registered in [`Registry::global`],
//! where the dashboard finds them. The recovery timeouts are short (one second) so that the
//! demo shows whole cycles in a few seconds; production settings would be tens of seconds.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use staunch::{
    BreakerError, CircuitBreaker, CircuitBreakerBuilder, ConfigError, Jitter, Registry,
    RetryPolicy, Verdict,
};

use crate::clients::CallError;
use crate::script::Service;
use crate::stats::Outcome;

/// How long an open breaker rejects calls before it lets a probe through.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(1);

/// The breaker of each service, each showing one way of judging health:
///
/// - `llm`: the classic rule, five consecutive counted failures;
/// - `mcp`: the failure rate over the last 20 calls, at least 10 of them;
/// - `database`: the failure rate over the last 5 seconds, and slow queries (over 100 ms)
///   counted apart.
fn breaker(service: Service) -> CircuitBreakerBuilder {
    let builder =
        CircuitBreaker::builder(service.breaker_name()).recovery_timeout(RECOVERY_TIMEOUT);
    match service {
        Service::Llm => builder.failure_threshold(5),
        Service::Mcp => builder
            .count_window(20)
            .minimum_calls(10)
            .failure_rate_threshold(0.5),
        Service::Database => builder
            .time_window(Duration::from_secs(5), 5)
            .minimum_calls(10)
            .failure_rate_threshold(0.5)
            .slow_calls(Duration::from_millis(100), 0.8),
    }
}

/// A breaker and the retry around it, for one service.
///
/// The retry is outside and the breaker inside: each attempt asks the breaker, and a call
/// refused by an open breaker is not retried.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    breaker: CircuitBreaker,
    retry: RetryPolicy,
}

impl Guard {
    /// Registers the breaker of `service` in `registry`, replacing one of the same name.
    fn install(registry: &Registry, service: Service) -> Result<Self, ConfigError> {
        let name = service.breaker_name();
        let breaker = breaker(service).build()?;
        registry.insert(breaker.clone());
        // Three attempts, 50 ms doubling to 400 ms with full jitter; server hints up to 2 s.
        let retry = RetryPolicy::builder()
            .name(name)
            .max_attempts(3)
            .wait_min(Duration::from_millis(50))
            .wait_max(Duration::from_millis(400))
            .jitter(Jitter::Full)
            .max_delay_hint(Duration::from_secs(2))
            .build()?;
        Ok(Self { breaker, retry })
    }

    /// Runs `operation` under the retry and the breaker; returns how the call ended and how
    /// many attempts it made.
    pub(crate) async fn call<T, F, Fut>(&self, mut operation: F) -> (Outcome, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let attempts = AtomicU32::new(0);
        let breaker = &self.breaker;
        let result = self
            .retry
            .call(|| {
                // Relaxed: read after the call, on this task.
                attempts.fetch_add(1, Ordering::Relaxed);
                let attempt = operation();
                breaker.call_with(CallError::verdict, move || attempt)
            })
            .classify(verdict)
            .await;
        let outcome = match result {
            Ok(_) => Outcome::Succeeded,
            Err(err) if matches!(err.last_error(), BreakerError::Open(_)) => Outcome::Rejected,
            Err(_) => Outcome::Failed,
        };
        (outcome, attempts.load(Ordering::Relaxed).max(1))
    }
}

/// The retry's view of an attempt's error: the service's own classification, and no
/// retry of a call the open breaker refused.
fn verdict(error: &BreakerError<CallError>) -> Verdict {
    match error {
        BreakerError::Inner(error) => error.verdict(),
        _ => Verdict::IGNORE,
    }
}

/// The guards of the three services.
#[derive(Debug, Clone)]
pub(crate) struct Guards {
    pub(crate) llm: Guard,
    pub(crate) mcp: Guard,
    pub(crate) database: Guard,
}

impl Guards {
    /// Registers the three breakers in `registry`.
    pub(crate) fn install(registry: &Registry) -> Result<Self, ConfigError> {
        Ok(Self {
            llm: Guard::install(registry, Service::Llm)?,
            mcp: Guard::install(registry, Service::Mcp)?,
            database: Guard::install(registry, Service::Database)?,
        })
    }
}
