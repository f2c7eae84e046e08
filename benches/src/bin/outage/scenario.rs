//! One run of the scenario through one stack: a fresh dependency, callers at a fixed
//! offered rate (open loop: a slow call does not delay the next one), every call's
//! start, latency and outcome recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::dependency::Dependency;
use crate::schedule::{Phase, Schedule, PHASES};
use crate::stacks::{Kind, Knobs, Stack};
use crate::stats::{Call, Report};

/// Everything a run needs besides the stack.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scenario {
    pub(crate) schedule: Schedule,
    /// Concurrent callers.
    pub(crate) callers: u32,
    /// Calls per second, all callers together.
    pub(crate) rate: f64,
    pub(crate) knobs: Knobs,
}

/// Runs the scenario through `kind` and sums it up.
pub(crate) async fn run(
    kind: Kind,
    scenario: Scenario,
) -> Result<Report, Box<dyn std::error::Error>> {
    let (dependency, server) = Dependency::start(scenario.schedule).await?;
    let stack = Arc::new(Stack::new(kind, scenario.knobs, Arc::clone(&dependency))?);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let epoch = dependency.epoch();
    let period = Duration::from_secs_f64(f64::from(scenario.callers) / scenario.rate);
    let end = scenario.schedule.total();
    let mut rng = fastrand::Rng::with_seed(scenario.knobs.seed);
    let mut callers = Vec::new();
    for _ in 0..scenario.callers {
        let offset = period.mul_f64(rng.f64());
        let (stack, calls) = (Arc::clone(&stack), Arc::clone(&calls));
        callers.push(tokio::spawn(async move {
            let mut running = Vec::new();
            let mut at = offset;
            while at < end {
                tokio::time::sleep_until(epoch + at).await;
                let (stack, calls) = (Arc::clone(&stack), Arc::clone(&calls));
                running.push(tokio::spawn(async move {
                    let start = Instant::now();
                    let (ok, reached) = stack.call().await;
                    let call = Call {
                        start: start - epoch,
                        latency: start.elapsed(),
                        ok,
                        reached,
                    };
                    calls.lock().expect("the call log").push(call);
                }));
                at += period;
            }
            for call in running {
                let _ = call.await;
            }
        }));
    }
    // Every call is bounded by its attempts, waits and timeouts; this bounds the run
    // even if a stack were to hang.
    let patience = end + Duration::from_secs(30);
    let all = async {
        for caller in callers {
            let _ = caller.await;
        }
    };
    if tokio::time::timeout_at(epoch + patience, all)
        .await
        .is_err()
    {
        eprintln!("warning: {}: calls still running at the end", kind.name());
    }
    server.abort();
    let calls = std::mem::take(&mut *calls.lock().expect("the call log"));
    let attempts = PHASES.map(|phase| dependency.attempts_in(phase));
    Ok(Report::new(
        kind,
        &scenario,
        calls,
        attempts,
        dependency.timeline(),
        dependency.outage_log(),
        stack.retries(),
    ))
}

/// Attempts made while the dependency was down.
pub(crate) fn outage_attempts(attempts: &[u64; PHASES.len()]) -> u64 {
    PHASES
        .iter()
        .zip(attempts)
        .filter(|(phase, _)| phase.is_outage())
        .map(|(_, n)| n)
        .sum()
}

/// The phase a call that started at `start` belongs to.
pub(crate) fn phase_of(scenario: &Scenario, start: Duration) -> Phase {
    scenario.schedule.phase_at(start)
}
