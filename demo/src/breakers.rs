//! The demo's breakers and retry policies, all in this one module.
//!
//! Three breakers, `llm`, `mcp` and `database`, are registered in [`Registry::global`],
//! where the dashboard finds them. The recovery timeouts are short (one second) so that the
//! demo shows whole cycles in a few seconds; production settings would be tens of seconds.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use staunch::{BreakerError, CircuitBreaker, ConfigError, Registry};

use crate::clients::CallError;
use crate::script::Service;
use crate::stats::Outcome;

/// Consecutive counted failures that open a breaker.
const FAILURE_THRESHOLD: u32 = 5;
/// How long an open breaker rejects calls before it lets a probe through.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(1);

/// A breaker and the retry around it, for one service.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    breaker: CircuitBreaker,
}

impl Guard {
    /// Registers the breaker of `service` in `registry`, replacing one of the same name.
    fn install(registry: &Registry, service: Service) -> Result<Self, ConfigError> {
        let breaker = CircuitBreaker::builder(service.breaker_name())
            .failure_threshold(FAILURE_THRESHOLD)
            .recovery_timeout(RECOVERY_TIMEOUT)
            .build()?;
        registry.insert(breaker.clone());
        Ok(Self { breaker })
    }

    /// Runs `operation` under the breaker, with retries; returns how the call ended and
    /// how many attempts reached the service or the breaker.
    pub(crate) async fn call<T, F, Fut>(&self, mut operation: F) -> (Outcome, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let attempts = AtomicU32::new(0);
        let classify = |error: &CallError| error.verdict();
        let result = self
            .breaker
            .call_with(classify, || {
                // Relaxed: read after the call, on this task.
                attempts.fetch_add(1, Ordering::Relaxed);
                operation()
            })
            .await;
        let outcome = match result {
            Ok(_) => Outcome::Succeeded,
            Err(BreakerError::Open(_)) => Outcome::Rejected,
            Err(_) => Outcome::Failed,
        };
        (outcome, attempts.load(Ordering::Relaxed).max(1))
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
