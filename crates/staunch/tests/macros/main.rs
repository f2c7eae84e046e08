//! Behaviour of the attributes on the fake clock: attempts, delays, breaker states.

mod breaker;
mod constants;
mod retry;
mod shapes;
