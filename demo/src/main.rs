//! The staunch demo.

fn main() {}
