//! Behaviour tests of staunch, in one integration binary.

mod backoff;
mod clock;
