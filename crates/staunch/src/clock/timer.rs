//! The timer of the system clock without tokio: one thread for every pending sleep of the
//! process, started on first use, instead of a thread per sleep. A sleep registers its
//! deadline when first polled and unregisters when dropped, so a cancelled call leaves
//! nothing behind.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A pending wake-up: set `fired`, then wake.
#[derive(Default)]
struct Slot {
    /// Release on set, Acquire on read: a poll that sees it fired sees the deadline passed.
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// The deadlines of every registered sleep, in order, and the thread's wake-up call.
#[derive(Default)]
struct Wheel {
    due: Mutex<BTreeMap<(Instant, u64), Arc<Slot>>>,
    changed: Condvar,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How many timer threads this module has started (tests only; relaxed, a plain counter).
#[cfg(test)]
static SPAWNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The process's timer thread, started on first use.
fn wheel() -> &'static Wheel {
    static WHEEL: OnceLock<&'static Wheel> = OnceLock::new();
    WHEEL.get_or_init(|| {
        let wheel: &'static Wheel = Box::leak(Box::default());
        let spawned = std::thread::Builder::new()
            .name("staunch-timer".into())
            .spawn(move || run(wheel));
        #[cfg(test)]
        SPAWNED.fetch_add(usize::from(spawned.is_ok()), Ordering::Relaxed);
        if let Err(error) = spawned {
            tracing::error!(target: "staunch", %error, "cannot start the timer thread");
        }
        wheel
    })
}

/// Fires every due sleep, then waits for the next deadline or a new registration.
fn run(wheel: &Wheel) {
    let mut due = lock(&wheel.due);
    loop {
        let now = Instant::now();
        while let Some(entry) = due.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let slot = entry.remove();
            slot.fired.store(true, Ordering::Release);
            let waker = lock(&slot.waker).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        due = match due.first_key_value().map(|(key, _)| key.0) {
            Some(next) => {
                let wait = next.saturating_duration_since(now);
                wheel
                    .changed
                    .wait_timeout(due, wait)
                    .map_or_else(|e| e.into_inner().0, |r| r.0)
            }
            None => wheel
                .changed
                .wait(due)
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        };
    }
}

/// A sleep on the shared timer thread.
pub(crate) struct TimerSleep {
    deadline: Instant,
    /// The key and slot once registered.
    registered: Option<(u64, Arc<Slot>)>,
}

impl TimerSleep {
    pub(crate) fn new(duration: Duration) -> Self {
        let now = Instant::now();
        Self {
            deadline: now
                .checked_add(duration)
                .unwrap_or(now + Duration::from_secs(86_400 * 365)),
            registered: None,
        }
    }
}

impl Future for TimerSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        match &self.registered {
            Some((_, slot)) => {
                if slot.fired.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
                *lock(&slot.waker) = Some(cx.waker().clone());
                // Fired between the check and the store: its wake went to the old waker.
                if slot.fired.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
            }
            None => {
                static IDS: AtomicU64 = AtomicU64::new(0);
                // Relaxed: only uniqueness matters.
                let id = IDS.fetch_add(1, Ordering::Relaxed);
                let slot = Arc::new(Slot::default());
                *lock(&slot.waker) = Some(cx.waker().clone());
                let wheel = wheel();
                lock(&wheel.due).insert((self.deadline, id), Arc::clone(&slot));
                wheel.changed.notify_one();
                self.registered = Some((id, slot));
            }
        }
        Poll::Pending
    }
}

impl Drop for TimerSleep {
    fn drop(&mut self) {
        if let Some((id, slot)) = self.registered.take() {
            if !slot.fired.load(Ordering::Acquire) {
                lock(&wheel().due).remove(&(self.deadline, id));
            }
        }
    }
}

/// The sleeps waiting on the timer thread.
#[cfg(test)]
fn pending() -> usize {
    lock(&wheel().due).len()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    struct Flag(Mutex<bool>, Condvar);

    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            *lock(&self.0) = true;
            self.1.notify_one();
        }
    }

    /// 64 pending two-minute sleeps run on one thread, not 64; dropping them cancels
    /// them; a short sleep still ends and wakes its task.
    #[test]
    fn sleeps_share_one_thread_and_are_cancelled_when_dropped() {
        let noop = Waker::from(Arc::new(Flag(Mutex::new(false), Condvar::new())));
        let mut cx = Context::from_waker(&noop);
        let _ = wheel();
        let mut sleeps: Vec<_> = (0..64)
            .map(|_| Box::pin(TimerSleep::new(Duration::from_secs(120))))
            .collect();
        for sleep in &mut sleeps {
            assert!(sleep.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(
            SPAWNED.load(Ordering::Relaxed),
            1,
            "threads started for 64 sleeps"
        );
        assert!(pending() >= 64);
        drop(sleeps);
        assert!(pending() < 64, "dropped sleeps stay registered");

        let flag = Arc::new(Flag(Mutex::new(false), Condvar::new()));
        let waker = Waker::from(Arc::clone(&flag));
        let mut cx = Context::from_waker(&waker);
        let mut short = Box::pin(TimerSleep::new(Duration::from_millis(1)));
        while short.as_mut().poll(&mut cx).is_pending() {
            let mut woken = lock(&flag.0);
            while !*woken {
                woken = flag.1.wait(woken).unwrap();
            }
            *woken = false;
        }
    }
}
