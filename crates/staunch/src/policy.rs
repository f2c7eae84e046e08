//! The combined policy: a retry budget, a retry, a circuit breaker and a per-attempt
//! timeout in one value, the seed's `@resilient`, for async and blocking code.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::{io, time::Duration};
//! use staunch::{classify, test_util::FakeClock, Policy};
//!
//! // @resilient(max_attempts=3, failure_threshold=5, recovery_timeout=60, exception_types=(...))
//! let fake = FakeClock::new();
//! let policy = Policy::builder("inventory")
//!     .max_attempts(3)
//!     .failure_threshold(5)
//!     .recovery_timeout(Duration::from_secs(60))
//!     .clock(fake.clock())
//!     .build()?;
//!
//! let mut calls = 0;
//! let stock = policy
//!     .call(|| {
//!         calls += 1;
//!         let result = if calls < 3 { Err(io::Error::from(io::ErrorKind::TimedOut)) } else { Ok(12) };
//!         async move { result }
//!     })
//!     .when(classify::io::is_transient)
//!     .await?;
//! assert_eq!(stock, 12);
//!
//! // Blocking code: the same policy, the same names.
//! let stock = policy.blocking(|| Ok::<_, io::Error>(12)).when(classify::io::is_transient).call()?;
//! assert_eq!(stock, 12);
//! # Ok(()) }
//! ```
//!
//! | | async | blocking |
//! |---|---|---|
//! | every error transient | `policy.call(f).await` | `policy.call_blocking(f)` |
//! | refined | `policy.call(f).when(p).fallback(g).await` | `policy.blocking(f).when(p).fallback(g).call()` |
//!
//! # The order of the layers
//!
//! From the outside in: **budget → retry → breaker → timeout → your call**. The order is
//! fixed, because each layer must see what the one inside it decides:
//!
//! - **The budget and the retry are outside the breaker**, so that every attempt is
//!   judged by the breaker (each one takes a permit and reports its outcome) and so that
//!   a refusal by the breaker is seen by the retry, which can then decide with full
//!   knowledge instead of retrying a rejection blindly. With the breaker outside, one
//!   call of three failing attempts would count once, and a retry could never learn that
//!   the circuit has opened.
//! - **The breaker is outside the timeout**, so that a timeout counts as a failure of the
//!   dependency. A hung dependency is the outage a breaker exists for; with the timeout
//!   outside, the breaker would never see those failures.
//! - **The timeout is innermost**, so that it bounds one attempt, not the whole call: the
//!   next attempt gets its full time, or what the retry's
//!   [`deadline`](PolicyBuilder::deadline) leaves, if less. The deadline bounds the whole
//!   call: no attempt runs past it, and no wait ends at it.
//!
//! This is the order of Resilience4j's Spring aspects and of Microsoft's standard
//! resilience handler (retry, breaker, attempt timeout), and it is the one the seed's
//! `@resilient` implies.
//!
//! # The retry knows the breaker
//!
//! After a failure the retry looks at the breaker before it sleeps:
//!
//! - circuit closed: the usual backoff;
//! - circuit open, probe in `t`: if `t` fits the retry's patience, it waits
//!   `max(backoff, t)`, so the next attempt is exactly the probe; if not, the call ends
//!   now with [`PolicyErrorKind::BreakerOpen`] and the failure that opened it, rather
//!   than sleeping into a closed door;
//! - a refused attempt: the same rule with the refusal's
//!   [`retry_after`](crate::CircuitOpen::retry_after); when no probe time is known
//!   (forced open, or the half-open probes are all taken) the call ends at once.
//!
//! The patience is a budget for the whole call, not for each wait. A wait for a probe
//! (after a refusal, or after a failure that left the circuit open) is made only if all
//! of it, the backoff it may include too, fits what is left of the budget, and it then
//! uses that much up. The budget is:
//!
//! - [`max_probe_wait`](PolicyBuilder::max_probe_wait) if set: the waits for probes of
//!   one call add up to at most that;
//! - otherwise the time left before the deadline;
//! - otherwise what the backoff could wait over the whole call, `wait_max` ×
//!   (`max_attempts` − 1), less every wait the call has made so far (backoff and probes
//!   alike): waiting for probes never makes a call wait longer in all than its backoff
//!   could have.
//!
//! No wait ends at or past the deadline in any case. So the seed's numbers (60 s open,
//! waits of at most 10 s, 2 retries: 20 s) fail fast on an open circuit, as the seed did,
//! while a database preset with a 10 s recovery behind a deadline waits for its probe. A
//! call whose waits are spent ends with [`PolicyErrorKind::BreakerOpen`] at the next
//! open circuit.
//!
//! # Timeouts
//!
//! A timed-out attempt counts as a breaker failure (whatever the classifier would say)
//! and is retried like a transient error; if no attempt is left the call ends with
//! [`PolicyErrorKind::Timeout`]. In async code the attempt's future is dropped when its
//! time is up. Blocking code can't be interrupted, so the timeout there is measured: an
//! attempt that returns after its timeout still counts as a timeout failure for the
//! breaker (the dependency is too slow, whatever it answered). Its result is treated as
//! follows, in both APIs alike:
//!
//! - a late `Ok` is **returned**: the time is already spent, and throwing a valid
//!   answer away would only add a retry's load on a dependency that is already slow;
//!   the breaker still learns that it is slow and opens if that goes on;
//! - a late `Err` is treated as a timeout: retried, and kept as the
//!   [`last_error`](PolicyError::last_error).
//!
//! The async timer is started only when an attempt does not complete at once, so a call
//! that is ready at its first poll allocates nothing. On the system clock the timer is
//! tokio's (feature `tokio`); without it, one timer thread shared by every sleep,
//! which a dropped call cancels.
//!
//! # Budget
//!
//! With a [`RetryBudget`], each call deposits once and each retry
//! (after an error, a timeout, or a wait for a probe) withdraws one; when the budget is
//! empty the call ends with [`PolicyErrorKind::BudgetExhausted`] and the last error.
//! Budgets are opt-in for hand-built policies (a deposit costs a clock read per call);
//! the presets use one per service. See [`budget`](crate::budget) for the defaults.
//!
//! # Observability
//!
//! Events on target `staunch::retry`, the same for every call form: `retrying` (`name`, `attempt`, `delay_ms`,
//! `reason`, `error`) at `debug`; `gave up` (`name`, `attempts`, `elapsed_ms`, `reason`,
//! `layer`, `error`) at `warn`; `fallback used` at `debug`. The breaker adds its own
//! transition events. With feature `metrics`, a policy records the retry counters under
//! its name and its breaker records the circuit ones:
//!
//! | metric | type | labels | Resilience4j |
//! |---|---|---|---|
//! | `staunch_retry_calls_total` | counter | `name`, `kind` = `successful_without_retry` / `successful_with_retry` / `failed_without_retry` / `failed_with_retry` | `resilience4j_retry_calls` |
//! | `staunch_retry_attempts_total` | counter | `name` | (attempts, first included) |
//! | `staunch_circuit_state` | gauge, 1 for the current state | `name`, `state` | `resilience4j_circuitbreaker_state` |
//! | `staunch_circuit_calls_total` | counter | `name`, `kind` = `successful` / `failed` / `ignored` / `slow` | `resilience4j_circuitbreaker_calls` |
//! | `staunch_circuit_not_permitted_calls_total` | counter | `name` | `resilience4j_circuitbreaker_not_permitted_calls` |
//! | `staunch_circuit_transitions_total` | counter | `name`, `from`, `to` | (state transition events) |
//! | `staunch_circuit_failure_rate` | gauge | `name` | `resilience4j_circuitbreaker_failure_rate` |
//! | `staunch_circuit_slow_call_rate` | gauge | `name` | `resilience4j_circuitbreaker_slow_call_rate` |
//!
//! A timeout shows as a `failed` circuit call; a late success as a `failed` one too.

