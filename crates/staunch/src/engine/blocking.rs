//! The blocking driver: the async driver's twin for every blocking call form. Sleeps with
//! [`Clock::sleep_blocking`](crate::Clock::sleep_blocking), so no runtime is needed. A
//! blocking attempt can't be interrupted: its time is measured, and one that returns
//! late counts as a timeout (see [`Ending::Late`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::events;
use super::form::BlockingForm;
use super::future::panicked;
use super::step::{Run, Shape, Step};
use super::table::{Alone, Ending, Record};
use crate::retry::Retrying;

/// Runs a blocking call until it succeeds or the engine ends it.
#[inline(always)]
pub(crate) fn run<F, T, E>(mut form: F) -> Result<T, F::Error>
where
    F: BlockingForm<T, E>,
{
    match form.shape() {
        Shape::Plain => {}
        Shape::TimeoutOnly(timeout) => return run_timeout_only(form, timeout),
        Shape::General => return run_timed(form),
    }
    let quiet = form.layers().quiet;
    // The first attempt of a plain call: nothing to deposit, no clock to read.
    let permit = match form.admit() {
        Ok(permit) => permit,
        // A breaker alone: the refusal is the call's end, handed back as it is.
        Err(open) if quiet => return refused_alone(form, open),
        Err(open) => {
            let mut run = Run::new();
            let step = run.rejected(&form.layers(), open);
            return go_on(form, run, step, None);
        }
    };
    let (outcome, permit) = attempt(&mut form, permit);
    match outcome {
        Ok(value) if !form.retry_ok(&value) => {
            permit.success();
            events::success_first_try(&form.layers());
            Ok(value)
        }
        Err(error) if quiet => failed_alone(form, permit, error),
        outcome => first_failed(form, Run::new(), permit, outcome, Ending::InTime),
    }
}

/// A breaker alone, untimed: its only attempt failed; report it and end, as the async
/// driver does, without the step machine (`blocking/closed_failure_x1000/staunch`).
#[cold]
#[inline(never)]
fn failed_alone<F: BlockingForm<T, E>, T, E>(
    mut form: F,
    permit: F::Permit,
    error: E,
) -> Result<T, F::Error> {
    let verdict = form.classify(&error);
    permit.record(verdict);
    form.end_alone(Alone::Failed(error, verdict))
}

/// A breaker alone refused its only attempt: the refusal is the call's end, handed back
/// as it is. It takes the rejection itself, not wrapped in an [`Alone`] by the caller:
/// that extra move of the error costs a third of `blocking/open_rejection/staunch`.
#[cold]
#[inline(never)]
fn refused_alone<F: BlockingForm<T, E>, T, E>(
    mut form: F,
    open: crate::CircuitOpen,
) -> Result<T, F::Error> {
    form.end_alone(Alone::Refused(open))
}

/// A call bounded only by an attempt timeout (the common timed one): its first attempt
/// is timed inline, one clock read on each side, in nanoseconds; the step machine hears
/// of the start only if the call goes on.
#[inline]
fn run_timeout_only<F: BlockingForm<T, E>, T, E>(mut form: F, timeout: u64) -> Result<T, F::Error> {
    let start = form.layers().clock.now_nanos();
    let permit = match form.admit() {
        Ok(permit) => permit,
        Err(open) => {
            let run = begun(start);
            return refused(form, run, open);
        }
    };
    let (outcome, permit) = attempt(&mut form, permit);
    let spent = form.layers().clock.now_nanos().saturating_sub(start);
    match outcome {
        Ok(value) if !form.retry_ok(&value) => {
            if spent > timeout {
                return late_success(form, begun(start), permit, value);
            }
            permit.success();
            events::success_first_try(&form.layers());
            Ok(value)
        }
        outcome => {
            let run = begun(start);
            let ending = run.ending(&form.layers());
            first_failed(form, run, permit, outcome, ending)
        }
    }
}

/// The step machine's run of a call whose first attempt started at `start`.
#[inline(always)]
fn begun(start: u64) -> Run {
    let mut run = Run::new();
    run.begin_at(Duration::from_nanos(start));
    run
}

