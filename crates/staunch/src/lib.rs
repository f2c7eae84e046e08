//! Calls to things that fail: retry with backoff and jitter, circuit breakers, and the two
//! combined in one policy, with the same names in async and blocking code.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tokio` | yes | async sleeping on tokio's timer, per-attempt timeouts |
//! | `tower` | no | `Layer`s for each policy |
//! | `serde` | no | `Serialize` snapshots, `Deserialize` settings |
//! | `metrics` | no | counters and gauges through the `metrics` facade |
//! | `dotenv` | no | `.env` loading for settings |
//! | `macros` | no | the attributes `#[retry_on_exception]`, `#[circuit_breaker]`, `#[resilient]` |
//! | `test-util` | no | a fake clock and scripted failures for your own tests |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod classify;
mod clock;
mod engine;
mod error;
#[allow(dead_code)]
mod sync;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;

pub use classify::{AllTransient, Classifier, Classify, Verdict};
pub use clock::{Clock, Sleep, SystemClock, TimeSource};
pub use error::ConfigError;

// ---- retry: backoff and retry --------------------------------------------------------
pub mod backoff;
pub mod retry;

pub use backoff::{Backoff, Jitter};
pub use retry::{
    BlockingRetry, BlockingRetryable, Retry, RetryBuilder, RetryError, RetryErrorKind, RetryPolicy,
    Retryable,
};

// ---- end retry ------------------------------------------------------------------------

// ---- breaker --------------------------------------------------------------------------
pub mod breaker;
pub mod registry;
pub use breaker::{
    BreakerError, CircuitBreaker, CircuitBreakerBuilder, CircuitOpen, CircuitState, Event,
    ListenerId, OwnedPermit, Permit, Snapshot, Transition,
};
pub use registry::{KeyedBreakers, Registry, RegistrySnapshot};

// ---- end breaker ----------------------------------------------------------------------

// ---- settings and budget --------------------------------------------------------------

pub mod budget;
pub mod settings;
pub use budget::RetryBudget;
pub use settings::ResilienceSettings;

// ---- end settings and budget ----------------------------------------------------------

// ---- policy, registry, presets --------------------------------------------------------
pub mod guide;
pub mod policy;
pub mod presets;
pub use policy::{AttemptTimeout, Policy, PolicyBuilder, PolicyError, PolicyErrorKind};
pub use presets::{DATABASE_CIRCUIT_BREAKER, LLM_CIRCUIT_BREAKER, MCP_CIRCUIT_BREAKER};
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

// ---- end policy, registry, presets ----------------------------------------------------

// ---- macros ---------------------------------------------------------------------------

#[cfg(feature = "macros")]
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
// Each attribute's page carries the table of every argument (`attributes.md`), so that
// users of `staunch` read it where they find the attribute.
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("attributes.md")]
pub use staunch_macros::circuit_breaker;
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("attributes.md")]
pub use staunch_macros::resilient;
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("attributes.md")]
pub use staunch_macros::retry_on_exception;
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("attributes.md")]
pub use staunch_macros::retry_with_jitter;

// ---- end macros -----------------------------------------------------------------------

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
