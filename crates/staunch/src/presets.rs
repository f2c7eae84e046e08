//! Ready-made breakers and policies for the three dependencies of the seed: LLM APIs, MCP
//! servers and databases.
//!
//! [`LLM_CIRCUIT_BREAKER`], [`MCP_CIRCUIT_BREAKER`] and [`DATABASE_CIRCUIT_BREAKER`] are
//! process-wide: created on first use from [`ResilienceSettings`](crate::ResilienceSettings) read with a
//! per-service prefix (`LLM_`, `MCP_`, `DATABASE_`) over the per-service defaults below,
//! and registered in [`Registry::global`](crate::Registry::global) under `llm`, `mcp` and
//! `database` (if a breaker of that name is registered first, the preset is that one).
//! A breaker is not generic over the error type, so functions with different errors share
//! one. [`Policy::llm`], [`Policy::mcp`] and [`Policy::database`] wrap them with a retry,
//! an attempt timeout and a retry budget of their own service.
//!
//! ```
//! use staunch::presets::{LLM, LLM_CIRCUIT_BREAKER};
//! use staunch::{CircuitState, Policy, Registry};
//!
//! assert_eq!(LLM_CIRCUIT_BREAKER.name(), "llm");
//! assert!(Registry::global().get("llm").unwrap().ptr_eq(&LLM_CIRCUIT_BREAKER));
//! assert!(Policy::llm().breaker().ptr_eq(&LLM_CIRCUIT_BREAKER));
//! assert_eq!(LLM.defaults().retry_max_attempts, 3);
//! ```
//!
//! # Defaults, and why
//!
//! | setting | `LLM_` | `MCP_` | `DATABASE_` |
//! |---|---|---|---|
//! | `circuit_failure_threshold` | 5 | 3 | 5 |
//! | `circuit_recovery_timeout` | 60 s | 30 s | 10 s |
//! | `retry_max_attempts` | 3 | 2 | 3 |
//! | `retry_wait_min` | 2 s | 500 ms | 100 ms |
//! | `retry_wait_max` | 30 s | 5 s | 1 s |
//! | `attempt_timeout` | 120 s | 30 s | 5 s |
//! | jitter | full | full | full |
//! | breaker | failure rate ≥ 50 % over the last 20 calls (at least `circuit_failure_threshold` of them), slow calls ≥ 60 s at ≥ 50 % | consecutive failures | consecutive failures |
//! | `Retry-After` | honoured up to 60 s; holds the circuit open up to 120 s | honoured up to 60 s | honoured up to 60 s |
//! | retry budget | 20 % of calls + 10/s, over 10 s (one per service) | same | same |
//!
//! - **LLM APIs are slow and rate-limited.** A completion can take a minute, so the
//!   attempt timeout is long (120 s) and calls over 60 s count as slow: when half the
//!   recent calls are that slow the provider is degraded and the circuit opens. Rate
//!   limits are counted per minute, so the circuit stays open 60 s and waits start at
//!   2 s, jittered (many clients retry into the same limit). A `429` or `503` with
//!   `Retry-After` is honoured up to 60 s (a longer one ends the call rather than parking
//!   it), and keeps an opened circuit shut until then, up to 120 s. A rate over a window
//!   rather than consecutive failures, because a rate-limited provider answers some
//!   calls and refuses others, which never trips a consecutive count. Classify with
//!   [`classify::http::status_verdict`](crate::classify::http::status_verdict) and attach
//!   the hint with [`Verdict::with_delay_hint`](crate::Verdict::with_delay_hint).
//! - **MCP servers hang** more often than they fail: a stuck tool or a wedged stdio pipe
//!   answers nothing. The attempt timeout is the key defence (30 s, half the MCP SDKs'
//!   60 s request timeout, so the breaker sees the hang first); each hang costs a full
//!   timeout, so the circuit opens after 3 and a hung call is tried only twice. Local
//!   servers restart in seconds: 30 s open.
//! - **Databases are fast or broken.** Queries take milliseconds, so 5 s is a lock wait
//!   or a dead connection; waits are short (100 ms to 1 s) because a user is usually
//!   waiting; failovers and pool blips pass in seconds, so the circuit probes again after
//!   10 s.
//!
//! With these numbers an open circuit ends a database or MCP call at once (the probe is
//! further away than the retry would wait), while an LLM call, whose retries could wait
//! 2 × 30 s anyway, waits for the probe.
//!
//! # Settings
//!
//! Each field is read from `{PREFIX}{VARIABLE}`, then `{VARIABLE}`, then the defaults
//! above ([`settings`](crate::settings) has the rules): `LLM_RETRY_MAX_ATTEMPTS=2` tunes
//! the LLM preset alone, `RETRY_MAX_ATTEMPTS=2` every preset.
//!
//! A value the operator set is never replaced silently. Call
//! [`settings::check_env`](crate::settings::check_env) at start-up (or [`try_llm`],
//! [`try_mcp`], [`try_database`] for one preset) and refuse to start on its error, which
//! names the variable and its value. A preset that meets an invalid value anyway, at its
//! first use, does not panic: it logs an `error` event (target `staunch`, field `preset`)
//! naming the variable, runs on the defaults above, and is listed by
//! [`settings::fallbacks`](crate::settings::fallbacks), which the dashboard shows on the
//! breaker.
//!
//! To set them in code instead (shorter timeouts for a demo or a staging run), adjust
//! [`Preset::settings`] and [`Preset::install`] them at start-up, before anything uses the
//! preset: the statics, [`Policy::llm`] and its siblings, and the registry then all hold
//! the breaker and policy of those settings.

use std::sync::{LazyLock, OnceLock};

use crate::{CircuitBreaker, ConfigError, Policy, RetryBudget};

