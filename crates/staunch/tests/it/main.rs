//! Behaviour tests of staunch, in one integration binary.

mod backoff;
mod clock;
mod retry;
mod retry_error;
mod retry_events;
mod retry_state;
