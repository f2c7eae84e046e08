//! A time window: the last T of time in B buckets, lock-free, one CAS per call.
//!
//! Bucket `b = now / (T / B)` lives in slot `b mod B`. A slot is one packed word, the
//! bucket's tag (`b mod 2¹⁶`) and the window's epoch (3 bits) with its calls, failures and
//! slow successes (15 bits each), so rolling a slot over to a new bucket and counting into
//! it are one compare-and-swap. A bucket keeps its first 32,767 outcomes; past that it
//! stops counting and the rates are estimated from that sample. Summing reads B words, a
//! constant of the configuration.
//!
//! A reset starts a new epoch: slots written in another epoch count for nothing, and an
//! outcome counts only in the epoch its caller read before checking that it is current,
//! so an outcome of an earlier closed period never lands in a later period's window.
//!
//! The call that first reaches a bucket clears the slots of every bucket it passes,
//! keeping those that a call of the very bucket has already claimed (after an idle spell
//! of 2¹⁵ buckets or more, it clears them all). So every slot holds a bucket of the last window or
//! nothing, and a tag that wrapped around can never resurrect old outcomes, even in a
//! slot that no call has touched for 2¹⁶ bucket periods.

use std::time::Duration;

use crate::sync::{AtomicU32, AtomicU64, Ordering};

use super::super::word::Kind;
use super::Counts;

const TAG_SHIFT: u32 = 48;
const EPOCH_SHIFT: u32 = 45;
const EPOCH_MASK: u32 = 0b111;
const FIELD: u32 = 15;
const FIELD_MASK: u64 = (1 << FIELD) - 1;

#[derive(Debug)]
pub(crate) struct TimeWindow {
    bucket_nanos: u64,
    slots: Box<[AtomicU64]>,
    /// One more than the newest bucket number reached (0: none yet). Relaxed: its
    /// `fetch_max` hands each bucket to exactly one caller to clear.
    newest: AtomicU64,
    /// Bumped by every reset; slots carry its low 3 bits.
    epoch: AtomicU32,
}

fn tag(word: u64) -> u16 {
    (word >> TAG_SHIFT) as u16
}

fn epoch_of(word: u64) -> u32 {
    (word >> EPOCH_SHIFT) as u32 & EPOCH_MASK
}

fn unpack(word: u64) -> Counts {
    Counts {
        calls: (word & FIELD_MASK) as u32,
        failures: ((word >> FIELD) & FIELD_MASK) as u32,
        slow: ((word >> (2 * FIELD)) & FIELD_MASK) as u32,
    }
}

fn pack(tag: u16, epoch: u32, c: Counts) -> u64 {
    (u64::from(tag) << TAG_SHIFT)
        | u64::from(epoch & EPOCH_MASK) << EPOCH_SHIFT
        | u64::from(c.slow) << (2 * FIELD)
        | u64::from(c.failures) << FIELD
        | u64::from(c.calls)
}

impl TimeWindow {
    pub(crate) fn new(length: Duration, buckets: u32) -> Self {
        let nanos = u64::try_from(length.as_nanos()).unwrap_or(u64::MAX);
        Self {
            bucket_nanos: (nanos / u64::from(buckets)).max(1),
            slots: (0..buckets).map(|_| AtomicU64::new(0)).collect(),
            newest: AtomicU64::new(0),
            epoch: AtomicU32::new(0),
        }
    }

    fn bucket(&self, now: Duration) -> u64 {
        u64::try_from(now.as_nanos()).unwrap_or(u64::MAX) / self.bucket_nanos
    }

    /// The epoch outcomes are counted in now; [`record`](Self::record) counts an outcome
    /// only in that epoch.
    pub(crate) fn epoch(&self) -> u32 {
        // Acquire: pairs with the reset's release, so a caller that sees a new epoch also
        // sees what was installed before the reset (the breaker's new state word).
        self.epoch.load(Ordering::Acquire) & EPOCH_MASK
    }

