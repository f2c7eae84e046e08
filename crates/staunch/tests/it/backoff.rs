//! Backoff strategies: exact schedules, jitter bounds and statistics, saturation.

use std::time::Duration;

use proptest::prelude::*;
use staunch::{Backoff, Jitter, RetryPolicy};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn millis(backoff: Backoff, n: usize) -> Vec<u128> {
    backoff.iter().take(n).map(|d| d.as_millis()).collect()
}

#[test]
fn seed_schedule_is_1_2_4_8_then_capped_at_10() {
    let seed = Backoff::exponential(secs(1))
        .with_min_delay(secs(1))
        .with_max_delay(secs(10));
    assert_eq!(
        millis(seed, 7),
        [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
    );
}

#[test]
fn every_strategy_yields_its_exact_sequence() {
    let ms = Duration::from_millis;
    assert_eq!(millis(Backoff::constant(ms(300)), 4), [300; 4]);
    assert_eq!(
        millis(Backoff::linear(ms(100)), 5),
        [100, 200, 300, 400, 500]
    );
    assert_eq!(
        millis(Backoff::linear(ms(100)).with_step(ms(25)), 4),
        [100, 125, 150, 175]
    );
    assert_eq!(
        millis(Backoff::exponential(ms(100)), 6),
        [100, 200, 400, 800, 1600, 3200]
    );
    assert_eq!(
        millis(Backoff::exponential(ms(100)).with_factor(1.5), 4),
        [100, 150, 225, 337]
    );
    assert_eq!(
        millis(Backoff::exponential(ms(10)).with_factor(3.0), 4),
        [10, 30, 90, 270]
    );
    assert_eq!(
        millis(Backoff::fibonacci(ms(100)), 8),
        [100, 100, 200, 300, 500, 800, 1300, 2100]
    );
    assert_eq!(
        millis(Backoff::decorrelated(ms(10)).with_jitter(Jitter::None), 4),
        [10, 30, 90, 270]
    );
}

#[test]
fn default_caps_are_sixty_seconds_for_growing_strategies() {
    for backoff in [
        Backoff::linear(secs(7)),
        Backoff::exponential(secs(1)),
        Backoff::fibonacci(secs(1)),
    ] {
        assert_eq!(backoff.iter().nth(10_000), Some(secs(60)));
    }
    assert_eq!(
        Backoff::constant(secs(3600)).iter().next(),
        Some(secs(3600))
    );
}

#[test]
fn floor_and_cap_clamp_every_strategy() {
    let b = Backoff::linear(Duration::ZERO)
        .with_step(secs(1))
        .with_min_delay(secs(2))
        .with_max_delay(secs(4));
    assert_eq!(millis(b, 6), [2000, 2000, 2000, 3000, 4000, 4000]);
}

#[test]
fn seed_jitter_mapping_draws_inside_wait_min_and_doubling_ceiling() {
    let b = Backoff::exponential(secs(2))
        .with_min_delay(secs(2))
        .with_max_delay(secs(10))
        .with_jitter(Jitter::Full);
    let ceilings = [4, 8, 10, 10, 10];
    for seed in 0..200 {
        for (delay, ceiling) in b.with_seed(seed).iter().zip(ceilings) {
            assert!(
                secs(2) <= delay && delay <= secs(ceiling),
                "{delay:?} > {ceiling}s"
            );
        }
    }
}

#[test]
fn decorrelated_stays_between_base_and_three_times_the_previous_delay() {
    let base = Duration::from_millis(5);
    let cap = Duration::from_secs(2);
    let mut prev = base;
    for delay in Backoff::decorrelated(base)
        .with_max_delay(cap)
        .with_seed(9)
        .iter()
        .take(500)
    {
        assert!(base <= delay && delay <= cap && delay <= prev * 3);
        prev = delay;
    }
}

#[test]
fn a_seed_reproduces_the_same_draws_and_different_seeds_differ() {
    let b = Backoff::exponential(secs(1)).with_jitter(Jitter::Full);
    let a: Vec<_> = b.with_seed(1).iter().take(10).collect();
    assert_eq!(a, b.with_seed(1).iter().take(10).collect::<Vec<_>>());
    assert_ne!(a, b.with_seed(2).iter().take(10).collect::<Vec<_>>());
}

fn stats_at_cap(jitter: Jitter) -> (f64, f64, f64) {
    let cap = secs(10);
    let b = Backoff::exponential(secs(1))
        .with_max_delay(cap)
        .with_jitter(jitter);
    let n = 20_000;
    let draws: Vec<f64> = (0..n)
        .map(|seed| b.with_seed(seed).iter().nth(50).unwrap().as_secs_f64())
        .collect();
    let mean = draws.iter().sum::<f64>() / n as f64;
    let min = draws.iter().copied().fold(f64::MAX, f64::min);
    let max = draws.iter().copied().fold(0.0, f64::max);
    (mean, min, max)
}

#[test]
fn full_jitter_at_the_cap_averages_half_the_cap_and_stays_random() {
    let (mean, min, max) = stats_at_cap(Jitter::Full);
    assert!((mean - 5.0).abs() < 0.1, "mean {mean}");
    assert!(min < 0.1 && max > 9.9 && max <= 10.0, "range {min}..{max}");
}

#[test]
fn equal_jitter_at_the_cap_averages_three_quarters_of_the_cap() {
    let (mean, min, max) = stats_at_cap(Jitter::Equal);
    assert!((mean - 7.5).abs() < 0.05, "mean {mean}");
    assert!(
        (5.0..5.1).contains(&min) && max > 9.9 && max <= 10.0,
        "range {min}..{max}"
    );
}

#[test]
fn one_client_at_the_cap_keeps_drawing_different_delays() {
    let b = Backoff::exponential(secs(1))
        .with_max_delay(secs(10))
        .with_jitter(Jitter::Full)
        .with_seed(3);
    let late: Vec<_> = b.iter().skip(20).take(50).collect();
    let distinct: std::collections::BTreeSet<_> = late.iter().collect();
    assert!(
        distinct.len() > 45,
        "only {} distinct delays",
        distinct.len()
    );
    assert!(late.iter().all(|d| *d <= secs(10)));
}

#[test]
fn extremes_saturate_to_the_cap_without_panicking() {
    let huge = Backoff::exponential(Duration::MAX).with_max_delay(Duration::MAX);
    assert_eq!(huge.iter().nth(5), Some(Duration::MAX));
    let factor = Backoff::exponential(Duration::from_nanos(1)).with_factor(1e300);
    assert_eq!(factor.iter().nth(3), Some(secs(60)));
    for jitter in [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ] {
        let b = Backoff::fibonacci(Duration::MAX)
            .with_max_delay(Duration::MAX)
            .with_jitter(jitter)
            .with_seed(1);
        let mut delays = b.iter();
        assert!(delays.nth(u32::MAX as usize).is_some());
        assert!(delays.next().is_some()); // past u32::MAX retries: still saturating
    }
    let linear = Backoff::linear(Duration::MAX).with_max_delay(Duration::MAX);
    assert_eq!(linear.iter().nth(u32::MAX as usize), Some(Duration::MAX));
}

#[test]
fn validation_names_the_bad_field() {
    let inverted = Backoff::constant(secs(1))
        .with_min_delay(secs(5))
        .with_max_delay(secs(1));
    assert_eq!(inverted.validate().unwrap_err().field(), "min_delay");
    // Iterating it anyway does not panic: the floor yields to the cap.
    assert_eq!(inverted.iter().next(), Some(secs(1)));
    for factor in [0.5, -1.0, f64::INFINITY, f64::NAN] {
        let err = Backoff::exponential(secs(1))
            .with_factor(factor)
            .validate()
            .unwrap_err();
        assert_eq!(err.field(), "factor");
    }
    assert!(Backoff::exponential(secs(1))
        .with_factor(1e300)
        .validate()
        .is_ok());
}

fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..100_000_000_000).prop_map(Duration::from_nanos),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        Just(Duration::MAX),
        Just(Duration::ZERO),
    ]
}

