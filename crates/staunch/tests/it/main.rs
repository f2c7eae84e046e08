//! Behaviour tests of staunch, in one integration binary.

mod backoff;
mod budget;
mod clock;
mod retry;
mod retry_error;
mod retry_state;
mod settings;
