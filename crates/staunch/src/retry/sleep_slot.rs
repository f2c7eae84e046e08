//! The sleep between two attempts of the async retry, dropped out of line.
//!
//! A pending sleep is a boxed future: dropping it calls through its vtable, then frees
//! it. Inlined into the retry's own drop, that code makes the drop too big to inline
//! where the retry is polled and dropped, and the success path pays a call and a round
//! of loads for a sleep it never started. [`SleepSlot`] keeps that work in a separate,
//! cold function, so the inline part is one branch on "is there a sleep?".

use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};

use crate::Sleep;

/// `Option<Sleep>` whose drop is one inline branch, the rest out of line.
///
/// The sleep sits in a [`ManuallyDrop`], so the field has no drop glue of its own: the
/// whole drop is the branch in [`Drop::drop`].
#[derive(Debug, Default)]
pub(crate) struct SleepSlot(ManuallyDrop<Option<Sleep>>);

impl Deref for SleepSlot {
    type Target = Option<Sleep>;

    #[inline]
    fn deref(&self) -> &Option<Sleep> {
        &self.0
    }
}

impl DerefMut for SleepSlot {
    #[inline]
    fn deref_mut(&mut self) -> &mut Option<Sleep> {
        &mut self.0
    }
}

impl Drop for SleepSlot {
    #[inline]
    fn drop(&mut self) {
        if self.0.is_some() {
            drop_cold(mem::take(&mut *self.0));
        }
    }
}

#[cold]
#[inline(never)]
fn drop_cold(sleep: Option<Sleep>) {
    drop(sleep);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    struct Flag(Arc<AtomicUsize>);

    impl Drop for Flag {
        fn drop(&mut self) {
            // Relaxed: a counter read after the drop on the same thread.
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_pending_sleep_is_dropped_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let flag = Flag(drops.clone());
        let mut slot = SleepSlot::default();
        *slot = Some(Sleep::from_future(async move {
            let _flag = flag;
        }));
        drop(slot);
        // Relaxed: same thread.
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        drop(SleepSlot::default());
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
}
