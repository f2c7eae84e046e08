//! A count window: the last N outcomes, truly sliding, lock-free, O(1) per call.
//!
//! A ring of N slots holds the outcomes. One packed word holds the ring's head (the next
//! slot to write) and how many of the ring's outcomes are calls, failures and slow
//! successes. A call reads the slot under the head, then claims the slot and updates the
//! counters in one compare-and-swap (its outcome added, the one it evicts subtracted),
//! then swaps its outcome into the slot. Two atomic writes per call.
//!
//! The swap returns what the slot really held. It differs from what was read only when a
//! writer that claimed the same slot one lap earlier stored its outcome in between; the
//! call then corrects the counters by the difference (a third write, rare). Every outcome
//! is thus added once and subtracted once, and the counters equal the ring's contents
//! whenever no call is between its claim and its swap.
//!
//! A success recorded into a window holding N successes changes nothing (the last N
//! outcomes are still N successes), so a healthy window costs one load per call, like the
//! consecutive mode.
//!
//! Resetting bumps an epoch stored in the counter word and in every slot written after it:
//! outcomes of an older epoch are never subtracted, and a correction that raced the reset
//! is dropped. The reset then clears older slots, so an epoch never wraps onto a live slot.
//!
//! Counter fields are updated modulo 2¹³, so a correction landing late leaves a field
//! briefly "negative" and then exact again; such transient counts are recognised (a field
//! above N) and not evaluated.

use crate::sync::{AtomicU32, AtomicU64, Ordering};

use super::super::word::Kind;
use super::Counts;

/// The largest count window.
pub(crate) const MAX_SIZE: u32 = 1 << 12;

// Counter word: head (12 bits) | calls | failures | slow (13 bits each) | epoch (13 bits).
const HEAD_MASK: u64 = (1 << 12) - 1;
const FIELD: u32 = 13;
const FIELD_SHIFT: u32 = 12;
const FIELD_MASK: u64 = (1 << FIELD) - 1;
const EPOCH_SHIFT: u32 = FIELD_SHIFT + 3 * FIELD;
const EPOCH_MASK: u32 = (1 << 13) - 1;

#[derive(Debug)]
pub(crate) struct CountWindow {
    size: u32,
    /// Slot = epoch << 2 | outcome (0 empty, 1 success, 2 failure, 3 slow).
    slots: Box<[AtomicU32]>,
    /// The counter word (layout above).
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

/// (calls, failures, slow) of one slot's outcome, counted only in `epoch`.
fn fields(slot: u32, epoch: u32) -> [u64; 3] {
    if slot >> 2 != epoch {
        return [0; 3];
    }
    match slot & 3 {
        1 => [1, 0, 0],
        2 => [1, 1, 0],
        3 => [1, 0, 1],
        _ => [0, 0, 0],
    }
}

fn epoch_of(word: u64) -> u32 {
    (word >> EPOCH_SHIFT) as u32 & EPOCH_MASK
}

fn head_of(word: u64) -> usize {
    (word & HEAD_MASK) as usize
}

fn unpack(word: u64) -> Counts {
    let field = |i: u32| ((word >> (FIELD_SHIFT + i * FIELD)) & FIELD_MASK) as u32;
    Counts {
        calls: field(0),
        failures: field(1),
        slow: field(2),
    }
}

/// `word` with `add` added to and `sub` subtracted from each field, modulo 2¹³.
fn adjust(word: u64, add: [u64; 3], sub: [u64; 3]) -> u64 {
    let mut next = word;
    for i in 0..3 {
        let shift = FIELD_SHIFT + i as u32 * FIELD;
        let field = (word >> shift) & FIELD_MASK;
        let value = field.wrapping_add(add[i]).wrapping_sub(sub[i]) & FIELD_MASK;
        next = (next & !(FIELD_MASK << shift)) | value << shift;
    }
    next
}

impl CountWindow {
    pub(crate) fn new(size: u32) -> Self {
        Self {
            size,
            slots: (0..size).map(|_| AtomicU32::new(0)).collect(),
            counts: AtomicU64::new(0),
        }
    }