mod preset;
mod process;

pub use preset::Preset;

/// The LLM API preset: see the [module docs](self) for its defaults.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(staunch::presets::LLM.defaults().attempt_timeout, Some(Duration::from_secs(120)));
/// ```
pub const LLM: Preset = Preset::LLM;

/// The MCP server preset: see the [module docs](self) for its defaults.
///
/// ```
/// assert_eq!(staunch::presets::MCP.prefix(), "MCP_");
/// ```
pub const MCP: Preset = Preset::MCP;

/// The database preset: see the [module docs](self) for its defaults.
///
/// ```
/// assert_eq!(staunch::presets::DATABASE.name(), "database");
/// ```
pub const DATABASE: Preset = Preset::DATABASE;

/// The process-wide breaker for LLM API calls, registered as `llm`.
///
/// ```
/// use staunch::presets::LLM_CIRCUIT_BREAKER;
/// let reply: Result<String, _> = LLM_CIRCUIT_BREAKER.call_blocking(|| Ok::<_, std::io::Error>("hi".into()));
/// assert_eq!(reply.unwrap(), "hi");
/// ```
pub static LLM_CIRCUIT_BREAKER: LazyLock<CircuitBreaker> = LazyLock::new(|| LLM.make_breaker());

/// The process-wide breaker for MCP server calls, registered as `mcp`.
///
/// ```
/// assert_eq!(staunch::presets::MCP_CIRCUIT_BREAKER.name(), "mcp");
/// ```
pub static MCP_CIRCUIT_BREAKER: LazyLock<CircuitBreaker> = LazyLock::new(|| MCP.make_breaker());

/// The process-wide breaker for database calls, registered as `database`.
///
/// ```
/// assert_eq!(staunch::presets::DATABASE_CIRCUIT_BREAKER.name(), "database");
/// ```
pub static DATABASE_CIRCUIT_BREAKER: LazyLock<CircuitBreaker> =
    LazyLock::new(|| DATABASE.make_breaker());

static LLM_BUDGET: LazyLock<RetryBudget> = LazyLock::new(RetryBudget::default);
static MCP_BUDGET: LazyLock<RetryBudget> = LazyLock::new(RetryBudget::default);
static DATABASE_BUDGET: LazyLock<RetryBudget> = LazyLock::new(RetryBudget::default);

// Set by `Preset::install`, else on first use from the environment.
static LLM_POLICY: OnceLock<Policy> = OnceLock::new();
static MCP_POLICY: OnceLock<Policy> = OnceLock::new();
static DATABASE_POLICY: OnceLock<Policy> = OnceLock::new();

/// The settings of the LLM preset from the environment, or the error naming the bad
/// variable; on success, the process-wide [`LLM_CIRCUIT_BREAKER`].
///
/// ```
/// match staunch::presets::try_llm() {
///     Ok(breaker) => assert_eq!(breaker.name(), "llm"),
///     Err(err) => eprintln!("fix the environment: {err}"),
/// }
/// ```
pub fn try_llm() -> Result<CircuitBreaker, ConfigError> {
    LLM.try_breaker()
}

/// Like [`try_llm`], for [`MCP_CIRCUIT_BREAKER`].
///
/// ```
/// assert!(staunch::presets::try_mcp().map(|b| b.name() == "mcp").unwrap_or(true));
/// ```
pub fn try_mcp() -> Result<CircuitBreaker, ConfigError> {
    MCP.try_breaker()
}

/// Like [`try_llm`], for [`DATABASE_CIRCUIT_BREAKER`].
///
/// ```
/// assert!(staunch::presets::try_database().map(|b| b.name() == "database").unwrap_or(true));
/// ```
pub fn try_database() -> Result<CircuitBreaker, ConfigError> {
    DATABASE.try_breaker()
}

impl Policy {
    /// The LLM preset policy: [`LLM_CIRCUIT_BREAKER`] with the LLM settings, attempt
    /// timeout and retry budget. Derive variants with [`to_builder`](Policy::to_builder).
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = staunch::Policy::llm();
    /// assert_eq!(policy.name(), "llm");
    /// assert_eq!(policy.attempt_timeout(), Some(Duration::from_secs(120)));
    /// ```
    pub fn llm() -> &'static Policy {
        LLM.policy()
    }

    /// The MCP preset policy: [`MCP_CIRCUIT_BREAKER`], a 30 s attempt timeout, 2 attempts.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(staunch::Policy::mcp().attempt_timeout(), Some(Duration::from_secs(30)));
    /// ```
    pub fn mcp() -> &'static Policy {
        MCP.policy()
    }

    /// The database preset policy: [`DATABASE_CIRCUIT_BREAKER`], a 5 s attempt timeout,
    /// short waits.
    ///
    /// ```
    /// assert_eq!(staunch::Policy::database().retry().max_attempts(), 3);
    /// ```
    pub fn database() -> &'static Policy {
        DATABASE.policy()
    }
}

fn process_breaker(preset: &Preset) -> &'static CircuitBreaker {
    match preset.name() {
        "llm" => &LLM_CIRCUIT_BREAKER,
        "mcp" => &MCP_CIRCUIT_BREAKER,
        _ => &DATABASE_CIRCUIT_BREAKER,
    }
}

fn process_budget(preset: &Preset) -> &'static RetryBudget {
    match preset.name() {
        "llm" => &LLM_BUDGET,
        "mcp" => &MCP_BUDGET,
        _ => &DATABASE_BUDGET,
    }
}

fn process_policy(preset: &Preset) -> &'static OnceLock<Policy> {
    match preset.name() {
        "llm" => &LLM_POLICY,
        "mcp" => &MCP_POLICY,
        _ => &DATABASE_POLICY,
    }
}
