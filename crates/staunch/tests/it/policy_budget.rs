//! The retry budget inside the combined policy: a deposit per call, a withdrawal per
//! retry, so an outage can't multiply the load. Both APIs, on fake clocks.

use std::cell::Cell;
use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::test_util::FakeClock;
use staunch::RetryBudget;

use crate::policy::{builder, BOTH};

#[test]
fn retries_stay_within_the_budget_during_an_outage() {
    for api in BOTH {
        let fake = FakeClock::new();
        // The budget ages on its own clock, so the retries' sleeps expire nothing.
        let budget = RetryBudget::builder()
            .retry_ratio(0.1)
            .min_retries_per_sec(0)
            .clock(FakeClock::new().clock())
            .build()
            .unwrap();
        let policy = builder(&fake)
            .failure_threshold(65_535) // keep the breaker out of it
            .budget(budget)
            .build()
            .unwrap();
        let attempts = Cell::new(0u32);
        let mut budget_exhausted = 0;
        for _ in 0..100 {
            let err = call_both!(api, policy, || {
                attempts.set(attempts.get() + 1);
                Err::<(), _>("outage")
            })
            .unwrap_err();
            budget_exhausted += u32::from(err.kind() == PolicyErrorKind::BudgetExhausted);
        }
        // Without the budget: 300 attempts. With it: 100 calls and 10 % more.
        let retries = attempts.get() - 100;
        assert!(retries <= 10, "{api:?}: {retries} retries");
        assert_eq!(retries, 10, "{api:?}");
        assert_eq!(budget_exhausted, 100, "{api:?}");
    }
}

#[test]
fn one_budget_serves_several_policies() {
    for api in BOTH {
        let fake = FakeClock::new();
        let budget = RetryBudget::builder()
            .retry_ratio(0.0)
            .min_retries_per_sec(1)
            .ttl(Duration::from_secs(1))
            .clock(FakeClock::new().clock())
            .build()
            .unwrap();
        let first = builder(&fake).budget(budget.clone()).build().unwrap();
        let second = staunch::Policy::builder("second")
            .clock(fake.clock())
            .budget(budget)
            .build()
            .unwrap();
        let flaky = || {
            let calls = Cell::new(0);
            move || {
                calls.set(calls.get() + 1);
                if calls.get() == 1 {
                    Err("blip")
                } else {
                    Ok(())
                }
            }
        };
        assert!(call_both!(api, first, flaky()).is_ok(), "{api:?}"); // spends the one retry
        let err = call_both!(api, second, flaky()).unwrap_err();
        assert_eq!(
            (err.kind(), err.attempts()),
            (PolicyErrorKind::BudgetExhausted, 1),
            "{api:?}"
        );
        assert_eq!(err.last_error(), Some(&"blip"), "{api:?}");
    }
}

#[test]
fn a_hand_built_policy_has_no_budget_unless_given_one() {
    let policy = builder(&FakeClock::new()).build().unwrap();
    assert!(policy.budget().is_none());
    assert!(staunch::Policy::database().budget().is_some());
}
