//! What a run says: load on the dead dependency, callers' latency, recovery, retries.

use std::time::Duration;

use serde_json::{json, Value};

use crate::scenario::{outage_attempts, phase_of, Scenario};
use crate::schedule::{Phase, PHASES};
use crate::stacks::Kind;

/// One caller's call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Call {
    /// When it started, since the start of the run.
    pub(crate) start: Duration,
    pub(crate) latency: Duration,
    /// Whether the caller got its answer.
    pub(crate) ok: bool,
    /// How many of its attempts reached the dependency.
    pub(crate) reached: u32,
}

/// p50, p99 and max of a set of latencies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Latency {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Latency {
    fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let at = |q: f64| {
            let rank = ((q * latencies.len() as f64).ceil() as usize).max(1);
            latencies.get(rank - 1).copied().unwrap_or_default()
        };
        Self {
            p50: at(0.50),
            p99: at(0.99),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }

    fn json(&self) -> Value {
        json!({ "p50_ms": ms(self.p50), "p99_ms": ms(self.p99), "max_ms": ms(self.max) })
    }
}

/// The figures of one stack.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub(crate) kind: Kind,
    /// Attempts that reached the dependency, by phase.
    pub(crate) attempts: [u64; PHASES.len()],
    /// Attempts per time bucket (see `dependency::BUCKET`).
    pub(crate) timeline: Vec<u64>,
    /// Calls started during the outage, and how many of them got their answer.
    pub(crate) outage_calls: (usize, usize),
    /// Calls started after the outage, and how many of them got their answer.
    pub(crate) after_calls: (usize, usize),
    pub(crate) during: Latency,
    pub(crate) after: Latency,
    /// Latency of the calls none of whose attempts reached the dependency (turned away
    /// by the stack's breaker, at once or after waiting for a probe).
    pub(crate) turned_away: Latency,
    /// How many calls that was.
    pub(crate) turned_away_calls: usize,
    /// The outage's attempts in bursts (see [`bursts`]): the burst that tripped the
    /// breaker, then one per open period in which something went through.
    pub(crate) bursts: Vec<u64>,
    /// From the dependency's return to the start of the first [`STEADY`] stretch in
    /// which every call got its answer; `None` if there was none.
    pub(crate) recovery: Option<Duration>,
    pub(crate) retries: u64,
}

impl Report {
    pub(crate) fn new(
        kind: Kind,
        scenario: &Scenario,
        mut calls: Vec<Call>,
        attempts: [u64; PHASES.len()],
        timeline: Vec<u64>,
        outage_log: Vec<Duration>,
        retries: u64,
    ) -> Self {
        calls.sort_by_key(|c| c.start);
        let back = scenario.schedule.outage_end();
        let during: Vec<&Call> = calls
            .iter()
            .filter(|c| phase_of(scenario, c.start).is_outage())
            .collect();
        let after: Vec<&Call> = calls
            .iter()
            .filter(|c| phase_of(scenario, c.start) == Phase::After)
            .collect();
        let recovery = recovery(&after, scenario.schedule.total()).map(|start| start - back);
        let count = |calls: &[&Call]| (calls.len(), calls.iter().filter(|c| c.ok).count());
        Self {
            kind,
            attempts,
            timeline,
            outage_calls: count(&during),
            after_calls: count(&after),
            during: Latency::of(during.iter().map(|c| c.latency).collect()),
            after: Latency::of(after.iter().map(|c| c.latency).collect()),
            turned_away: Latency::of(
                calls
                    .iter()
                    .filter(|c| c.reached == 0)
                    .map(|c| c.latency)
                    .collect(),
            ),
            turned_away_calls: calls.iter().filter(|c| c.reached == 0).count(),
            bursts: bursts(&outage_log, scenario.knobs.recovery_timeout / 2),
            recovery,
            retries,
        }
    }

