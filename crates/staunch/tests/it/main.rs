//! Behaviour tests of staunch, in one integration binary.

mod breaker;
mod breaker_cancel;
mod breaker_model;
mod breaker_stress;
mod breaker_window;
mod clock;
mod registry;
