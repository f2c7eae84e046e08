//! Behaviour of the attributes, on the fake clock.

mod scratch;
