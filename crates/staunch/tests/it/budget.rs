//! `RetryBudget` on the fake clock: allowances, reserve, expiry, sharing, outages, threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use proptest::prelude::*;
use staunch::test_util::FakeClock;
use staunch::{ConfigError, RetryBudget};

fn budget(fake: &FakeClock, ratio: f64, min_per_sec: u32) -> RetryBudget {
    RetryBudget::builder()
        .retry_ratio(ratio)
        .min_retries_per_sec(min_per_sec)
        .clock(fake.clock())
        .build()
        .unwrap()
}

/// Withdraws until the budget says no; returns how many it gave.
fn drain(budget: &RetryBudget) -> u64 {
    let mut taken = 0;
    while budget.try_withdraw() {
        taken += 1;
        assert!(taken <= 10_000_000, "the budget never runs out");
    }
    taken
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn ratios_allow_exactly_their_share_of_calls() {
    // (ratio, retries allowed after 100 calls); tower's `TpsBudget` allows 100 for 0.7
    // and 34 for 0.3 (withdrawal ⌊1/ratio⌋), the over-allocation this budget avoids.
    let cases = [
        (0.0, 0),
        (0.01, 1),
        (0.1, 10),
        (0.2, 20),
        (0.25, 25),
        (0.3, 30),
        (1.0 / 3.0, 33),
        (0.5, 50),
        (0.7, 70),
        (0.9, 90),
        (0.999, 99),
        (1.0, 100),
        (1.5, 150),
        (2.5, 250),
        (10.0, 1000),
        (1000.0, 100_000),
    ];
    for (ratio, allowed) in cases {
        let fake = FakeClock::new();
        let budget = budget(&fake, ratio, 0);
        for _ in 0..100 {
            budget.deposit();
        }
        assert_eq!(budget.balance(), allowed, "ratio {ratio}");
        assert_eq!(drain(&budget), allowed, "ratio {ratio}");
        assert_eq!(budget.balance(), 0);
    }
}

#[test]
fn fractions_accumulate_across_calls() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.3, 0);
    let mut granted = Vec::new();
    for _ in 0..10 {
        budget.deposit();
        granted.push(budget.try_withdraw());
    }
    // 0.3, 0.6, 0.9, 1.2 → retry, 0.5, 0.8, 1.1 → retry, 0.4, 0.7, 1.0 → retry
    let expected = [
        false, false, false, true, false, false, true, false, false, true,
    ];
    assert_eq!(granted, expected);
}

#[test]
fn the_reserve_is_min_retries_per_sec_times_ttl() {
    let cases = [
        (Duration::from_secs(10), 10, 0.0, 0, 100),
        (Duration::from_secs(1), 1, 0.0, 0, 1),
        (Duration::from_secs(60), 3, 0.0, 0, 180),
        (ms(1500), 3, 0.0, 0, 4),
        (Duration::from_secs(10), 0, 0.0, 1000, 0),
        (Duration::from_secs(10), 10, 0.2, 100, 120),
        (Duration::from_secs(10), 10, 1.5, 10, 115),
    ];
    for (ttl, min_per_sec, ratio, calls, allowed) in cases {
        let fake = FakeClock::new();
        let budget = RetryBudget::builder()
            .ttl(ttl)
            .min_retries_per_sec(min_per_sec)
            .retry_ratio(ratio)
            .clock(fake.clock())
            .build()
            .unwrap();
        for _ in 0..calls {
            budget.deposit();
        }
        assert_eq!(
            drain(&budget),
            allowed,
            "{ttl:?} {min_per_sec}/s {ratio} {calls}"
        );
    }
}

#[test]
fn deposits_expire_after_the_ttl() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 1.0, 0);
    for _ in 0..5 {
        budget.deposit();
    }
    fake.advance(ms(9_999));
    assert_eq!(budget.balance(), 5);
    fake.advance(ms(1));
    assert_eq!(budget.balance(), 0);
    assert!(!budget.try_withdraw());
}