    /// The epoch outcomes are counted in now; [`record`](Self::record) counts an outcome
    /// only while it lasts.
    pub(crate) fn epoch(&self) -> u32 {
        // Acquire: pairs with the reset's release, so a caller that sees a new epoch also
        // sees what was installed before the reset (the breaker's new state word).
        epoch_of(self.counts.load(Ordering::Acquire))
    }

    /// Counts `kind` if the window is still at `epoch` (read with [`epoch`](Self::epoch)
    /// before the caller checked that its outcome is current); `None` after a reset.
    pub(crate) fn record(&self, epoch: u32, kind: Kind) -> Option<Counts> {
        let full_of_successes = Counts {
            calls: self.size,
            failures: 0,
            slow: 0,
        };
        // Acquire: pairs with the release of the previous claim and of the reset, so the
        // slot read below is at least as new as the counters it was counted in.
        let mut current = self.counts.load(Ordering::Acquire);
        let (index, guess, claimed) = loop {
            if epoch_of(current) != epoch {
                // Reset since the caller's check: the outcome belongs to an older period.
                return None;
            }
            if kind == Kind::Success && unpack(current) == full_of_successes {
                // The last N outcomes are all successes; with one more they still are.
                // The ring is unchanged up to rotation: nothing to write.
                return Some(full_of_successes);
            }
            let index = head_of(current);
            // Acquire: the outcome stored by this slot's previous writer.
            let guess = self.slots[index].load(Ordering::Acquire);
            let next_head = (index as u64 + 1) % u64::from(self.size);
            let next = adjust(
                current & !HEAD_MASK | next_head,
                fields(code(kind) | epoch << 2, epoch),
                fields(guess, epoch),
            );
            // AcqRel: claims the slot after the previous claim (acquire) and publishes
            // the counters with it (release).
            match self.counts.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break (index, guess, next),
                Err(seen) => current = seen,
            }
        };
        // AcqRel: the evicted outcome must be the one its writer stored (acquire), and
        // ours must be visible to whoever evicts it (release).
        let actual = self.slots[index].swap(epoch << 2 | code(kind), Ordering::AcqRel);
        if actual == guess {
            return self.consistent(unpack(claimed));
        }
        self.correct(epoch, fields(guess, epoch), fields(actual, epoch))
    }

    /// We subtracted `guessed` but evicted `evicted`: add one back, take the other off.
    #[cold]
    fn correct(&self, epoch: u32, guessed: [u64; 3], evicted: [u64; 3]) -> Option<Counts> {
        // Relaxed load, AcqRel CAS: as for the claim.
        let mut current = self.counts.load(Ordering::Relaxed);
        loop {
            if epoch_of(current) != epoch {
                return None;
            }
            let next = adjust(current, guessed, evicted);
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
                Some(u64::from(epoch) << EPOCH_SHIFT | (c & HEAD_MASK))
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
            w.record(w.epoch(), Kind::Success);
        }
        for i in 1..=5 {
            let c = w.record(w.epoch(), Kind::Failure).unwrap();
            assert_eq!((c.calls, c.failures), (10, i));
        }
        for _ in 0..10 {
            w.record(w.epoch(), Kind::Slow);
        }
        assert_eq!(
            w.counts(),
            Counts {
                calls: 10,
                failures: 0,
                slow: 10
            }
        );
        for _ in 0..10 {
            w.record(w.epoch(), Kind::Failure);
        }
        assert_eq!(
            w.counts(),
            Counts {
                calls: 10,
                failures: 10,
                slow: 0
            }
        );
    }