    /// Attempts that reached the dependency while it was down.
    pub(crate) fn outage_attempts(&self) -> u64 {
        outage_attempts(&self.attempts)
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "stack": self.kind.name(),
            "outage_attempts": self.outage_attempts(),
            "attempts_by_phase": {
                "before": self.attempts[0],
                "refused": self.attempts[1],
                "unavailable": self.attempts[2],
                "hanging": self.attempts[3],
                "after": self.attempts[4],
            },
            "outage_calls": self.outage_calls.0,
            "outage_calls_ok": self.outage_calls.1,
            "after_calls": self.after_calls.0,
            "after_calls_ok": self.after_calls.1,
            "latency_during": self.during.json(),
            "latency_after": self.after.json(),
            "latency_turned_away": self.turned_away.json(),
            "turned_away_calls": self.turned_away_calls,
            "bursts": self.bursts,
            "recovery_ms": self.recovery.map(ms),
            "retries": self.retries,
            "timeline": self.timeline,
        })
    }
}

/// `log` (attempt times, sorted) split into bursts wherever two attempts are more than
/// `gap` apart: the size of each. With a breaker that admits one probe per open period,
/// every burst after the first is one attempt.
fn bursts(log: &[Duration], gap: Duration) -> Vec<u64> {
    let mut sizes: Vec<u64> = Vec::new();
    let mut last: Option<Duration> = None;
    for &at in log {
        match sizes.last_mut() {
            Some(n) if last.is_some_and(|l| at - l <= gap) => *n += 1,
            _ => sizes.push(1),
        }
        last = Some(at);
    }
    sizes
}

/// How long every call must succeed for the dependency's callers to count as recovered:
/// long enough that a half-open probe or two cannot pass for it, short enough that a
/// late hiccup of a loaded machine does not erase a recovery that happened.
pub(crate) const STEADY: Duration = Duration::from_secs(1);

/// The start of the first call from which every call for [`STEADY`] succeeded, among
/// `calls` (sorted by start) of a run that ends at `end`.
fn recovery(calls: &[&Call], end: Duration) -> Option<Duration> {
    let mut next_failure = None;
    let mut first = None;
    for (i, call) in calls.iter().enumerate().rev() {
        if !call.ok {
            next_failure = Some(i);
            continue;
        }
        let until = call.start + STEADY;
        let clean = next_failure.is_none_or(|f| calls[f].start >= until);
        if clean && until <= end {
            first = Some(call.start);
        }
    }
    first
}

pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(ms: u64, ok: bool) -> Call {
        Call {
            start: Duration::from_millis(ms),
            latency: Duration::ZERO,
            ok,
            reached: 1,
        }
    }

    #[test]
    fn bursts_split_where_attempts_are_further_apart_than_the_gap() {
        let at = |list: &[u64]| -> Vec<Duration> {
            list.iter().map(|&ms| Duration::from_millis(ms)).collect()
        };
        let gap = Duration::from_millis(250);
        // A trip of five attempts, two lone probes, then a burst of three in one period.
        let log = at(&[1000, 1003, 1010, 1020, 1040, 1540, 2040, 2540, 2545, 2600]);
        assert_eq!(bursts(&log, gap), [5, 1, 1, 3]);
        assert_eq!(bursts(&[], gap), Vec::<u64>::new());
        assert_eq!(bursts(&at(&[1000, 1250, 1501]), gap), [2, 1]);
    }

    #[test]
    fn recovery_is_the_first_steady_second() {
        let end = Duration::from_millis(5000);
        let calls = [
            call(0, false),
            call(100, true),
            call(400, false),
            call(500, true),
            call(1000, true),
            call(1600, true),
            call(4800, false),
        ];
        let refs: Vec<&Call> = calls.iter().collect();
        // 100 ms is followed by a failure within a second; from 500 ms on every call for a
        // second succeeds; the late failure at 4.8 s does not undo that.
        assert_eq!(recovery(&refs, end), Some(Duration::from_millis(500)));
        let failing: Vec<&Call> = calls.iter().filter(|c| !c.ok).collect();
        assert_eq!(recovery(&failing, end), None);
    }
}