#[test]
fn tokens_live_between_nine_tenths_of_the_ttl_and_the_ttl() {
    // Ten slots: a deposit counts until its slot leaves the window.
    for offset_ms in (0..2_000).step_by(50) {
        let fake = FakeClock::new();
        let budget = budget(&fake, 1.0, 0);
        fake.advance(ms(offset_ms));
        budget.deposit();
        fake.advance(ms(8_999));
        assert_eq!(budget.balance(), 1, "deposited at {offset_ms} ms");
        fake.advance(ms(1_001));
        assert_eq!(budget.balance(), 0, "deposited at {offset_ms} ms");
    }
}

#[test]
fn withdrawals_expire_so_the_reserve_refills() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.0, 1); // 10 retries per 10 s
    assert_eq!(drain(&budget), 10);
    fake.advance(ms(5_000));
    assert_eq!(drain(&budget), 0);
    fake.advance(ms(5_000));
    assert_eq!(drain(&budget), 10);
}

#[test]
fn a_long_idle_spell_forgets_everything() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.5, 1);
    for _ in 0..100 {
        budget.deposit();
    }
    assert_eq!(drain(&budget), 60);
    fake.advance(Duration::from_secs(3600));
    assert_eq!(budget.balance(), 10, "only the reserve is left");
}

#[test]
fn clones_share_one_bucket() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.5, 0);
    let retry_policy = budget.clone();
    let other_policy = budget.clone();
    for _ in 0..10 {
        retry_policy.deposit();
    }
    assert_eq!(other_policy.balance(), 5);
    assert_eq!(drain(&other_policy), 5);
    assert_eq!(budget.balance(), 0);
    assert!(!retry_policy.try_withdraw());

    // Two budgets built from one builder are separate.
    let builder = RetryBudget::builder()
        .min_retries_per_sec(1)
        .clock(fake.clock());
    let (a, b) = (builder.clone().build().unwrap(), builder.build().unwrap());
    assert_eq!(drain(&a), 10);
    assert_eq!(b.balance(), 10);
}

/// One call in an outage: it fails on every attempt and retries while the budget allows,
/// up to `max_attempts` in total. Returns the retries it made.
fn failing_call(budget: &RetryBudget, max_attempts: u32) -> u64 {
    budget.deposit();
    let mut retries = 0;
    for _ in 1..max_attempts {
        if !budget.try_withdraw() {
            break;
        }
        retries += 1;
    }
    retries
}

#[test]
fn an_outage_within_one_ttl_gets_ratio_times_calls_plus_the_reserve() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.2, 10); // the defaults: ttl 10 s
    let (mut calls, mut retries) = (0_u64, 0_u64);
    // 1000 calls over 9 s, three attempts each.
    for _ in 0..1000 {
        retries += failing_call(&budget, 3);
        calls += 1;
        fake.advance(ms(9));
    }
    let bound = calls / 5 + 10 * 10;
    assert_eq!(retries, bound, "every allowed retry is used, none more");
    assert!(
        retries < 2 * calls / 6,
        "far below the 2000 retries three attempts would make"
    );
}

#[test]
fn a_long_outage_stays_within_the_budget() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.2, 10);
    let (mut calls, mut retries) = (0_u64, 0_u64);
    let outage = Duration::from_secs(60);
    // 100 calls a second, five attempts each.
    while fake.now() < outage {
        retries += failing_call(&budget, 5);
        calls += 1;
        fake.advance(ms(10));
    }
    assert_eq!(calls, 6000);
    // The reserve refills as withdrawals expire: 10 retries a second over the outage,
    // plus one ttl's worth that can be spent at once.
    let bound = calls / 5 + 10 * (60 + 10);
    assert!(retries <= bound, "{retries} > {bound}");
    assert!(
        retries >= calls / 5,
        "the ratio's share is available: {retries}"
    );
}

#[test]
fn recovered_traffic_earns_the_budget_back() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.2, 0);
    for _ in 0..100 {
        failing_call(&budget, 3);
        fake.advance(ms(10));
    }
    assert_eq!(budget.balance(), 0);
    for _ in 0..100 {
        budget.deposit(); // successes, no retries
        fake.advance(ms(10));
    }
    assert_eq!(budget.balance(), 20);
}