#[cold]
#[inline(never)]
fn refused<F: BlockingForm<T, E>, T, E>(
    form: F,
    mut run: Run,
    open: crate::CircuitOpen,
) -> Result<T, F::Error> {
    let step = run.rejected(&form.layers(), open);
    go_on(form, run, step, None)
}

/// The first attempt of a call timed inline succeeded after its time: returned, and
/// counted as a breaker failure.
#[cold]
#[inline(never)]
fn late_success<F: BlockingForm<T, E>, T, E>(
    form: F,
    mut run: Run,
    permit: F::Permit,
    value: T,
) -> Result<T, F::Error> {
    let ending = run.ending(&form.layers());
    run.succeeded(&form.layers(), permit, ending);
    Ok(value)
}

/// A call with a budget, a deadline or an attempt timeout.
#[inline(never)]
fn run_timed<F: BlockingForm<T, E>, T, E>(mut form: F) -> Result<T, F::Error> {
    let mut run = Run::new();
    run.begin(&form.layers());
    let permit = match form.admit() {
        Ok(permit) => permit,
        Err(open) => {
            let step = run.rejected(&form.layers(), open);
            return go_on(form, run, step, None);
        }
    };
    run.attempt_started(&form.layers());
    let (outcome, permit) = attempt(&mut form, permit);
    let ending = run.ending(&form.layers());
    match outcome {
        Ok(value) if !form.retry_ok(&value) => {
            run.succeeded(&form.layers(), permit, ending);
            Ok(value)
        }
        outcome => first_failed(form, run, permit, outcome, ending),
    }
}

#[cold]
#[inline(never)]
fn first_failed<F: BlockingForm<T, E>, T, E>(
    mut form: F,
    mut run: Run,
    permit: F::Permit,
    outcome: Result<T, E>,
    ending: Ending,
) -> Result<T, F::Error> {
    let step = judge(&mut form, &mut run, permit, &outcome, ending);
    go_on(form, run, step, Some(outcome))
}

/// The retry loop after the first step.
fn go_on<F: BlockingForm<T, E>, T, E>(
    mut form: F,
    mut run: Run,
    mut step: Step,
    mut last: Option<Result<T, E>>,
) -> Result<T, F::Error> {
    loop {
        match step {
            Step::Retry(delay) => {
                if form.notifies() {
                    if let Some(outcome) = &last {
                        let elapsed = run.elapsed(form.layers().clock.now());
                        let attempt = run.attempts();
                        form.notify(&Retrying {
                            attempt,
                            delay,
                            elapsed,
                            outcome,
                        });
                    }
                }
                form.layers().clock.sleep_blocking(delay);
            }
            Step::Stop(stopped) => return form.finish(stopped, last),
        }
        let permit = match form.admit() {
            Ok(permit) => permit,
            Err(open) => {
                step = run.rejected(&form.layers(), open);
                continue;
            }
        };
        run.attempt_started(&form.layers());
        let (outcome, permit) = attempt(&mut form, permit);
        let ending = run.ending(&form.layers());
        match outcome {
            Ok(value) if !form.retry_ok(&value) => {
                run.succeeded(&form.layers(), permit, ending);
                return Ok(value);
            }
            outcome => {
                step = judge(&mut form, &mut run, permit, &outcome, ending);
                last = Some(outcome);
            }
        }
    }
}

/// Judges a finished attempt that did not succeed: an error, or an `Ok` to retry on.
fn judge<F: BlockingForm<T, E>, T, E>(
    form: &mut F,
    run: &mut Run,
    permit: F::Permit,
    outcome: &Result<T, E>,
    ending: Ending,
) -> Step {
    let layers = form.layers();
    match outcome {
        Ok(_) => run.rejected_ok(&layers, permit),
        Err(error) => {
            let verdict = form.classify(error);
            run.failed(&layers, permit, verdict, ending, F::debug(error))
        }
    }
}

/// Runs one attempt under `permit`; a panicking attempt counts as a breaker failure,
/// then unwinds on.
#[inline(always)]
fn attempt<F: BlockingForm<T, E>, T, E>(
    form: &mut F,
    permit: F::Permit,
) -> (Result<T, E>, F::Permit) {
    match catch_unwind(AssertUnwindSafe(|| form.attempt())) {
        Ok(outcome) => (outcome, permit),
        Err(panic) => panicked(permit, panic),
    }
}