use std::sync::Arc;
use std::time::Duration;

mod blocking;
mod builder;
mod error;
mod fallback;
mod form;
mod future;
mod handle;
mod timeout;

pub use blocking::BlockingPolicyCall;
pub use builder::PolicyBuilder;
pub use error::{PolicyError, PolicyErrorKind};
pub use fallback::{Fallback, NoFallback};
pub use future::PolicyCall;
pub use timeout::AttemptTimeout;

use crate::{CircuitBreaker, Clock, RetryBudget, RetryPolicy};

/// A retry budget, a retry, a circuit breaker and a per-attempt timeout, combined in the
/// fixed order described in the [module docs](self).
///
/// A cheap handle: clones share everything, and the policy is not generic over the error
/// type: what counts as a failure is chosen at the call site (`.when(..)`,
/// `.classify(..)`), so one policy serves functions with different errors.
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, Policy};
///
/// let fake = FakeClock::new();
/// let policy = Policy::builder("db").clock(fake.clock()).build()?;
/// let rows: Result<Vec<u32>, _> = policy.call_blocking(|| Ok::<_, std::io::Error>(vec![1, 2]));
/// let count: Result<u64, _> = policy.call_blocking(|| "7".parse::<u64>());
/// assert_eq!((rows.unwrap().len(), count.unwrap()), (2, 7));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

struct Inner {
    retry: RetryPolicy,
    breaker: CircuitBreaker,
    budget: Option<RetryBudget>,
    attempt_timeout: Option<Duration>,
    max_probe_wait: Option<Duration>,
    clock: Clock,
    /// What a first attempt needs, worked out once from the fields above.
    shape: crate::engine::step::Shape,
    #[cfg(feature = "metrics")]
    metrics: crate::engine::events::Metrics,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Policy")
            .field("retry", &inner.retry)
            .field("breaker", &inner.breaker)
            .field("budget", &inner.budget)
            .field("attempt_timeout", &inner.attempt_timeout)
            .field("max_probe_wait", &inner.max_probe_wait)
            .field("clock", &inner.clock)
            .finish()
    }
}
