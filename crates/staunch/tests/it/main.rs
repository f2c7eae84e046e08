//! Behaviour tests of staunch, in one integration binary.

mod backoff;
mod breaker;
mod breaker_authority;
mod breaker_cancel;
mod breaker_control;
#[cfg(feature = "metrics")]
mod breaker_metrics;
mod breaker_model;
mod breaker_recovery;
mod breaker_stress;
mod breaker_window;
mod budget;
mod clock;
#[macro_use]
mod policy;
mod policy_budget;
mod policy_cancel;
mod policy_defects;
mod policy_fallback;
#[cfg(feature = "macros")]
mod policy_resilient;
#[cfg(all(feature = "macros", feature = "tower"))]
mod policy_table;
mod policy_wait;
mod presets;
mod registry;
mod retry;
mod retry_error;
mod retry_events;
mod retry_state;
mod settings;
#[cfg(feature = "tower")]
mod tower;
#[cfg(feature = "tower")]
mod tower_fallback;
#[cfg(feature = "tower")]
mod tower_keyed;
#[cfg(feature = "tower")]
mod tower_ready;