    /// Counts `kind` at `now` in `epoch` (read with [`epoch`](Self::epoch) before the
    /// caller checked that its outcome is current) and returns that epoch's counts; `None`
    /// when it was not counted (its bucket has passed, or is full, or a reset came first).
    pub(crate) fn record(&self, epoch: u32, now: Duration, kind: Kind) -> Option<Counts> {
        let b = self.bucket(now);
        self.advance(b);
        let n = self.slots.len() as u64;
        let slot = &self.slots[(b % n) as usize];
        let t = b as u16;
        let add = Counts::of(kind);
        // Relaxed load, Release CAS: each slot word is self-contained; release only
        // orders it before later readers' acquire loads in `counts`.
        let mut current = slot.load(Ordering::Relaxed);
        loop {
            let c = unpack(current);
            let ours = epoch_of(current) == epoch;
            if c.calls != 0 && !ours && self.epoch() != epoch {
                // The slot holds another epoch's outcomes and the window has moved on
                // from ours: they may be the new period's, which a late outcome must not
                // replace.
                return None;
            }
            let next = if c.calls == 0 || !ours || is_older(tag(current), t) {
                pack(t, epoch, add)
            } else if tag(current) == t && c.calls < FIELD_MASK as u32 {
                pack(
                    t,
                    epoch,
                    Counts {
                        calls: c.calls + 1,
                        failures: c.failures + add.failures,
                        slow: c.slow + add.slow,
                    },
                )
            } else {
                // Our bucket has already passed, or this one is full: not counted.
                return None;
            };
            match slot.compare_exchange_weak(current, next, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return Some(self.sum(b, epoch)),
                Err(seen) => current = seen,
            }
        }
    }

    /// Moves the newest bucket up to `b`, clearing the slots of the buckets passed.
    fn advance(&self, b: u64) {
        let mark = b.saturating_add(1);
        if mark <= self.newest.load(Ordering::Relaxed) {
            return;
        }
        let before = self.newest.fetch_max(mark, Ordering::Relaxed);
        if before == 0 || mark <= before {
            // The first call ever (every slot is empty), or another caller passed `b`.
            return;
        }
        if mark - before >= 1 << 15 {
            // After so long a gap old tags can equal new ones: clear every slot. (A call
            // of bucket `b` racing this very moment may lose its outcome.)
            for slot in self.slots.iter() {
                // Release: later recorders and readers see the empty slot.
                slot.store(0, Ordering::Release);
            }
            return;
        }
        // Buckets `before ..= b` are this caller's to clear; a slot only matters for the
        // last window's worth of them.
        let n = self.slots.len() as u64;
        for k in before.max(mark.saturating_sub(n))..mark {
            self.clear(k);
        }
    }

