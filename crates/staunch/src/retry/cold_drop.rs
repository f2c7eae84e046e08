//! Fields whose drop is one inline branch, with the real work out of line.
//!
//! A retried call whose first attempt succeeds should cost about what the call costs.
//! When the future is pinned on the stack and polled to completion in one go, the
//! compiler can get there on its own: it sinks the writes of the policy into the failure
//! path and drops the rest. It cannot if dropping the future passes a pointer into it to
//! a function it does not inline: then every field must be in memory before the first
//! attempt, the whole policy included.
//!
//! [`ColdDrop`] moves its value out before dropping it in a separate, cold function, so
//! the inline part of the drop is a single branch on a value the compiler usually knows:
//! no pending sleep.

use std::mem::{self, ManuallyDrop};
use std::ops::{Deref, DerefMut};

use crate::Sleep;

/// A value whose common case needs no drop at all.
pub(crate) trait TrivialDefault: Default {
    /// Whether dropping this value does nothing (it is the default or similar).
    fn is_trivial(&self) -> bool;
}

impl TrivialDefault for Option<Sleep> {
    #[inline]
    fn is_trivial(&self) -> bool {
        self.is_none()
    }
}

/// Holds a `T` and drops it out of line, if there is anything to drop.
///
/// The value sits in a [`ManuallyDrop`], so the field has no drop glue of its own: the
/// whole drop is the branch below.
#[derive(Debug, Default)]
pub(crate) struct ColdDrop<T: TrivialDefault>(ManuallyDrop<T>);

#[cfg(test)]
impl<T: TrivialDefault> ColdDrop<T> {
    fn new(value: T) -> Self {
        Self(ManuallyDrop::new(value))
    }
}

impl<T: TrivialDefault> Deref for ColdDrop<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: TrivialDefault> DerefMut for ColdDrop<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: TrivialDefault> Drop for ColdDrop<T> {
    #[inline]
    fn drop(&mut self) {
        // A trivial value owns nothing, so not dropping it releases nothing either.
        if !self.0.is_trivial() {
            let value = mem::replace(&mut self.0, ManuallyDrop::new(T::default()));
            drop_cold(ManuallyDrop::into_inner(value));
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

    use super::*;

    struct Flag(Arc<AtomicUsize>);

    impl Drop for Flag {
        fn drop(&mut self) {
            // Relaxed: a counter read after the drop on the same thread.
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_pending_sleep_is_still_dropped() {
        let drops = Arc::new(AtomicUsize::new(0));
        let flag = Flag(drops.clone());
        let sleep = Sleep::from_future(async move {
            let _flag = flag;
        });
        drop(ColdDrop::new(Some(sleep)));
        // Relaxed: same thread.
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        drop(ColdDrop::<Option<Sleep>>::default());
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }
}
