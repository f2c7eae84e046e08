//! Behaviour tests of staunch, in one integration binary.

mod clock;
mod breaker;
mod breaker_cancel;
mod breaker_window;
