//! Fields of the async retry whose drop is one inline branch, the real work out of line.
//!
//! A retried call whose first attempt succeeds should cost about what the call costs.
//! When the future is polled to completion where it was built, the compiler can get
//! there: it sees no custom clock and no sleep, so there is nothing to drop, and it keeps
//! the rest of the future out of memory. Two drops get in the way. A custom clock's
//! `Arc::drop_slow` takes a pointer into the future, after which every field has to be
//! written to memory before the first attempt, the whole policy included; a pending
//! sleep's boxed future makes the drop too big to inline, so the success path pays a call
//! and a round of loads for a sleep it never started.
//!
//! Both live in one [`Timer`], held in a [`ColdDrop`]: the value is moved out before it
//! is dropped in a separate, cold function, and the inline part of the whole drop is one
//! branch on "is there anything to drop?".

use std::borrow::Borrow;
use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};

use crate::{Clock, Sleep};

/// A value whose usual state owns nothing, so that not dropping it leaks nothing.
pub(crate) trait Trivial: Default {
    /// Whether this value owns nothing.
    fn is_trivial(&self) -> bool;
}

/// What the async retry reads time from and waits on: its clock and the sleep in
/// progress between two attempts, if any.
#[derive(Debug, Default)]
pub(crate) struct Timer {
    pub(crate) clock: Clock,
    pub(crate) pending: Option<Sleep>,
}

impl Trivial for Timer {
    /// The system clock and no sleep.
    #[inline]
    fn is_trivial(&self) -> bool {
        self.clock.is_system() && self.pending.is_none()
    }
}

/// Holds a `T` and drops it out of line, if it owns anything.
///
/// The value sits in a [`ManuallyDrop`], so the field has no drop glue of its own: the
/// whole drop is the branch in [`Drop::drop`].
#[derive(Debug, Default)]
pub(crate) struct ColdDrop<T: Trivial>(ManuallyDrop<T>);

impl<T: Trivial> Deref for ColdDrop<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Trivial> DerefMut for ColdDrop<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl Borrow<Clock> for ColdDrop<Timer> {
    #[inline]
    fn borrow(&self) -> &Clock {
        &self.0.clock
    }
}

impl<T: Trivial> Drop for ColdDrop<T> {
    #[inline]
    fn drop(&mut self) {
        if !self.0.is_trivial() {
            drop_cold(mem::take(&mut *self.0));
        }
    }
}

#[cold]
#[inline(never)]
fn drop_cold<T>(value: T) {
    drop(value);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::TimeSource;

    /// Counts its drops.
    #[derive(Debug)]
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            // Relaxed: a counter read after the drop on the same thread.
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl TimeSource for Counted {
        fn now(&self) -> Duration {
            Duration::ZERO
        }
        fn sleep(&self, _: Duration) -> Sleep {
            Sleep::ready()
        }
        fn sleep_blocking(&self, _: Duration) {}
    }

    #[test]
    fn a_custom_clock_is_dropped_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slot = ColdDrop::<Timer>::default();
        slot.clock = Clock::custom(Counted(drops.clone()));
        assert!(!slot.is_trivial());
        drop(slot);
        // Relaxed: same thread.
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_pending_sleep_is_dropped_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = Counted(drops.clone());
        let mut slot = ColdDrop::<Timer>::default();
        slot.pending = Some(Sleep::from_future(async move {
            let _counted = counted;
        }));
        drop(slot);
        let idle = ColdDrop::<Timer>::default();
        assert!(idle.is_trivial());
        drop(idle);
        // Relaxed: same thread.
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
}
