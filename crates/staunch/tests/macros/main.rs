//! Behaviour of the attributes on the fake clock: attempts, delays, breaker states.

mod retry;
mod shapes;
