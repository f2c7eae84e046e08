//! Benchmarks: breaker.

fn main() {}
