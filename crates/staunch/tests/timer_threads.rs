//! Without tokio, the system clock's pending sleeps share one timer thread: a thousand
//! calls waiting out a two-minute backoff must not hold a thousand threads. Its own test
//! binary with one test, so the process's thread count is this test's.
#![cfg(all(not(feature = "tokio"), target_os = "linux"))]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use staunch::Clock;

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// The threads of this process, from `/proc/self/task`.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn a_thousand_pending_sleeps_hold_at_most_two_threads() {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let clock = Clock::system();
    let before = threads();
    let mut sleeps: Vec<Pin<Box<dyn Future<Output = ()> + Send>>> = (0..1_000)
        .map(|_| Box::pin(clock.sleep(Duration::from_secs(120))) as Pin<Box<_>>)
        .collect();
    for sleep in &mut sleeps {
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
    }
    let during = threads();
    drop(sleeps);
    assert!(
        during <= before + 2,
        "{} threads for 1000 pending sleeps ({before} before)",
        during - before
    );
}
