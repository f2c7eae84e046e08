//! Behaviour of the attributes on the fake clock: attempts, delays, breaker states.

mod breaker;
mod retry;
mod shapes;
