//! A count window: the last N outcomes, truly sliding, lock-free, O(1) per call.
//!
//! A ring of N slots holds the outcomes; a packed counter word holds how many of them are
//! calls, failures and slow successes. Each call claims the next slot with one
//! `fetch_add`, swaps its outcome in (getting the outcome it evicts), then adds the
//! difference to the counters with one compare-and-swap. Every outcome is added once by
//! its writer and subtracted once by the writer that evicts it, so the counters equal the
//! ring's contents whenever no call is between its swap and its counter update.
//!
//! A success recorded into a window that holds N successes changes nothing (the last N
//! outcomes are still N successes), so a healthy window costs one load per call, like the
//! consecutive mode. Otherwise, when the evicted outcome equals the new one, the counters
//! don't change and their update is skipped.
//!
//! Resetting bumps an epoch stored in both the counters and the slots: outcomes of an
//! older epoch are never subtracted, and a writer that raced the reset drops its update.
//!
//! Counter fields are 17 bits wide and updated modulo 2¹⁷, so the rare interleaving where
//! an eviction lands before the evicted outcome's own addition leaves a field briefly
//! "negative" and then exact again; such transient counts are recognised (a field above N)
//! and not evaluated.

use crate::sync::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use super::super::word::Kind;
use super::Counts;

/// The largest count window.
pub(crate) const MAX_SIZE: u32 = 1 << 16;

const FIELD: u32 = 17;
const FIELD_MASK: u64 = (1 << FIELD) - 1;
const EPOCH_SHIFT: u32 = 3 * FIELD;
const EPOCH_MASK: u32 = (1 << 13) - 1;

#[derive(Debug)]
pub(crate) struct CountWindow {
    size: u32,
    /// The next slot to write. Relaxed: it only hands out slots; the slot swap and the
    /// counters carry the data.
    head: AtomicUsize,
    /// Slot = epoch << 2 | outcome (0 empty, 1 success, 2 failure, 3 slow).
    slots: Box<[AtomicU32]>,
    /// epoch (13 bits) << 51 | slow << 34 | failures << 17 | calls.
    counts: AtomicU64,
}

fn code(kind: Kind) -> u32 {
    match kind {
        Kind::Success => 1,
        Kind::Failure => 2,
        Kind::Slow => 3,
        Kind::Released => 0,
    }
}

fn fields(code: u32) -> [u64; 3] {
    match code {
        1 => [1, 0, 0],
        2 => [1, 1, 0],
        3 => [1, 0, 1],
        _ => [0, 0, 0],
    }
}

fn epoch_of(counts: u64) -> u32 {
    (counts >> EPOCH_SHIFT) as u32 & EPOCH_MASK
}

fn unpack(counts: u64) -> Counts {
    let field = |i: u32| ((counts >> (i * FIELD)) & FIELD_MASK) as u32;
    Counts {
        calls: field(0),
        failures: field(1),
        slow: field(2),
    }
}

impl CountWindow {
    pub(crate) fn new(size: u32) -> Self {
        Self {
            size,
            head: AtomicUsize::new(0),
            slots: (0..size).map(|_| AtomicU32::new(0)).collect(),
            counts: AtomicU64::new(0),
        }
    }

    pub(crate) fn record(&self, kind: Kind) -> Option<Counts> {
        // Acquire: pairs with the reset's release so the epoch read here is at least as
        // new as the slots it cleared.
        let seen = self.counts.load(Ordering::Acquire);
        let full_of_successes = Counts {
            calls: self.size,
            failures: 0,
            slow: 0,
        };
        if kind == Kind::Success && unpack(seen) == full_of_successes {
            // The last N outcomes are all successes; with one more they still are. The
            // ring is unchanged up to rotation, so there is nothing to write.
            return Some(full_of_successes);
        }
        let epoch = epoch_of(seen);
        let index = self.head.fetch_add(1, Ordering::Relaxed) % self.size as usize;
        let new = epoch << 2 | code(kind);
        // AcqRel: the evicted outcome must be the one its writer stored (acquire), and
        // ours must be visible to whoever evicts it (release).
        let old = self.slots[index].swap(new, Ordering::AcqRel);
        let add = fields(code(kind));
        let sub = if old >> 2 == epoch {
            fields(old & 3)
        } else {
            [0; 3]
        };
        if add == sub {
            // Evicted an equal outcome (the steady state of a healthy window): the
            // counters don't change, so skip the write.
            return Some(self.counts());
        }
        // Relaxed load, AcqRel CAS: the counters are their own message; the CAS orders our
        // update after the reset that set this epoch.
        let mut current = self.counts.load(Ordering::Relaxed);
        loop {
            if epoch_of(current) != epoch {
                return None;
            }
            let mut next = current & !((1 << EPOCH_SHIFT) - 1);
            for i in 0..3 {
                let shift = i as u32 * FIELD;
                let field = (current >> shift) & FIELD_MASK;
                let value = field.wrapping_add(add[i]).wrapping_sub(sub[i]) & FIELD_MASK;
                next |= value << shift;
            }
            match self.counts.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return self.consistent(unpack(next)),
                Err(seen) => current = seen,
            }
        }
    }

    fn consistent(&self, counts: Counts) -> Option<Counts> {
        let ok = counts.calls <= self.size
            && counts.failures <= counts.calls
            && counts.slow <= counts.calls;
        ok.then_some(counts)
    }

    pub(crate) fn counts(&self) -> Counts {
        // Acquire: a snapshot after a reset must see the cleared counts.
        let counts = unpack(self.counts.load(Ordering::Acquire));
        self.consistent(counts).unwrap_or_default()
    }

    pub(crate) fn reset(&self) {
        // AcqRel: publishes the new epoch before the slots are cleared.
        let old = self
            .counts
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |c| {
                let epoch = (epoch_of(c) + 1) & EPOCH_MASK;
                Some(u64::from(epoch) << EPOCH_SHIFT)
            })
            .unwrap_or_default();
        let epoch = (epoch_of(old) + 1) & EPOCH_MASK;
        for slot in self.slots.iter() {
            let value = slot.load(Ordering::Relaxed);
            if value != 0 && value >> 2 != epoch {
                // Relaxed: losing this race means a current-epoch writer replaced the
                // stale outcome, which is what clearing wanted.
                let _ = slot.compare_exchange(value, 0, Ordering::Relaxed, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn slides_over_the_last_n_outcomes() {
        let w = CountWindow::new(10);
        for _ in 0..1000 {
            w.record(Kind::Success);
        }
        for i in 1..=5 {
            let c = w.record(Kind::Failure).unwrap();
            assert_eq!((c.calls, c.failures), (10, i));
        }
        for _ in 0..10 {
            w.record(Kind::Slow);
        }
        assert_eq!(
            w.counts(),
            Counts {
                calls: 10,
                failures: 0,
                slow: 10
            }
        );
    }

    #[test]
    fn reset_empties_and_old_epochs_are_never_subtracted() {
        let w = CountWindow::new(4);
        for _ in 0..3 {
            w.record(Kind::Failure);
        }
        w.reset();
        assert_eq!(w.counts(), Counts::default());
        let c = w.record(Kind::Success).unwrap();
        assert_eq!(
            c,
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        for _ in 0..8 {
            w.record(Kind::Success);
        }
        assert_eq!(w.counts().calls, 4);
    }
}
