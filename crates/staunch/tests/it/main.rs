//! Behaviour tests of staunch, in one integration binary.

mod backoff;
mod breaker;
mod breaker_authority;
mod breaker_cancel;
mod breaker_control;
mod breaker_events;
#[cfg(feature = "metrics")]
mod breaker_metrics;
mod breaker_model;
mod breaker_stress;
mod breaker_window;
mod budget;
mod clock;
mod registry;
mod retry;
mod retry_error;
mod retry_events;
mod retry_state;
mod settings;
