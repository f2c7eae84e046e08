//! The outside-authority seam, exercised by a tiny in-memory "fleet": two replicas' breakers
//! share one authority that spreads trips and closes from one to the other.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use staunch::breaker::{Authority, AuthorityHandle, Outcome, OutcomeKind};
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Transition};

/// Remembers every replica and every outcome; on a replica's trip or close, applies it to
/// the others as a remote transition numbered by the fleet.
#[derive(Debug, Default)]
struct Fleet {
    replicas: Mutex<Vec<AuthorityHandle>>,
    outcomes: Mutex<Vec<Outcome>>,
    rejections: Mutex<u32>,
    fleet_generation: Mutex<u64>,
}

impl Authority for Fleet {
    fn attach(&self, handle: AuthorityHandle) {
        self.replicas.lock().unwrap().push(handle);
    }

    fn on_outcome(&self, outcome: Outcome) {
        self.outcomes.lock().unwrap().push(outcome);
    }

    fn on_transition(&self, transition: &Transition) {
        if !matches!(transition.to, CircuitState::Open | CircuitState::Closed) {
            return;
        }
        let generation = {
            let mut g = self.fleet_generation.lock().unwrap();
            *g += 1;
            *g
        };
        let replicas = self.replicas.lock().unwrap().clone();
        for replica in replicas {
            let Some(breaker) = replica.breaker() else {
                continue;
            };
            if breaker.name() != transition.name && breaker.state() != transition.to {
                let until = Some(transition.at + Duration::from_secs(30));
                replica.apply_remote_transition(generation, transition.to, until);
            }
        }
    }

    fn on_rejected(&self, _: Option<Duration>) {
        *self.rejections.lock().unwrap() += 1;
    }
}

#[test]
fn a_trip_on_one_replica_opens_the_other_and_a_close_closes_it() {
    let fake = FakeClock::new();
    let fleet = Arc::new(Fleet::default());
    let replica = |name: &str| {
        CircuitBreaker::builder(name)
            .failure_threshold(2)
            .recovery_timeout(Duration::from_secs(30))
            .clock(fake.clock())
            .authority(fleet.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (replica("a"), replica("b"));
    a.try_acquire().unwrap().failure();
    a.try_acquire().unwrap().failure();
    assert_eq!(
        (a.state(), b.state()),
        (CircuitState::Open, CircuitState::Open)
    );
    assert_eq!(
        b.try_acquire().unwrap_err().retry_after(),
        Some(Duration::from_secs(30))
    );
    assert_eq!(*fleet.rejections.lock().unwrap(), 1);

    fake.advance(Duration::from_secs(30));
    let probe = a.try_acquire().unwrap();
    probe.success();
    assert_eq!(
        (a.state(), b.state()),
        (CircuitState::Closed, CircuitState::Closed)
    );

    let kinds: Vec<_> = fleet
        .outcomes
        .lock()
        .unwrap()
        .iter()
        .map(|o| (o.kind, o.probe))
        .collect();
    assert_eq!(
        kinds,
        [
            (OutcomeKind::Failure, false),
            (OutcomeKind::Failure, false),
            (OutcomeKind::Success, true)
        ]
    );
}

#[test]
fn stale_remote_news_is_ignored_and_a_dropped_breaker_is_let_go() {
    let fleet = Arc::new(Fleet::default());
    let breaker = CircuitBreaker::builder("solo")
        .clock(FakeClock::new().clock())
        .authority(fleet.clone())
        .build()
        .unwrap();
    let handle = fleet.replicas.lock().unwrap()[0].clone();
    assert!(handle.apply_remote_transition(5, CircuitState::ForcedOpen, None));
    assert!(!handle.apply_remote_transition(4, CircuitState::Closed, None));
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);
    drop(breaker.try_acquire_owned());
    assert_eq!(
        fleet.outcomes.lock().unwrap().len(),
        0,
        "rejected: no outcome"
    );
    breaker.reset();
    drop(breaker.try_acquire());
    assert_eq!(
        fleet.outcomes.lock().unwrap()[0].kind,
        OutcomeKind::Abandoned
    );
    drop(breaker);
    assert_eq!(handle.state(), None);
    assert!(!handle.force_state(CircuitState::Open, None));
}