    #[test]
    fn reset_empties_and_old_epochs_are_never_subtracted() {
        let w = CountWindow::new(4);
        for _ in 0..3 {
            w.record(w.epoch(), Kind::Failure);
        }
        w.reset();
        assert_eq!(w.counts(), Counts::default());
        let c = w.record(w.epoch(), Kind::Success).unwrap();
        assert_eq!(
            c,
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
        for _ in 0..8 {
            w.record(w.epoch(), Kind::Success);
        }
        assert_eq!(w.counts().calls, 4);
    }

    #[test]
    fn an_outcome_of_an_epoch_before_a_reset_is_not_counted() {
        let w = CountWindow::new(4);
        let before = w.epoch();
        w.record(before, Kind::Success);
        w.reset();
        assert_eq!(w.record(before, Kind::Failure), None);
        assert_eq!(w.counts(), Counts::default());
        let c = w.record(w.epoch(), Kind::Failure).unwrap();
        assert_eq!((c.calls, c.failures), (1, 1));
    }

    #[test]
    fn every_reset_starts_an_epoch_unlike_the_last_ones() {
        let w = CountWindow::new(4);
        let mut seen = vec![w.epoch()];
        for _ in 0..4 {
            w.reset();
            let epoch = w.epoch();
            assert!(!seen.contains(&epoch), "epoch {epoch} again after {seen:?}");
            // An outcome of any earlier epoch is refused.
            for &old in &seen {
                assert_eq!(w.record(old, Kind::Failure), None);
            }
            seen.push(epoch);
        }
        assert_eq!(w.counts(), Counts::default());
    }

    #[test]
    fn a_reset_clears_the_slots_of_older_epochs_and_the_next_lap_is_exact() {
        let w = CountWindow::new(4);
        for _ in 0..3 {
            w.record(w.epoch(), Kind::Failure);
        }
        w.reset();
        assert!(w.slots.iter().all(|s| s.load(Ordering::Relaxed) == 0));
        // Two laps in the new epoch: each outcome is evicted exactly once.
        for _ in 0..8 {
            w.record(w.epoch(), Kind::Failure);
        }
        assert_eq!(
            w.counts(),
            Counts {
                calls: 4,
                failures: 4,
                slow: 0
            }
        );
    }

    #[test]
    fn a_reset_keeps_the_head_where_it_was() {
        let w = CountWindow::new(4);
        for _ in 0..3 {
            w.record(w.epoch(), Kind::Failure);
        }
        w.reset();
        assert_eq!(head_of(w.counts.load(Ordering::Relaxed)), 3);
        w.record(w.epoch(), Kind::Success);
        assert_eq!(head_of(w.counts.load(Ordering::Relaxed)), 0);
    }

    #[test]
    fn outcomes_from_before_the_epochs_wrapped_are_never_subtracted() {
        // Slots written in epoch 0 and never overwritten must be cleared by the resets,
        // or they would count again (and be subtracted again) once the 13-bit epoch
        // comes back to 0.
        let w = CountWindow::new(4);
        for _ in 0..3 {
            w.record(w.epoch(), Kind::Failure);
        }
        for _ in 0..=EPOCH_MASK {
            w.reset();
        }
        assert_eq!(w.epoch(), 0, "the epoch wrapped");
        for n in 1..=4 {
            let c = w.record(w.epoch(), Kind::Success).unwrap();
            assert_eq!((c.calls, c.failures), (n, 0));
        }
        let c = w.record(w.epoch(), Kind::Failure).unwrap();
        assert_eq!((c.calls, c.failures), (4, 1));
    }

    #[test]
    fn counts_that_cannot_be_are_not_evaluated() {
        let w = CountWindow::new(4);
        let counts = |calls, failures, slow| Counts {
            calls,
            failures,
            slow,
        };
        assert_eq!(w.consistent(counts(4, 4, 4)), Some(counts(4, 4, 4)));
        assert_eq!(w.consistent(counts(5, 0, 0)), None, "more calls than slots");
        assert_eq!(
            w.consistent(counts(2, 3, 0)),
            None,
            "more failures than calls"
        );
        assert_eq!(
            w.consistent(counts(2, 0, 3)),
            None,
            "more slow calls than calls"
        );
        assert_eq!(w.counts(), Counts::default());
    }

    #[test]
    fn a_correction_swaps_the_guessed_outcome_for_the_evicted_one() {
        let w = CountWindow::new(1);
        w.record(w.epoch(), Kind::Success);
        // We guessed a failure (and subtracted it) but evicted a success.
        let c = w.correct(0, fields(2, 0), fields(1, 0));
        assert_eq!(
            c,
            Some(Counts {
                calls: 1,
                failures: 1,
                slow: 0
            })
        );
        let c = w.correct(0, fields(1, 0), fields(2, 0));
        assert_eq!(
            c,
            Some(Counts {
                calls: 1,
                failures: 0,
                slow: 0
            })
        );
        assert_eq!(
            w.correct(1, fields(1, 1), fields(2, 1)),
            None,
            "another epoch"
        );
    }
}
