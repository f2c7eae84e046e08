//! Behaviour tests of staunch, in one integration binary.

mod budget;
mod clock;
mod settings;
