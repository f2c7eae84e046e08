//! The lock-free sliding window behind [`RetryBudget`](super::RetryBudget): net tokens in
//! ten slots that together span the time-to-live.
//!
//! Time is cut into epochs of `ttl / 10`. Deposits and withdrawals of epoch `e` go into
//! slot `e % 10`, and into one running total, the sum of the slots; the balance is that
//! total plus a constant reserve. When the epoch advances, one caller wins a flag in the
//! epoch word, clears the slots that fell out of the window (taking them out of the
//! total) and publishes the new epoch; everyone else carries on with the slot the epoch
//! word names. No call blocks.
//!
//! A withdrawal checks and takes the balance in one compare-exchange on the total, so
//! withdrawals serialize on it: two callers can never both spend the last retry, even
//! when one of them writes the old epoch's slot and the other the new one's during a
//! rotation. (Checking the sum of the other slots and then exchanging on one's own slot
//! let exactly those two both through.)
//!
//! Clearing subtracts the value it read instead of storing zero, so a deposit that lands
//! in a slot while it is being cleared is kept rather than lost. A token therefore expires
//! between `ttl − ttl/10` and `ttl` after it was recorded.

use std::time::Duration;

use crate::sync::{AtomicU64, Ordering};

/// Slots in the window: expiry is exact to a tenth of the ttl.
pub(crate) const SLOTS: u64 = 10;

/// Units of one retry. Deposits are `ratio × UNITS_PER_RETRY` units, so ratios are exact
/// to one millionth.
pub(crate) const UNITS_PER_RETRY: u64 = 1_000_000;

/// The epoch word's low bit: a rotation is under way.
const ROTATING: u64 = 1;

#[derive(Debug)]
pub(crate) struct Bucket {
    /// Net units per epoch, as `i64` in two's complement: atomic adds wrap, so adding
    /// `x.wrapping_neg()` subtracts. Only this bucket writes them.
    slots: [AtomicU64; SLOTS as usize],
    /// The sum of the slots, as `i64` in two's complement like them: every change to a
    /// slot is made to it too, so in a quiet moment it equals their sum.
    total: AtomicU64,
    /// `epoch << 1 | ROTATING`: the epoch whose slot takes new tokens.
    epoch: AtomicU64,
    slot_nanos: u64,
    deposit: u64,
    reserve: i128,
}

impl Bucket {
    /// A bucket whose deposits expire after `ttl` (at least ten nanoseconds), crediting
    /// `deposit` units per call, with `reserve` units standing on top, at time `now`.
    pub(crate) fn new(ttl: Duration, deposit: u64, reserve: u64, now: Duration) -> Self {
        let slot_nanos = (nanos(ttl) / SLOTS).max(1);
        Self {
            slots: std::array::from_fn(|_| AtomicU64::new(0)),
            total: AtomicU64::new(0),
            epoch: AtomicU64::new((nanos(now) / slot_nanos) << 1),
            slot_nanos,
            deposit,
            reserve: i128::from(reserve),
        }
    }

    /// Credits one call.
    pub(crate) fn deposit(&self, now: Duration) {
        if self.deposit == 0 {
            return;
        }
        let slot = self.slot(self.advance(now));
        // Relaxed: the slot is a counter; no other memory is published through it, and
        // read-modify-writes on one location never lose each other's updates.
        slot.fetch_add(self.deposit, Ordering::Relaxed);
        // Relaxed: as above.
        self.total.fetch_add(self.deposit, Ordering::Relaxed);
    }

    /// Takes one retry's worth of units if the balance covers it.
    pub(crate) fn try_withdraw(&self, now: Duration) -> bool {
        let epoch = self.advance(now);
        // Relaxed: the compare-exchange below validates this value.
        let mut total = self.total.load(Ordering::Relaxed);
        loop {
            if i128::from(total as i64) + self.reserve < i128::from(UNITS_PER_RETRY) {
                return false;
            }
            let taken = total.wrapping_sub(UNITS_PER_RETRY);
            // Relaxed: a counter, as for deposits. Every withdrawal serializes on this one
            // word, whichever slot it then writes, so two of them cannot both spend the
            // same last tokens.
            match self.total.compare_exchange_weak(
                total,
                taken,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => total = actual,
            }
        }
        // Relaxed: a counter. The slot only says when this withdrawal expires.
        self.slot(epoch)
            .fetch_sub(UNITS_PER_RETRY, Ordering::Relaxed);
        true
    }

