//! Behaviour tests of staunch, in one integration binary.

mod clock;
