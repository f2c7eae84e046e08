//! Benchmarks: retry.

fn main() {}