    /// Net units available now, reserve included (negative after an overdraft).
    pub(crate) fn balance(&self, now: Duration) -> i128 {
        self.advance(now);
        // Relaxed: freshness comes from the Acquire load of the epoch word in `advance`.
        i128::from(self.total.load(Ordering::Relaxed) as i64) + self.reserve
    }

    fn slot(&self, epoch: u64) -> &AtomicU64 {
        &self.slots[(epoch % SLOTS) as usize]
    }

    /// Moves the window to `now` if this caller wins the rotation, and returns the epoch
    /// whose slot takes new tokens.
    fn advance(&self, now: Duration) -> u64 {
        let target = nanos(now) / self.slot_nanos;
        // Acquire: pairs with the Release store that ends a rotation, so slots that the
        // rotation cleared read as cleared here.
        let word = self.epoch.load(Ordering::Acquire);
        let current = word >> 1;
        if target <= current || word & ROTATING != 0 {
            return current;
        }
        // Acquire on success: same pairing, for the rotation this caller is about to do.
        // Relaxed on failure: someone else rotates; this caller uses the old epoch's slot.
        let claimed = self.epoch.compare_exchange(
            word,
            word | ROTATING,
            Ordering::Acquire,
            Ordering::Relaxed,
        );
        if claimed.is_err() {
            // Acquire: as above.
            return self.epoch.load(Ordering::Acquire) >> 1;
        }
        self.expire(current, target);
        // Release: publishes the cleared slots together with the new epoch.
        self.epoch.store(target << 1, Ordering::Release);
        target
    }

    /// Clears the slots of epochs `from + 1 ..= to`, whose contents are at least a window
    /// old at epoch `to`; all of them when `to - from` spans the window.
    fn expire(&self, from: u64, to: u64) {
        for back in 0..(to - from).min(SLOTS) {
            let slot = self.slot(to - back);
            // Relaxed: a counter (see `deposit`). Subtracting what was read, rather than
            // storing zero, keeps tokens that land between the load and the subtraction.
            let stale = slot.load(Ordering::Relaxed);
            slot.fetch_sub(stale, Ordering::Relaxed);
            self.total.fetch_sub(stale, Ordering::Relaxed);
        }
    }
}