#[test]
fn concurrent_deposits_and_withdrawals_lose_nothing() {
    const THREADS: u64 = 4;
    const CALLS: u64 = 20_000;
    let fake = FakeClock::new();
    let budget = budget(&fake, 0.25, 1); // reserve: 10
    let granted = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (budget, granted) = (budget.clone(), Arc::clone(&granted));
            thread::spawn(move || {
                for _ in 0..CALLS {
                    budget.deposit();
                    for _ in 0..2 {
                        if budget.try_withdraw() {
                            granted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    // The clock stood still, so nothing expired: what was granted plus what is left is
    // exactly what the calls earned plus the reserve.
    let granted = granted.load(Ordering::Relaxed);
    let earned = THREADS * CALLS / 4 + 10;
    assert!(granted <= earned);
    assert_eq!(granted + drain(&budget), earned);
}

#[test]
fn concurrent_drains_share_the_last_tokens_exactly() {
    let fake = FakeClock::new();
    let budget = budget(&fake, 1.0, 0);
    for _ in 0..50_000 {
        budget.deposit();
    }
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let budget = budget.clone();
            thread::spawn(move || drain(&budget))
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 50_000);
}

#[test]
fn concurrent_use_across_slot_boundaries_stays_within_the_budget() {
    const THREADS: u64 = 3;
    const CALLS: u64 = 20_000;
    let fake = FakeClock::new();
    let budget = RetryBudget::builder()
        .ttl(Duration::from_secs(1)) // slots of 100 ms
        .clock(fake.clock())
        .build()
        .unwrap();
    let granted = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (budget, granted, fake) = (budget.clone(), Arc::clone(&granted), fake.clone());
            thread::spawn(move || {
                for call in 0..CALLS {
                    granted.fetch_add(failing_call(&budget, 4), Ordering::Relaxed);
                    // Every thread moves the shared clock, so slots rotate under the others.
                    if call % 10 == 0 {
                        fake.advance(ms(5));
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(fake.now(), Duration::from_secs(30)); // 300 slot rotations
    let granted = granted.load(Ordering::Relaxed);
    // Ratio 0.2 of the calls, plus the reserve of 10 retries/s over 30 s and one ttl.
    let bound = THREADS * CALLS / 5 + 10 * (30 + 1);
    assert!(granted <= bound, "{granted} retries exceed {bound}");
    assert!(
        granted >= THREADS * CALLS / 5,
        "the ratio's share is available: {granted}"
    );
}

type BuildCase = (
    fn() -> Result<RetryBudget, ConfigError>,
    &'static str,
    &'static str,
);

#[test]
fn the_builder_rejects_bad_values_by_name() {
    let cases: [BuildCase; 10] = [
        (
            || RetryBudget::builder().ttl(Duration::ZERO).build(),
            "ttl",
            "0ns",
        ),
        (
            || RetryBudget::builder().ttl(ms(999)).build(),
            "ttl",
            "999ms",
        ),
        (
            || RetryBudget::builder().ttl(ms(60_001)).build(),
            "ttl",
            "60.001s",
        ),
        (
            || RetryBudget::builder().ttl(Duration::MAX).build(),
            "ttl",
            "18446744073709551615.999999999s",
        ),
        (
            || RetryBudget::builder().retry_ratio(f64::NAN).build(),
            "retry_ratio",
            "NaN",
        ),
        (
            || RetryBudget::builder().retry_ratio(f64::INFINITY).build(),
            "retry_ratio",
            "inf",
        ),
        (
            || {
                RetryBudget::builder()
                    .retry_ratio(f64::NEG_INFINITY)
                    .build()
            },
            "retry_ratio",
            "-inf",
        ),
        (
            || RetryBudget::builder().retry_ratio(-0.1).build(),
            "retry_ratio",
            "-0.1",
        ),
        (
            || RetryBudget::builder().retry_ratio(1000.5).build(),
            "retry_ratio",
            "1000.5",
        ),
        (
            || {
                RetryBudget::builder()
                    .retry_ratio(f64::MIN_POSITIVE.recip())
                    .build()
            },
            "retry_ratio",
            "",
        ),
    ];
    for (build, field, value) in cases {
        let err = build().unwrap_err();
        assert_eq!(err.field(), field);
        if !value.is_empty() {
            assert_eq!(err.value(), value);
        }
    }
    for ok in [
        RetryBudget::builder().ttl(Duration::from_secs(1)).build(),
        RetryBudget::builder().ttl(Duration::from_secs(60)).build(),
        RetryBudget::builder().retry_ratio(0.0).build(),
        RetryBudget::builder().retry_ratio(1000.0).build(),
        RetryBudget::builder()
            .min_retries_per_sec(u32::MAX)
            .ttl(Duration::from_secs(60))
            .build(),
    ] {
        assert!(ok.is_ok());
    }
}

#[test]
fn defaults_are_finaggles() {
    let budget = RetryBudget::default();
    assert_eq!(budget.ttl(), Duration::from_secs(10));
    assert_eq!(budget.min_retries_per_sec(), 10);
    assert_eq!(budget.retry_ratio(), 0.2);
    let huge = RetryBudget::builder()
        .min_retries_per_sec(u32::MAX)
        .ttl(Duration::from_secs(60))
        .build()
        .unwrap();
    assert_eq!(huge.balance(), u64::from(u32::MAX) * 60);
}

/// What the budget should do, written plainly: every deposit and withdrawal is kept with
/// its slot number, and counts while fewer than ten slots have passed.
#[derive(Default)]
struct Reference {
    entries: Vec<(u64, i64)>,
}

impl Reference {
    const RETRY: i64 = 1_000_000;

    fn balance(&self, slot: u64, reserve: i64) -> i64 {
        reserve
            + self
                .entries
                .iter()
                .filter(|(at, _)| slot < at + 10)
                .map(|(_, units)| units)
                .sum::<i64>()
    }
}

#[derive(Clone, Debug)]
enum Op {
    Deposit,
    Withdraw,
    Advance(u64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => Just(Op::Deposit),
        4 => Just(Op::Withdraw),
        1 => (0..3_000_u64).prop_map(Op::Advance),
        1 => (0..30_000_u64).prop_map(Op::Advance),
    ];
    proptest::collection::vec(op, 0..300)
}

proptest! {
    /// Random deposits, withdrawals and clock moves agree with the plain reference.
    #[test]
    fn matches_the_reference(
        ops in ops(),
        ratio_millis in 0..3_000_u32,
        min_per_sec in 0..5_u32,
        start in 0..100_000_u64,
    ) {
        let fake = FakeClock::new();
        fake.advance(ms(start));
        let ratio = f64::from(ratio_millis) / 1000.0;
        let budget = budget(&fake, ratio, min_per_sec);
        let deposit = i64::from(ratio_millis) * 1000;
        let reserve = i64::from(min_per_sec) * 10 * Reference::RETRY;
        let mut reference = Reference::default();
        for op in ops {
            let slot = u64::try_from(fake.now().as_millis() / 1000).unwrap();
            match op {
                Op::Deposit => {
                    budget.deposit();
                    reference.entries.push((slot, deposit));
                }
                Op::Withdraw => {
                    let allowed = reference.balance(slot, reserve) >= Reference::RETRY;
                    prop_assert_eq!(budget.try_withdraw(), allowed);
                    if allowed {
                        reference.entries.push((slot, -Reference::RETRY));
                    }
                }
                Op::Advance(millis) => fake.advance(ms(millis)),
            }
            let slot = u64::try_from(fake.now().as_millis() / 1000).unwrap();
            let expected = reference.balance(slot, reserve).max(0) / Reference::RETRY;
            prop_assert_eq!(budget.balance(), u64::try_from(expected).unwrap());
        }
    }
}
