//! Benchmarks: policy.

fn main() {}
