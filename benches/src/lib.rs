//! Shared helpers for the benchmarks: polling a future that is ready at once, in place.
//!
//! Async cases are polled once with a no-op waker
//! (`Context::from_waker(Waker::noop())`), so no executor cost is included. The future is
//! pinned where it is built, so no case pays for moving it.

pub mod floor;
pub mod peers;

/// Polls a future that is ready at once and evaluates to its output; panics if it is
/// pending.
///
/// ```
/// use std::task::{Context, Waker};
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(staunch_benches::poll_ready!(&mut cx, async { 7 }), 7);
/// ```
#[macro_export]
macro_rules! poll_ready {
    ($cx:expr, $future:expr) => {
        match ::std::future::Future::poll(::std::pin::pin!($future), $cx) {
            ::std::task::Poll::Ready(output) => output,
            ::std::task::Poll::Pending => unreachable!("the benchmarked future is always ready"),
        }
    };
}

/// Polls a future that is ready at once and evaluates to the value of its `Result`
/// output (`.ok()`), as a caller matching on the result would; panics if it is pending.
///
/// Handing back the value rather than the whole `Result` keeps the figures about the
/// library: copying a freshly written large `Result` as one block stalls
/// store-to-load forwarding, depending on where the compiler puts the copy.
///
/// ```
/// use std::task::{Context, Waker};
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(staunch_benches::poll_ready_ok!(&mut cx, async { Ok::<_, ()>(7) }), Some(7));
/// ```
#[macro_export]
macro_rules! poll_ready_ok {
    ($cx:expr, $future:expr) => {
        match ::std::future::Future::poll(::std::pin::pin!($future), $cx) {
            ::std::task::Poll::Ready(output) => output.ok(),
            ::std::task::Poll::Pending => unreachable!("the benchmarked future is always ready"),
        }
    };
}
