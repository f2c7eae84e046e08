//! The user guide: from a first call to production settings. Every example here is
//! compiled and run as a test.
//!
//! # Quick start
//!
//! One [`Policy`](crate::Policy) combines a retry budget, a retry, a circuit breaker and a
//! per-attempt timeout. Build it once, share it (clones are cheap), call through it from
//! async or blocking code with the same names:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use staunch::{classify, Policy};
//!
//! let policy = Policy::builder("inventory")
//!     .max_attempts(3)                           // attempts in total
//!     .failure_threshold(5)                      // consecutive failures that open the circuit
//!     .recovery_timeout(Duration::from_secs(60)) // how long it stays open
//!     .attempt_timeout(Duration::from_secs(2))
//!     .build()?;
//!
//! let count = policy
//!     .call(|| async { Ok::<u32, std::io::Error>(12) })
//!     .when(classify::io::is_transient) // retry timeouts and resets, not `NotFound`
//!     .await?;
//! let again = policy.blocking(|| Ok::<u32, std::io::Error>(12)).when(classify::io::is_transient).call()?;
//! assert_eq!(count, again);
//! # Ok(()) }
//! ```
//!
//! The error, [`PolicyError`](crate::PolicyError), keeps your error by value and says
//! which layer ended the call ([`PolicyErrorKind`](crate::PolicyErrorKind)).
//!
//! # Coming from the Python module
//!
//! | Python | staunch |
//! |---|---|
//! | `@retry_on_exception(max_attempts=3, wait_min=1.0, wait_max=10.0, exception_types=(TimeoutError, ConnectionError))` | [`RetryPolicy::retry_on_exception()`](crate::RetryPolicy::retry_on_exception) and `.when(classify::io::is_transient)`; `#[retry_on_exception(...)]` (feature `macros`) |
//! | `@retry_with_jitter(max_attempts=5, base_wait=2.0, max_wait=10.0, jitter=True)` | [`RetryPolicy::retry_with_jitter()`](crate::RetryPolicy::retry_with_jitter), [`Jitter`](crate::Jitter) full / equal / decorrelated / none; `#[retry_with_jitter(...)]` |
//! | `CircuitBreaker(failure_threshold=5, recovery_timeout=60, expected_exception=E)` | [`CircuitBreaker::builder(name)`](crate::CircuitBreaker::builder), `.call_with(classify::when(is_e), f)`; `#[circuit_breaker(...)]` |
//! | `breaker.state`, `CircuitState.OPEN`, `breaker.failure_count`, `breaker.reset()`, `state.value` | [`state()`](crate::CircuitBreaker::state), [`CircuitState::Open`](crate::CircuitState), [`failure_count()`](crate::CircuitBreaker::failure_count), [`reset()`](crate::CircuitBreaker::reset), [`as_str()`](crate::CircuitState::as_str) = `"open"` |
//! | `CircuitBreakerError` | [`CircuitOpen`](crate::CircuitOpen): the breaker's name and [`retry_after()`](crate::CircuitOpen::retry_after) |
//! | `tenacity.RetryError` | [`RetryError`](crate::RetryError) / [`PolicyError`](crate::PolicyError): attempts, elapsed time, the last error by value |
//! | `@resilient(max_attempts=3, failure_threshold=5, recovery_timeout=60, exception_types=(...))` | [`Policy::resilient(3, 5, 60 s)`](crate::Policy::resilient) or [`Policy::builder`](crate::Policy::builder) with `.when(..)`; `#[resilient(...)]` |
//! | `LLM_CIRCUIT_BREAKER`, `MCP_CIRCUIT_BREAKER`, `DATABASE_CIRCUIT_BREAKER` | the same names ([`presets`](crate::presets)), plus [`Policy::llm()`](crate::Policy::llm), [`Policy::mcp()`](crate::Policy::mcp), [`Policy::database()`](crate::Policy::database) |
//! | sync and async functions | `call(f).await` / `call_blocking(f)`; every attribute on `fn` and `async fn` |
//! | `logger.info("Circuit state", ...)`, a monitor loop | `tracing` events, [`add_listener`](crate::CircuitBreaker::add_listener), `watch()` (feature `tokio`) |
//! | `GET /api/v1/circuits` | [`Registry::global().snapshot()`](crate::Registry::snapshot) serializes to `{"llm": {"state": "closed", "failure_count": 0, ...}}` |
//! | `CIRCUIT_BREAKER_FAILURE_THRESHOLD=10` … `RETRY_WAIT_MAX=10.0`, `ResilienceSettings` | [`ResilienceSettings`](crate::ResilienceSettings), the same variables and defaults, `.env` with feature `dotenv` |
//! | fallback on `CircuitBreakerError` (cached response) | [`.fallback(..)`](crate::policy::PolicyCall::fallback); see [`fallback`] |
//!
//! # Classifying errors
//!
//! Every layer asks one [`Classify`](crate::Classify) about an error and gets one
//! [`Verdict`](crate::Verdict): retry it or not (the retry), count it or not (the breaker),
//! and an optional server delay hint (both). `.when(pred)` is the short form: matching
//! errors are retried and counted, the others returned at once and not counted.
//!
//! ```
//! use std::time::Duration;
//! use staunch::classify::http::status_verdict;
//! use staunch::{test_util::FakeClock, Policy, Verdict};
//!
//! #[derive(Debug)]
//! struct ApiError { status: u16, retry_after: Option<Duration> }
//!
//! fn verdict(e: &ApiError) -> Verdict {
//!     let verdict = status_verdict(e.status); // 429/5xx transient, 4xx ignored
//!     match e.retry_after {
//!         Some(wait) => verdict.with_delay_hint(wait),
//!         None => verdict,
//!     }
//! }
//!
//! let fake = FakeClock::new();
//! let policy = Policy::builder("api").clock(fake.clock()).build()?;
//! let mut replies = vec![Ok("done"), Err(ApiError { status: 429, retry_after: Some(Duration::from_secs(5)) })];
//! let reply = policy.blocking(|| replies.pop().unwrap()).classify(verdict).call();
//! assert_eq!(reply.ok(), Some("done"));
//! assert_eq!(fake.sleeps(), [Duration::from_secs(5)]); // Retry-After, not the 1 s backoff
//! # Ok::<(), staunch::ConfigError>(())
//! ```
//!
//! A timeout always counts and is always retried; so is an attempt that returns after its
//! timeout. Errors the classifier ignores don't move the breaker either way.
//!
//! # The behaviour table
//!
//! Every call form (a retry alone, a breaker alone, the combined policy; as a future, a
//! blocking call, a tower service or an attribute on `fn` and `async fn`) runs on one
//! engine, so an event means the same thing in each. A retry alone is a call without a
//! breaker; a breaker alone is a call of one attempt, with no retry events of its own.
//!
//! | what happens | the breaker | the call |
//! |---|---|---|
//! | an attempt succeeds in time | success | returns the value |
//! | an error the classifier calls transient | failure (if it counts) | retried after the backoff, or the error's delay hint up to `max_delay_hint`, while attempts, budget and deadline allow; then ends with the last error (`Exhausted`) |
//! | an error that is not retryable | counted as the verdict says | ends at once (`NotRetryable`) |
//! | an ignored error | nothing | ends at once, uncounted |
//! | an attempt runs out of time (its attempt timeout, capped at what the deadline leaves) | failure | async: the attempt is dropped; blocking: it is measured and a late `Err` counts as the timeout, a late `Ok` is returned; retried like a transient error, else `Timeout` |
//! | the attempt panics | failure | the panic unwinds on (no retry), sync and async alike |
//! | the future is dropped mid-attempt | nothing; a half-open slot is given back | |
//! | the breaker refuses an attempt | (counted as rejected) | waits exactly until the probe if that fits the retry's patience, else ends with `BreakerOpen` (attributes: at once, `E::from(CircuitOpen)`) |
//! | a failure leaves the circuit open | | the same rule: waits for the probe or ends with `BreakerOpen`, never sleeps into a refusal |
//! | the next wait would end at or past the deadline | | ends now with `Deadline` |
//! | the budget is empty | | ends with `BudgetExhausted` |
//! | the call ends with an error and has a fallback (`.fallback(..)` on a retry, a breaker call or a policy call, async or blocking) | as above: the fallback changes nothing the breaker counted | the fallback gets the form's final error (`RetryError`, `BreakerError`, `PolicyError`) once, after the last attempt or the refusal, and returns a value or hands the error back; a value emits `fallback used` (not for a breaker alone, which has no retry events). A value that `.when_ok` kept rejecting is returned as is, without the fallback |
//!
//! Events, on target `staunch::retry` for every form, with field `name`:
//!
//! | event | level | fields |
//! |---|---|---|
//! | `retrying` | debug | `attempt`, `delay_ms`, `reason` (`error`, `timeout`, `circuit open`, `ok value`, `error; waiting for the probe`), `error` |
//! | `gave up` | warn | `attempts`, `elapsed_ms`, `reason`, `layer`, `error` |
//! | `not retrying` | debug | the same, for an error that is not retryable |
//! | `call succeeded after retrying` | debug | `attempts` |
//! | `fallback used` | debug | `reason` |
//!
//! The integration test `policy_table` runs each scenario through every form and checks
//! that attempts, sleeps, outcome, breaker counts and events are identical.
//!
//! # The order of the layers
//!
//! Budget → retry → breaker → attempt timeout → your call, fixed. The retry sees every
//! refusal of the breaker and never retries it blindly: it waits exactly until the probe
//! when that fits its patience, and otherwise gives up at once with
//! [`PolicyErrorKind::BreakerOpen`](crate::PolicyErrorKind::BreakerOpen). The
//! [`policy`](crate::policy) module explains why, and what a timeout means in blocking
//! code.
//!
//! # Budgets
//!
//! Attempts per call don't bound the total load: during an outage every call is retried.
//! A [`RetryBudget`](crate::RetryBudget) does: each call deposits a fraction of a retry
//! (default 0.2), each retry withdraws one, with a reserve of 10 retries a second for quiet
//! clients. Share one budget between the policies that call one dependency.
//!
//! ```
//! use staunch::{Policy, RetryBudget};
//!
//! let budget = RetryBudget::default(); // 20 % of calls + 10/s, over 10 s
//! let reads = Policy::builder("db-reads").budget(budget.clone()).build()?;
//! let writes = Policy::builder("db-writes").budget(budget).build()?;
//! # let _ = (reads, writes);
//! # Ok::<(), staunch::ConfigError>(())
//! ```
//!
//! # Presets and settings
//!
//! [`Policy::llm()`](crate::Policy::llm), [`Policy::mcp()`](crate::Policy::mcp) and
//! [`Policy::database()`](crate::Policy::database) are process-wide, tuned for their
//! service, and read `LLM_…`, `MCP_…`, `DATABASE_…` variables before the plain ones; see
//! [`presets`](crate::presets) for the numbers and the reasons, and [`presets`] here for
//! recipes.
//!
//! # Testing
//!
//! Give policies a `test_util::FakeClock` (feature `test-util`):
//! sleeps advance it at once and are recorded, so tests of waits and timeouts run in
//! microseconds. See [`testing`].
//!
//! # Metrics
//!
//! With feature `metrics`, policies record `staunch_retry_*` and breakers
//! `staunch_circuit_*` through the `metrics` facade; the names, labels and their
//! Resilience4j counterparts are in one table in the [`policy`](crate::policy#observability)
//! docs.

#[doc = include_str!("guide/fallback.md")]
pub mod fallback {}

#[doc = include_str!("guide/presets.md")]
pub mod presets {}

#[doc = include_str!("guide/testing.md")]
pub mod testing {}