    /// Empties bucket `k`'s slot unless it already holds bucket `k`.
    fn clear(&self, k: u64) {
        let slot = &self.slots[(k % self.slots.len() as u64) as usize];
        let t = k as u16;
        let mut current = slot.load(Ordering::Relaxed);
        // Every slot held a bucket of the window before `k`'s, less than 2¹⁵ buckets back,
        // or nothing (buckets are cleared as they are passed), so a tag equal to `k`'s is
        // bucket `k`, claimed by a call of that bucket.
        while unpack(current).calls != 0 && tag(current) != t {
            // Release: as a record's CAS. Relaxed on failure: the loop re-examines it.
            match slot.compare_exchange_weak(current, 0, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// The counts of `epoch` in the window that ends with bucket `b`.
    fn sum(&self, b: u64, epoch: u32) -> Counts {
        let n = self.slots.len() as u16;
        let t = b as u16;
        self.slots.iter().fold(Counts::default(), |sum, slot| {
            // Acquire: pairs with the recorders' release CAS.
            let word = slot.load(Ordering::Acquire);
            let c = unpack(word);
            if c.calls == 0 || epoch_of(word) != epoch || t.wrapping_sub(tag(word)) >= n {
                return sum;
            }
            Counts {
                calls: sum.calls + c.calls,
                failures: sum.failures + c.failures,
                slow: sum.slow + c.slow,
            }
        })
    }

    pub(crate) fn counts(&self, now: Duration) -> Counts {
        let b = self.bucket(now);
        let newest = self.newest.load(Ordering::Relaxed);
        if b.saturating_add(1).saturating_sub(newest) >= self.slots.len() as u64 {
            return Counts::default();
        }
        self.sum(b, self.epoch())
    }

    /// Starts a new epoch and empties the slots of older ones.
    pub(crate) fn reset(&self) {
        // AcqRel: publishes the new epoch (and what the caller installed before it).
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel).wrapping_add(1) & EPOCH_MASK;
        for slot in self.slots.iter() {
            // Relaxed: losing this race means a writer of the new epoch replaced the
            // stale slot, which is what clearing wanted.
            let value = slot.load(Ordering::Relaxed);
            if value != 0 && epoch_of(value) != epoch {
                let _ = slot.compare_exchange(value, 0, Ordering::Release, Ordering::Relaxed);
            }
        }
    }
}

/// Whether tag `old` names an earlier bucket than `new` (within half the tag range).
fn is_older(old: u16, new: u16) -> bool {
    let ahead = new.wrapping_sub(old);
    ahead != 0 && ahead < 0x8000
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn counts_only_the_buckets_inside_the_window() {
        let w = TimeWindow::new(S(10), 10);
        w.record(w.epoch(), S(0), Kind::Failure);
        w.record(w.epoch(), S(5), Kind::Success);
        let c = w.record(w.epoch(), S(9), Kind::Slow).unwrap();
        assert_eq!(
            c,
            Counts {
                calls: 3,
                failures: 1,
                slow: 1
            }
        );
        let c = w.record(w.epoch(), S(10), Kind::Success).unwrap();
        assert_eq!(
            c,
            Counts {
                calls: 3,
                failures: 0,
                slow: 1
            },
            "bucket 0 has slid out"
        );
        assert_eq!(w.counts(S(100)), Counts::default());
    }

    #[test]
    fn an_outcome_of_an_epoch_before_a_reset_is_not_counted() {
        let w = TimeWindow::new(S(4), 4);
        let before = w.epoch();
        w.record(before, S(0), Kind::Success);
        w.reset();
        let now = w.epoch();
        assert_ne!(now, before);
        // The slot is empty after the reset; the late outcome is written in its own
        // epoch, where no one counts it.
        w.record(before, S(1), Kind::Failure);
        assert_eq!(w.counts(S(1)), Counts::default());
        // A current outcome replaces it, and the late one cannot replace that.
        w.record(now, S(1), Kind::Success);
        assert_eq!(w.record(before, S(1), Kind::Failure), None);
        let c = w.record(now, S(1), Kind::Failure).unwrap();
        assert_eq!((c.calls, c.failures), (2, 1));
        assert_eq!(w.counts(S(1)), c);
    }

    #[test]
    fn older_means_behind_by_less_than_half_the_tag_range() {
        assert!(is_older(0, 1));
        assert!(is_older(0, 0x7FFF));
        assert!(is_older(0xFFFF, 3), "across the wrap");
        assert!(!is_older(0, 0x8000));
        assert!(!is_older(1, 0));
        assert!(!is_older(5, 5));
    }

    #[test]
    fn a_slot_of_an_older_bucket_is_replaced_not_added_to() {
        // A call of bucket 4 finds slot 0 still holding bucket 0 (another caller moved
        // the newest bucket past 4 and has not cleared it yet).
        let w = TimeWindow::new(S(4), 4);
        let stale = Counts {
            calls: 3,
            failures: 3,
            slow: 0,
        };
        w.slots[0].store(pack(0, w.epoch(), stale), Ordering::Relaxed);
        w.newest.store(6, Ordering::Relaxed);
        let c = w.record(w.epoch(), S(4), Kind::Success).unwrap();
        assert_eq!(
            c,
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
    }

    #[test]
    fn a_full_bucket_stops_counting() {
        let w = TimeWindow::new(S(4), 4);
        let full = FIELD_MASK as u32;
        for _ in 0..full {
            w.record(w.epoch(), S(0), Kind::Slow).unwrap();
        }
        assert_eq!(w.record(w.epoch(), S(0), Kind::Failure), None);
        assert_eq!(
            w.counts(S(0)),
            Counts {
                calls: full,
                failures: 0,
                slow: full
            }
        );
    }

    #[test]
    fn passing_a_bucket_clears_its_slot_so_a_wrapped_tag_cannot_revive_it() {
        // Bucket 1's failure sits in slot 1. The window then moves in steps of 20,000
        // buckets (each clearing every slot it passes) until bucket 65,537, whose 16-bit
        // tag equals bucket 1's.
        let w = TimeWindow::new(S(4), 4);
        w.record(w.epoch(), S(1), Kind::Failure);
        for b in [20_001, 40_001, 60_001] {
            w.record(w.epoch(), S(b), Kind::Success);
        }
        let c = w.record(w.epoch(), S(65_537), Kind::Success).unwrap();
        assert_eq!(
            c,
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
    }

    #[test]
    fn a_late_outcome_is_dropped_and_idleness_clears_everything() {
        let w = TimeWindow::new(S(4), 4);
        w.record(w.epoch(), S(4), Kind::Failure);
        assert_eq!(
            w.record(w.epoch(), S(0), Kind::Failure),
            None,
            "bucket 0 was replaced by bucket 4"
        );
        w.record(w.epoch(), S(5), Kind::Failure);
        let later = S(4 + 65_536);
        assert_eq!(
            w.record(w.epoch(), later, Kind::Success).unwrap(),
            Counts {
                calls: 1,
                failures: 0,
                slow: 0
            }
        );
    }
}
