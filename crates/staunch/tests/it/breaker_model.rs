//! Model-based property tests: random sequences of calls, outcomes (success, counted
//! failure, ignored error, slow success), dropped permits, clock moves and manual actions
//! run against the breaker and against a small reference state machine, compared after
//! every step, in every mode (consecutive, count window, time window).
//!
//! `PROPTEST_CASES` raises the number of cases (default 96).

use std::collections::VecDeque;
use std::time::Duration;

use proptest::prelude::*;
use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Permit};

#[derive(Clone, Copy, Debug)]
enum Mode {
    Consecutive {
        threshold: u32,
    },
    Count {
        size: u32,
        min: u32,
        pct: u32,
    },
    Time {
        length_ms: u64,
        buckets: u32,
        min: u32,
        pct: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Setup {
    mode: Mode,
    /// (threshold ms, rate %), windows only.
    slow: Option<(u64, u32)>,
    probes: u32,
    successes: u32,
    base_ms: u64,
    max_ms: u64,
    /// Half-open timeout in ms.
    half_open_timeout: Option<u64>,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    /// Acquire and report at once: success, failure, ignored error.
    Call(Option<Out>),
    /// Acquire, let this much time pass, report a success.
    SlowCall(u64),
    Acquire,
    Success(usize),
    Failure(usize),
    Ignore(usize),
    Drop(usize),
    Advance(u64),
    Reset,
    ForceOpen,
    Disable,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Out {
    Success,
    Slow,
    Failure,
}

struct Ticket {
    generation: u64,
    probe: bool,
    start: u64,
}

/// The reference: a plain sequential breaker with every rule spelled out.
struct Model {
    setup: Setup,
    now_ms: u64,
    state: CircuitState,
    generation: u64,
    failures: u32,
    probes: u32,
    successes: u32,
    trips: u32,
    until_ms: u64,
    half_open_since: u64,
    window: VecDeque<(u64, Out)>,
}

impl Model {
    fn new(setup: Setup) -> Self {
        Model {
            setup,
            now_ms: 0,
            state: CircuitState::Closed,
            generation: 0,
            failures: 0,
            probes: 0,
            successes: 0,
            trips: 0,
            until_ms: 0,
            half_open_since: 0,
            window: VecDeque::new(),
        }
    }

    fn enter(&mut self, state: CircuitState) {
        self.generation += 1;
        self.state = state;
        self.probes = 0;
        self.successes = 0;
        match state {
            CircuitState::Open => {
                self.trips = (self.trips + 1).min(255);
                let grown = self
                    .setup
                    .base_ms
                    .saturating_mul(1 << (self.trips - 1).min(40));
                self.until_ms = self.now_ms + grown.min(self.setup.max_ms);
            }
            CircuitState::HalfOpen => {
                self.window.clear();
                self.half_open_since = self.now_ms;
            }
            CircuitState::ForcedOpen => {}
            _ => {
                self.failures = 0;
                self.trips = 0;
            }
        }
    }

    /// Outcomes in the window now: (calls, failures, slow).
    fn counts(&self) -> (u32, u32, u32) {
        let in_window: Vec<Out> = match self.setup.mode {
            Mode::Consecutive { .. } => Vec::new(),
            Mode::Count { size, .. } => self
                .window
                .iter()
                .rev()
                .take(size as usize)
                .map(|(_, o)| *o)
                .collect(),
            Mode::Time {
                length_ms, buckets, ..
            } => {
                let bucket_ns = length_ms * 1_000_000 / u64::from(buckets);
                let b = |ms: u64| ms * 1_000_000 / bucket_ns;
                let now = b(self.now_ms);
                self.window
                    .iter()
                    .filter(|(at, _)| now - b(*at) < u64::from(buckets))
                    .map(|(_, o)| *o)
                    .collect()
            }
        };
        let count = |o: Out| in_window.iter().filter(|x| **x == o).count() as u32;
        (
            in_window.len() as u32,
            count(Out::Failure),
            count(Out::Slow),
        )
    }

    fn window_trips(&self) -> bool {
        let (min, pct) = match self.setup.mode {
            Mode::Consecutive { .. } => return false,
            Mode::Count { min, pct, .. } | Mode::Time { min, pct, .. } => (min, pct),
        };
        let (calls, failures, slow) = self.counts();
        let slow_trips = self
            .setup
            .slow
            .is_some_and(|(_, p)| slow * 100 >= p * calls);
        calls >= min && (failures * 100 >= pct * calls || slow_trips)
    }

    fn failure_count(&self) -> u32 {
        match self.setup.mode {
            Mode::Consecutive { .. } => self.failures,
            _ => self.counts().1,
        }
    }

    /// `Ok(probe)` or `Err(retry_after_ms)`.
    fn acquire(&mut self) -> Result<Ticket, Option<u64>> {
        let ticket = |m: &Model, probe| Ticket {
            generation: m.generation,
            probe,
            start: m.now_ms,
        };
        match self.state {
            CircuitState::Closed | CircuitState::Disabled => Ok(ticket(self, false)),
            CircuitState::Open if self.now_ms >= self.until_ms => {
                self.enter(CircuitState::HalfOpen);
                self.probes = 1;
                Ok(ticket(self, true))
            }
            CircuitState::Open => Err(Some(self.until_ms - self.now_ms)),
            CircuitState::HalfOpen if self.probes + self.successes < self.setup.probes => {
                self.probes += 1;
                Ok(ticket(self, true))
            }
            CircuitState::HalfOpen
                if self.now_ms
                    >= self.half_open_since
                        + self.setup.half_open_timeout.unwrap_or(self.setup.base_ms) =>
            {
                self.enter(CircuitState::Open);
                Err(Some(self.until_ms - self.now_ms))
            }
            _ => Err(None),
        }
    }

    /// `out` is `None` for an ignored error or a dropped permit.
    fn record(&mut self, t: &Ticket, out: Option<Out>) {
        if t.generation != self.generation {
            return;
        }
        let out = match (out, self.setup.slow) {
            (Some(Out::Success), Some((limit, _))) if self.now_ms - t.start >= limit => {
                Some(Out::Slow)
            }
            (out, _) => out,
        };
        let consecutive = match self.setup.mode {
            Mode::Consecutive { threshold } => Some(threshold),
            _ => None,
        };
        match (self.state, t.probe, out) {
            (CircuitState::HalfOpen, true, None) => self.probes -= 1,
            (CircuitState::HalfOpen, true, Some(Out::Success)) => {
                self.probes -= 1;
                self.successes += 1;
                if self.successes >= self.setup.successes {
                    self.enter(CircuitState::Closed);
                }
            }
            (CircuitState::HalfOpen, true, Some(out)) => {
                self.failures += u32::from(out == Out::Failure);
                self.enter(CircuitState::Open);
            }
            (CircuitState::Closed | CircuitState::Disabled, false, Some(out)) => {
                let closed = self.state == CircuitState::Closed;
                match consecutive {
                    Some(threshold) => {
                        if out == Out::Failure {
                            self.failures += 1;
                            if closed && self.failures >= threshold {
                                self.enter(CircuitState::Open);
                            }
                        } else {
                            self.failures = 0;
                        }
                    }
                    None => {
                        self.window.push_back((self.now_ms, out));
                        if closed && self.window_trips() {
                            self.enter(CircuitState::Open);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn manual(&mut self, to: CircuitState) {
        if to.is_passing() {
            self.window.clear();
        }
        if self.state != to {
            self.enter(to);
        } else if to.is_passing() {
            self.failures = 0;
        }
    }
}

fn build(setup: Setup, fake: &FakeClock) -> CircuitBreaker {
    let ms = Duration::from_millis;
    let mut b = CircuitBreaker::builder("model")
        .recovery_timeout(ms(setup.base_ms))
        .open_backoff(ms(setup.max_ms))
        .half_open_probes(setup.probes)
        .success_threshold(setup.successes)
        .clock(fake.clock());
    if let Some(timeout) = setup.half_open_timeout {
        b = b.half_open_timeout(ms(timeout));
    }
    b = match setup.mode {
        Mode::Consecutive { threshold } => b.failure_threshold(threshold),
        Mode::Count { size, min, pct } => b
            .count_window(size)
            .minimum_calls(min)
            .failure_rate_threshold(f64::from(pct) / 100.0),
        Mode::Time {
            length_ms,
            buckets,
            min,
            pct,
        } => b
            .time_window(ms(length_ms), buckets)
            .minimum_calls(min)
            .failure_rate_threshold(f64::from(pct) / 100.0),
    };
    if let Some((limit, pct)) = setup.slow {
        b = b.slow_calls(ms(limit), f64::from(pct) / 100.0);
    }
    b.build().unwrap()
}

fn setups() -> impl Strategy<Value = Setup> {
    let consecutive = (1u32..6).prop_map(|threshold| Mode::Consecutive { threshold });
    let count = (1u32..9, 0u32..100, 10u32..=100).prop_map(|(size, min, pct)| Mode::Count {
        size,
        min: 1 + min % size,
        pct,
    });
    let time = (1u64..10, 1u32..6, 1u32..6, 10u32..=100).prop_map(|(secs, buckets, min, pct)| {
        Mode::Time {
            length_ms: secs * 1000,
            buckets,
            min,
            pct,
        }
    });
    let mode = prop_oneof![consecutive, count, time];
    (
        mode,
        proptest::option::of((100u64..3000, 10u32..=100)),
        1u32..4,
        0u32..4,
        1u64..5,
        0u32..3,
        proptest::option::of(1u64..5000),
    )
        .prop_map(
            |(mode, slow, probes, succ, base_s, growth, half_open_timeout)| Setup {
                mode,
                slow: slow.filter(|_| !matches!(mode, Mode::Consecutive { .. })),
                probes,
                successes: 1 + succ % probes,
                base_ms: base_s * 1000,
                max_ms: (base_s * 1000) << growth,
                half_open_timeout,
            },
        )
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    // Mostly the newest permit (so half-open sequences happen), sometimes an older one
    // (so stale generations happen).
    let pick = || prop_oneof![3 => Just(usize::MAX), 1 => any::<usize>()];
    let op = prop_oneof![
        6 => Just(Op::Call(Some(Out::Success))),
        5 => Just(Op::Call(Some(Out::Failure))),
        1 => Just(Op::Call(None)),
        2 => (0u64..4000).prop_map(Op::SlowCall),
        3 => Just(Op::Acquire),
        2 => pick().prop_map(Op::Success),
        2 => pick().prop_map(Op::Failure),
        1 => pick().prop_map(Op::Ignore),
        1 => pick().prop_map(Op::Drop),
        3 => (0u64..4000).prop_map(Op::Advance),
        1 => Just(Op::Reset),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::Disable),
    ];
    proptest::collection::vec(op, 1..150)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

/// Asks both for admission; they must agree, on the rejection's retry time too.
fn admit<'a>(
    breaker: &'a CircuitBreaker,
    model: &mut Model,
    step: usize,
) -> Result<Option<(Permit<'a>, Ticket)>, TestCaseError> {
    match (breaker.try_acquire(), model.acquire()) {
        (Ok(p), Ok(t)) => {
            prop_assert_eq!(p.is_probe(), t.probe, "step {}", step);
            Ok(Some((p, t)))
        }
        (Err(e), Err(retry)) => {
            prop_assert_eq!(
                e.retry_after(),
                retry.map(Duration::from_millis),
                "step {}",
                step
            );
            Ok(None)
        }
        (real, model) => {
            prop_assert!(
                false,
                "step {step}: admitted {} vs {}",
                real.is_ok(),
                model.is_ok()
            );
            Ok(None)
        }
    }
}

fn run(setup: Setup, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fake = FakeClock::new();
    let breaker = build(setup, &fake);
    let mut model = Model::new(setup);
    let mut permits: Vec<(Permit<'_>, Ticket)> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let mut take = |i: usize| match i {
            _ if permits.is_empty() => None,
            usize::MAX => permits.pop(),
            i => Some(permits.remove(i % permits.len())),
        };
        match op {
            Op::Call(out) => {
                if let Some((p, t)) = admit(&breaker, &mut model, step)? {
                    match out {
                        Some(Out::Failure) => p.failure(),
                        Some(_) => p.success(),
                        None => p.ignore(),
                    }
                    model.record(&t, out);
                }
            }
            Op::SlowCall(ms) => {
                if let Some((p, t)) = admit(&breaker, &mut model, step)? {
                    fake.advance(Duration::from_millis(ms));
                    model.now_ms += ms;
                    p.success();
                    model.record(&t, Some(Out::Success));
                }
            }
            Op::Acquire => {
                if let Some(pair) = admit(&breaker, &mut model, step)? {
                    permits.push(pair);
                }
            }
            Op::Success(i) => {
                if let Some((p, t)) = take(i) {
                    p.success();
                    model.record(&t, Some(Out::Success))
                }
            }
            Op::Failure(i) => {
                if let Some((p, t)) = take(i) {
                    p.failure();
                    model.record(&t, Some(Out::Failure))
                }
            }
            Op::Ignore(i) => {
                if let Some((p, t)) = take(i) {
                    p.ignore();
                    model.record(&t, None)
                }
            }
            Op::Drop(i) => {
                if let Some((p, t)) = take(i) {
                    drop(p);
                    model.record(&t, None)
                }
            }
            Op::Advance(ms) => {
                fake.advance(Duration::from_millis(ms));
                model.now_ms += ms;
            }
            Op::Reset => {
                breaker.reset();
                model.manual(CircuitState::Closed)
            }
            Op::ForceOpen => {
                breaker.force_open();
                model.manual(CircuitState::ForcedOpen)
            }
            Op::Disable => {
                breaker.disable();
                model.manual(CircuitState::Disabled)
            }
        }
        let snap = breaker.snapshot();
        // Reported: OPEN reads HALF_OPEN once its period has passed.
        let reported = match model.state {
            CircuitState::Open if model.now_ms >= model.until_ms => CircuitState::HalfOpen,
            state => state,
        };
        prop_assert_eq!(snap.state, reported, "step {} {:?}", step, op);
        prop_assert_eq!(
            snap.failure_count,
            model.failure_count(),
            "step {} {:?}",
            step,
            op
        );
        prop_assert_eq!(
            snap.consecutive_trips,
            model.trips,
            "step {} {:?}",
            step,
            op
        );
        prop_assert_eq!(
            snap.calls_in_window,
            model.counts().0,
            "step {} {:?}",
            step,
            op
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_breaker_behaves_like_the_reference_model(setup in setups(), ops in ops()) {
        run(setup, ops)?;
    }
}
