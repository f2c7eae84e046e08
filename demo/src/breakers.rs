//! The demo's breakers and retry policies, all in this one module.
//!
//! Three breakers, `llm`, `mcp` and `database`, are registered in [`Registry::global`],
//! where the dashboard finds them. The recovery timeouts are short (one second) so that the
//! demo shows whole cycles in a few seconds; production settings would be tens of seconds.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use staunch::{BreakerError, CircuitBreaker, ConfigError, Jitter, Registry, RetryPolicy, Verdict};

use crate::clients::CallError;
use crate::script::Service;
use crate::stats::Outcome;

/// Consecutive counted failures that open a breaker.
const FAILURE_THRESHOLD: u32 = 5;
/// How long an open breaker rejects calls before it lets a probe through.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(1);

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
        let breaker = CircuitBreaker::builder(name)
            .failure_threshold(FAILURE_THRESHOLD)
            .recovery_timeout(RECOVERY_TIMEOUT)
            .build()?;
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
