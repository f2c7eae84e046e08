//! Behaviour tests of staunch, in one integration binary.

mod breaker;
mod breaker_authority;
mod breaker_cancel;
#[cfg(feature = "metrics")]
mod breaker_metrics;
mod breaker_model;
mod breaker_stress;
mod breaker_window;
mod clock;
mod registry;
