//! Behaviour tests of staunch, in one integration binary.

mod backoff;
mod breaker;
mod breaker_cancel;
mod breaker_window;
mod clock;
mod registry;
