//! The process clock: every breaker, retry and wait of the Python package reads time from
//! it. It is the system clock until `staunch.testing.FakeClock.install()` swaps in a fake
//! one, so Python tests of minute-long timeouts run instantly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, RwLock, RwLockReadGuard};
use std::time::Duration;

use pyo3::prelude::*;
use staunch::test_util::FakeClock as CoreFakeClock;
use staunch::{Clock, Sleep, TimeSource};

/// The id of the installed fake clock, 0 for none. Checked first so that the system clock
/// path takes no lock. Acquire/Release pair it with the slot below: a reader that sees an
/// id sees the fake clock written before it.
static INSTALLED: AtomicU64 = AtomicU64::new(0);
/// Ids of fake clocks (0 is "none").
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static FAKE: RwLock<Option<CoreFakeClock>> = RwLock::new(None);
static PROCESS: LazyLock<Clock> = LazyLock::new(|| Clock::custom(ProcessClock));

/// The longest stretch the GIL-free wait sleeps before Python may handle a signal
/// (Ctrl-C interrupts a long wait within this time).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

#[derive(Debug)]
struct ProcessClock;

fn fake_slot() -> RwLockReadGuard<'static, Option<CoreFakeClock>> {
    FAKE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The installed fake clock, if any.
fn installed() -> Option<CoreFakeClock> {
    if INSTALLED.load(Ordering::Acquire) != 0 {
        fake_slot().clone()
    } else {
        None
    }
}

impl TimeSource for ProcessClock {
    fn now(&self) -> Duration {
        if INSTALLED.load(Ordering::Acquire) != 0 {
            if let Some(fake) = fake_slot().as_ref() {
                return fake.now();
            }
        }
        Clock::system().now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        match installed() {
            Some(fake) => fake.clock().sleep(duration),
            None => Clock::system().sleep(duration),
        }
    }

    fn sleep_blocking(&self, duration: Duration) {
        match installed() {
            Some(fake) => fake.clock().sleep_blocking(duration),
            None => Clock::system().sleep_blocking(duration),
        }
    }
}

/// The clock every breaker and retry of the package is built with.
pub(crate) fn process_clock() -> Clock {
    PROCESS.clone()
}

/// Waits `delay` before a retry: on the fake clock, records the wait and returns at once;
/// on the system clock, sleeps without the GIL, handling signals between short stretches.
pub(crate) fn wait(py: Python<'_>, delay: Duration) -> PyResult<()> {
    if let Some(fake) = installed() {
        fake.clock().sleep_blocking(delay);
        return Ok(());
    }
    let mut left = delay;
    while !left.is_zero() {
        let stretch = left.min(SIGNAL_CHECK);
        py.detach(|| std::thread::sleep(stretch));
        left -= stretch;
        py.check_signals()?;
    }
    Ok(())
}

/// For async waits: `True` when the fake clock took the wait (recorded, time advanced) and
/// the caller should only yield to the event loop; `False` when the caller must
/// `await asyncio.sleep(delay)` itself.
#[pyfunction]
pub(crate) fn _take_wait(delay: f64) -> bool {
    match installed() {
        Some(fake) => {
            fake.clock()
                .sleep_blocking(Duration::try_from_secs_f64(delay).unwrap_or_default());
            true
        }
        None => false,
    }
}

/// A manually driven clock for tests (exported as `staunch.testing.FakeClock`).
///
/// It starts just ahead of the system clock (at its next whole second), so breakers that
/// read the system clock before it was installed see time go on, never back. `install()` makes it the clock of every breaker,
/// retry and wait of the package; `uninstall()` goes back to the system clock. Waiting on
/// it returns at once, advances it, and is recorded in `sleeps`.
#[pyclass(module = "staunch._staunch", subclass, frozen)]
pub(crate) struct FakeClock {
    core: CoreFakeClock,
    origin: Duration,
    id: u64,
}

#[pymethods]
impl FakeClock {
    #[new]
    fn new() -> Self {
        let core = CoreFakeClock::new();
        let origin = Duration::from_secs(Clock::system().now().as_secs().saturating_add(1));
        core.advance(origin);
        // Relaxed: the id only needs to be unique.
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Self { core, origin, id }
    }

    /// Moves time forward by `seconds` (a non-negative number).
    fn advance(&self, seconds: f64) -> PyResult<()> {
        let by = crate::errors::seconds("seconds", seconds)?;
        self.core.advance(by);
        Ok(())
    }

    /// Seconds since this clock was made.
    #[getter]
    fn now(&self) -> f64 {
        self.core.now().saturating_sub(self.origin).as_secs_f64()
    }

    /// Every wait taken on this clock, in seconds, in order.
    #[getter]
    fn sleeps(&self) -> Vec<f64> {
        self.core
            .sleeps()
            .iter()
            .map(Duration::as_secs_f64)
            .collect()
    }

    /// The sum of every wait taken on this clock, in seconds.
    #[getter]
    fn total_slept(&self) -> f64 {
        self.core.total_slept().as_secs_f64()
    }

    /// Makes this the process clock of the package.
    fn install(&self) {
        let mut slot = FAKE
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Some(self.core.clone());
        INSTALLED.store(self.id, Ordering::Release);
    }

    /// Goes back to the system clock (whichever fake clock was installed).
    #[staticmethod]
    fn uninstall() {
        let mut slot = FAKE
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        INSTALLED.store(0, Ordering::Release);
        *slot = None;
    }

    /// Whether this clock is the installed one.
    #[getter]
    fn installed(&self) -> bool {
        INSTALLED.load(Ordering::Acquire) == self.id
    }

    fn __repr__(&self) -> String {
        format!("FakeClock(now={:.3})", self.now())
    }
}
