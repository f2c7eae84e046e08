//! Shared by the allocation-counting test binaries: a counting global allocator, a
//! measured region, and a single poll with a no-op waker.

use std::alloc::System;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A waker that does nothing; build it outside the measured region.
pub(crate) struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Allocations made while running `f`.
pub(crate) fn allocations(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let change = region.change();
    change.allocations + change.reallocations
}

/// Polls `future` once with a waker made outside the measured region.
pub(crate) fn poll_once<F: Future>(cx: &mut Context<'_>, future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future.as_mut().poll(cx)
}