fn any_jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated)
    ]
}

fn any_backoff() -> impl Strategy<Value = Backoff> {
    let strategy = prop_oneof![
        any_duration().prop_map(Backoff::constant),
        (any_duration(), any_duration()).prop_map(|(f, s)| Backoff::linear(f).with_step(s)),
        (
            any_duration(),
            prop_oneof![1.0..4.0, 1.0..1e300, Just(1e300)]
        )
            .prop_map(|(f, factor)| Backoff::exponential(f).with_factor(factor)),
        any_duration().prop_map(Backoff::fibonacci),
        any_duration().prop_map(Backoff::decorrelated),
    ];
    (
        strategy,
        any_duration(),
        any_duration(),
        any_jitter(),
        any::<u64>(),
    )
        .prop_map(|(b, x, y, jitter, seed)| {
            let (floor, cap) = if x <= y { (x, y) } else { (y, x) };
            b.with_min_delay(floor)
                .with_max_delay(cap)
                .with_jitter(jitter)
                .with_seed(seed)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn every_delay_stays_within_floor_and_cap(b in any_backoff(), retry in any::<u32>()) {
        let (floor, cap) = (b.min_delay(), b.max_delay());
        let mut delays = b.iter();
        let jumped = delays.nth(retry as usize).unwrap();
        prop_assert!(floor <= jumped && jumped <= cap, "{:?} outside [{:?}, {:?}]", jumped, floor, cap);
        for delay in delays.take(3).chain(b.iter().take(40)) {
            prop_assert!(floor <= delay && delay <= cap, "{:?} outside [{:?}, {:?}]", delay, floor, cap);
        }
    }

    /// A policy keeps its backoff field by field, to stay small: what it hands back is
    /// the backoff it was given, the same delays included.
    #[test]
    fn a_retry_policy_keeps_its_backoff_exactly(b in any_backoff()) {
        let policy = RetryPolicy::builder().backoff(b).build().unwrap();
        prop_assert_eq!(policy.backoff(), b);
        prop_assert!(policy.backoff().iter().take(8).eq(b.iter().take(8)));
    }

    #[test]
    fn unjittered_ceilings_never_decrease(b in any_backoff(), retry in 0u32..10_000) {
        let b = b.with_jitter(Jitter::None);
        let mut delays = b.iter();
        let first = delays.nth(retry as usize).unwrap();
        let second = delays.next().unwrap();
        prop_assert!(first <= second);
    }
}

#[test]
fn a_retry_policy_keeps_an_unseeded_backoff_unseeded() {
    let b = Backoff::exponential(secs(1)).with_jitter(Jitter::Full);
    let policy = RetryPolicy::builder().backoff(b).build().unwrap();
    assert_eq!(policy.backoff(), b);
    assert_ne!(policy.backoff(), b.with_seed(0));
}

#[test]
fn jitter_modes_have_lower_case_names() {
    for (jitter, name) in [
        (Jitter::None, "none"),
        (Jitter::Full, "full"),
        (Jitter::Equal, "equal"),
        (Jitter::Decorrelated, "decorrelated"),
    ] {
        assert_eq!(jitter.as_str(), name);
        assert_eq!(jitter.to_string(), name);
    }
}

#[test]
fn the_iterator_counts_the_delays_it_handed_out() {
    let mut delays = Backoff::exponential(Duration::from_secs(1)).iter();
    assert_eq!(delays.retries(), 0);
    for n in 1..=5 {
        delays.next();
        assert_eq!(delays.retries(), n);
    }
}

#[test]
fn an_exponential_backoff_from_zero_stays_at_zero_whatever_the_factor() {
    let backoff = Backoff::exponential(Duration::ZERO)
        .with_factor(1e300)
        .with_max_delay(Duration::from_secs(10));
    let delays: Vec<Duration> = backoff.iter().take(4).collect();
    assert_eq!(delays, [Duration::ZERO; 4]);
}

#[test]
fn the_iterator_is_endless() {
    let delays = Backoff::constant(Duration::from_secs(1)).iter();
    assert_eq!(delays.size_hint(), (usize::MAX, None));
}