/// Whole nanoseconds, saturating at `u64::MAX` (about 584 years of uptime).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(10);
    const RETRY: u64 = UNITS_PER_RETRY;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn deposits_expire_with_their_slot() {
        let bucket = Bucket::new(TTL, RETRY, 0, Duration::ZERO);
        bucket.deposit(secs(0.5)); // epoch 0
        bucket.deposit(secs(5.5)); // epoch 5
        assert_eq!(bucket.balance(secs(9.9)), 2 * i128::from(RETRY));
        assert_eq!(bucket.balance(secs(10.0)), i128::from(RETRY)); // epoch 0 gone
        assert_eq!(bucket.balance(secs(15.0)), 0);
    }

    #[test]
    fn the_balance_is_the_reserve_plus_what_is_in_the_slots() {
        let bucket = Bucket::new(TTL, RETRY, 2 * RETRY, Duration::ZERO);
        assert_eq!(bucket.balance(secs(0.0)), 2 * i128::from(RETRY));
        bucket.deposit(secs(0.5));
        assert!(bucket.try_withdraw(secs(0.5)));
        assert_eq!(bucket.balance(secs(0.5)), 2 * i128::from(RETRY));
    }

    #[test]
    fn a_long_gap_clears_every_slot() {
        let bucket = Bucket::new(TTL, RETRY, 0, Duration::ZERO);
        for s in 0..10 {
            bucket.deposit(secs(f64::from(s)));
        }
        assert_eq!(bucket.balance(secs(9.0)), 10 * i128::from(RETRY));
        assert_eq!(bucket.balance(secs(1000.0)), 0);
        bucket.deposit(secs(1000.0));
        assert_eq!(bucket.balance(secs(1000.0)), i128::from(RETRY));
    }

    #[test]
    fn withdrawals_from_the_reserve_expire_too() {
        let bucket = Bucket::new(TTL, 0, 2 * RETRY, Duration::ZERO);
        assert!(bucket.try_withdraw(secs(0.0)));
        assert!(bucket.try_withdraw(secs(3.0)));
        assert!(!bucket.try_withdraw(secs(9.9)));
        assert!(bucket.try_withdraw(secs(10.0))); // the first withdrawal expired
        assert!(!bucket.try_withdraw(secs(10.0)));
        assert!(bucket.try_withdraw(secs(13.0)));
    }

    #[test]
    fn clearing_keeps_what_lands_meanwhile() {
        let bucket = Bucket::new(TTL, RETRY, 0, Duration::ZERO);
        bucket.slot(3).fetch_add(5, Ordering::Relaxed);
        // A late deposit (made with an old epoch word) between load and subtract survives.
        let stale = bucket.slot(3).load(Ordering::Relaxed);
        bucket.slot(3).fetch_add(7, Ordering::Relaxed);
        bucket.slot(3).fetch_sub(stale, Ordering::Relaxed);
        assert_eq!(bucket.slot(3).load(Ordering::Relaxed), 7);
    }

    #[test]
    fn far_future_clocks_saturate() {
        let bucket = Bucket::new(TTL, RETRY, 0, Duration::MAX);
        bucket.deposit(Duration::MAX);
        assert_eq!(bucket.balance(Duration::MAX), i128::from(RETRY));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::Arc;

    const TTL: Duration = Duration::from_secs(10);

    /// Two threads race for the last retry: exactly one gets it.
    #[test]
    fn the_last_retry_goes_to_one_thread() {
        loom::model(|| {
            let bucket = Arc::new(Bucket::new(TTL, 0, UNITS_PER_RETRY, Duration::ZERO));
            let other = Arc::clone(&bucket);
            let handle = loom::thread::spawn(move || other.try_withdraw(Duration::ZERO));
            let here = bucket.try_withdraw(Duration::ZERO);
            let there = handle.join().unwrap();
            assert!(here ^ there);
        });
    }

    /// Two threads spend the last retry while one of them rotates the window: the one that
    /// loses the rotation withdraws from the old slot, the winner from the new one, and
    /// still only one of them gets it.
    #[test]
    fn the_last_retry_goes_to_one_thread_across_a_rotation() {
        loom::model(|| {
            let bucket = Arc::new(Bucket::new(TTL, 0, UNITS_PER_RETRY, Duration::ZERO));
            let other = Arc::clone(&bucket);
            let later = Duration::from_secs(1);
            let handle = loom::thread::spawn(move || other.try_withdraw(later));
            let here = bucket.try_withdraw(later);
            let there = handle.join().unwrap();
            assert!(!(here && there), "both threads spent the last retry");
            assert!(here || there, "the retry was lost");
            assert_eq!(bucket.balance(later), 0);
        });
    }

    /// A deposit racing a rotation is never lost.
    #[test]
    fn deposits_survive_a_concurrent_rotation() {
        loom::model(|| {
            let bucket = Arc::new(Bucket::new(TTL, UNITS_PER_RETRY, 0, Duration::ZERO));
            bucket.deposit(Duration::ZERO);
            let other = Arc::clone(&bucket);
            let later = Duration::from_secs(1);
            let handle = loom::thread::spawn(move || other.deposit(later));
            bucket.deposit(later);
            handle.join().unwrap();
            assert_eq!(bucket.balance(later), 3 * i128::from(UNITS_PER_RETRY));
        });
    }
}
