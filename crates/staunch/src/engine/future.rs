//! The async driver: one hand-written future for every async call form, no box; nothing
//! allocated unless an attempt has to wait on a timer or the retry sleeps.
//!
//! The first attempt runs on a fast path (a permit, the attempt, its report) inlined
//! into the caller; everything else (a refusal, a failure, a later poll, a timer, a
//! sleep) runs out of line from a cold state that is dropped with one branch when
//! unused. A panic inside an attempt is reported to the breaker as a failure, then
//! unwinds on, as in the blocking driver.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::cold_drop::{ColdDrop, Trivial};
use super::events;
use super::form::AsyncForm;
use super::step::{Layers, Run, Shape, Step};
use super::table::{Alone, Ending, Record};
use crate::retry::Retrying;
use crate::Sleep;

pin_project! {
    /// A call in progress: the form, the cold state, and the running attempt.
    // In this order (`repr(C)`): the compiler's own order moves with the form's size, and
    // one of its choices put the start phase's empty payload beside the form, so that a
    // call was built on the stack and copied, uninitialized bytes included, into place.
    #[repr(C)]
    pub(crate) struct Drive<F, Fut: Future, P, O = ()> {
        form: F,
        slow: ColdDrop<Lazy<P, Fut::Output>>,
        #[pin]
        phase: Phase<Fut, O>,
    }
}

/// The state of a call past its fast path: the progress of the retry, the permit of the
/// running attempt, the last outcome, and the attempt's timer or the sleep before the
/// next attempt.
struct Slow<P, O> {
    /// Set by the first write to a field that may own something (`run`'s retry state,
    /// `permit`, `last`, `sleep`): the whole of [`Trivial::is_trivial`]. The start times
    /// a timed first attempt writes own nothing, and leave it unset.
    used: bool,
    run: Run,
    permit: Option<P>,
    last: Option<O>,
    sleep: Option<Sleep>,
}

impl<P, O> Default for Slow<P, O> {
    #[inline(always)]
    fn default() -> Self {
        Self {
            used: false,
            run: Run::new(),
            permit: None,
            last: None,
            sleep: None,
        }
    }
}

/// The cold state, made at its first use: until then one niche value says there is none,
/// the only write a call that succeeds at once makes for it.
struct Lazy<P, O>(Option<Slow<P, O>>);

impl<P, O> Default for Lazy<P, O> {
    #[inline(always)]
    fn default() -> Self {
        Self(None)
    }
}

impl<P, O> Lazy<P, O> {
    /// The cold state, made now if it was not.
    #[inline(always)]
    fn get(&mut self) -> &mut Slow<P, O> {
        self.0.get_or_insert_with(Slow::default)
    }

    /// The cold state of a call whose first attempt was timed inline from `start`: made,
    /// and given that start.
    #[inline(always)]
    fn begun(&mut self, start: Option<u64>) -> &mut Slow<P, O> {
        let slow = self.get();
        if let Some(start) = start {
            slow.run.begin_at(Duration::from_nanos(start));
        }
        slow
    }
}

impl<P, O> Trivial for Lazy<P, O> {
    #[inline(always)]
    fn is_trivial(&self) -> bool {
        !matches!(&self.0, Some(slow) if slow.used)
    }
}

pin_project! {
    #[project = PhaseProj]
    #[project_replace = PhaseReplace]
    enum Phase<Fut, O> {
        /// Not polled yet, with what the first attempt is made from.
        Start { once: O },
        Ready,
        Admit,
        Running { #[pin] future: Fut },
        Sleeping,
        Done,
    }
}

impl<F, Fut: Future, P> Drive<F, Fut, P> {
    #[inline(always)]
    pub(crate) fn new(form: F) -> Self {
        Self::with_once(form, ())
    }
}

impl<F, Fut: Future, P, O> Drive<F, Fut, P, O> {
    /// A call whose first attempt is made from `once` (see [`AsyncForm::Once`]).
    #[inline(always)]
    pub(crate) fn with_once(form: F, once: O) -> Self {
        Self {
            form,
            slow: ColdDrop::default(),
            phase: Phase::Start { once },
        }
    }

    /// The form, to refine it before the first poll.
    pub(crate) fn form(&self) -> &F {
        &self.form
    }

    /// The form, taken back to build a refined call.
    pub(crate) fn into_form(self) -> F {
        self.form
    }

    /// The same call with its form refined by `refine`, where it stands.
    pub(crate) fn map_form<G>(self, refine: impl FnOnce(F) -> G) -> Drive<G, Fut, P, O> {
        Drive {
            form: refine(self.form),
            slow: self.slow,
            phase: self.phase,
        }
    }

    /// Where the call stands, for `Debug`.
    pub(crate) fn phase(&self) -> &'static str {
        match self.phase {
            Phase::Start { .. } => "start",
            Phase::Ready => "ready",
            Phase::Admit => "admit",
            Phase::Running { .. } => "running",
            Phase::Sleeping => "sleeping",
            Phase::Done => "done",
        }
    }
}

/// How the fast path left a call. Kept small, so that a success's value stays in
/// registers instead of in a slot of memory shared with the cold paths' results (a store,
/// a load and a jump through a table on every success of a policy): a call handed over to
/// the slow path has had its step taken already (see [`hand_over`]), and carries none.
enum First<T, Err> {
    Done(T),
    Pending,
    /// The slow path goes on from the phase the hand-over left.
    Slow,
    /// A breaker alone refused or failed its only attempt: the call is over.
    Ended(Err),
}

impl<F, Fut, T, E> Future for Drive<F, Fut, F::Permit, F::Once>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<T, F::Error>;

    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if matches!(self.phase, Phase::Start { .. }) {
            match self.as_mut().poll_first(cx) {
                First::Done(value) => return Poll::Ready(Ok(value)),
                First::Pending => return Poll::Pending,
                First::Slow => {}
                First::Ended(error) => return Poll::Ready(Err(error)),
            }
        }
        // The slow path's result comes back through a place of its own, not as a return
        // value: so the fast path's `Poll<Result<..>>` stays in registers rather than in
        // the memory a returned value of the slow path's would share with it.
        let mut out = None;
        self.poll_slow(cx, &mut out);
        match out {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }
}

impl<F, Fut, T, E> Drive<F, Fut, F::Permit, F::Once>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    /// The first attempt: a permit, the attempt, and on success the permit's report.
    /// A plain call (no budget, deadline or attempt timeout) has nothing to deposit and no
    /// clock to read, and keeps to registers; the others do their bookkeeping out of line.
    #[inline(always)]
    fn poll_first(self: Pin<&mut Self>, cx: &mut Context<'_>) -> First<T, F::Error> {
        let mut this = self.project();
        let shape = this.form.shape();
        let plain = shape == Shape::Plain;
        // The start of an attempt timed inline, in nanoseconds, written to the cold state
        // only if the call goes there.
        let mut start = 0;
        let mut timed_start = None;
        match shape {
            Shape::Plain => {}
            // A call bounded only by an attempt timeout (the common one) times its first
            // attempt inline: one clock read on each side, the start kept at hand.
            Shape::TimeoutOnly(_) => {
                start = this.form.layers().clock.now_nanos();
                timed_start = Some(start);
            }
            Shape::General => first_begin(this.slow.get(), &this.form.layers()),
        }
        let permit = match this.form.admit() {
            Ok(permit) => permit,
            // A breaker alone: the refusal is the call's end, handed back as it is.
            Err(open) if this.form.layers().quiet => {
                unlikely();
                this.phase.set(Phase::Done);
                return ended(this.form.end_alone(Alone::Refused(open)));
            }
            Err(open) => {
                unlikely();
                return refused(this.form, this.slow.begun(timed_start), this.phase, open);
            }
        };
        let future = if F::FIRST_FROM_ONCE {
            let PhaseReplace::Start { once } = this.phase.as_mut().project_replace(Phase::Done)
            else {
                unreachable!("the fast path runs from the start")
            };
            this.form.first(once)
        } else {
            this.form.attempt()
        };
        this.phase.set(Phase::Running { future });
        let PhaseProj::Running { future } = this.phase.as_mut().project() else {
            unreachable!("the phase was just set to running")
        };
        let polled = poll_attempt(future, cx);
        match polled {
            Poll::Ready(Ok(Ok(value))) if !this.form.retry_ok(&value) => {
                let in_time = match shape {
                    Shape::Plain => true,
                    Shape::TimeoutOnly(timeout) => {
                        let spent = this.form.layers().clock.now_nanos().saturating_sub(start);
                        spent <= timeout
                    }
                    Shape::General => false,
                };
                if in_time {
                    permit.success();
                    events::success_first_try(&this.form.layers());
                } else {
                    unlikely();
                    let slow = this.slow.begun(timed_start);
                    first_succeeded(slow, &this.form.layers(), permit);
                }
                // The finished attempt stays in place until the call is dropped: no drop
                // and no write on the success path.
                First::Done(value)
            }
            // A breaker alone, untimed: its only attempt failed; report it and end. The
            // finished attempt stays in place, as on success.
            Poll::Ready(Ok(Err(error))) if plain && this.form.layers().quiet => {
                unlikely();
                let verdict = this.form.classify(&error);
                permit.record(verdict);
                ended(this.form.end_alone(Alone::Failed(error, verdict)))
            }
            Poll::Ready(Ok(outcome)) => {
                unlikely();
                let slow = this.slow.begun(timed_start);
                first_failed(this.form, slow, this.phase, permit, outcome)
            }
            Poll::Ready(Err(panic)) => panicked(permit, panic),
            Poll::Pending => {
                let slow = this.slow.begun(timed_start);
                slow.used = true;
                slow.permit = Some(permit);
                if this.form.layers().is_timed() {
                    first_timer(this.form, slow, this.phase, cx)
                } else {
                    First::Pending
                }
            }
        }
    }

    /// Everything but the fast path, from the phase the call is in; the call's result,
    /// when it ends, is written to `out`.
    #[cold]
    #[inline(never)]
    fn poll_slow(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut Option<Result<T, F::Error>>,
    ) {
        if let Poll::Ready(result) = self.poll_slow_inner(cx) {
            *out = Some(result);
        }
    }

    #[inline(always)]
    fn poll_slow_inner(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, F::Error>> {
        let mut this = self.project();
        let slow = this.slow.get();
        slow.used = true;
        loop {
            let next = match this.phase.as_mut().project() {
                PhaseProj::Start { .. } => unreachable!("a call starts on the fast path"),
                PhaseProj::Ready => match this.form.poll_ready(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(())) => {
                        this.phase.set(Phase::Admit);
                        continue;
                    }
                    Poll::Ready(Err(error)) => {
                        let stopped = slow.run.unready(&this.form.layers());
                        this.phase.set(Phase::Done);
                        return Poll::Ready(this.form.finish(stopped, Some(Err(error))));
                    }
                },
                PhaseProj::Admit => match this.form.admit() {
                    Ok(permit) => {
                        slow.run.attempt_started(&this.form.layers());
                        slow.permit = Some(permit);
                        let future = this.form.attempt();
                        this.phase.set(Phase::Running { future });
                        continue;
                    }
                    Err(open) => slow.run.rejected(&this.form.layers(), open),
                },
                PhaseProj::Running { future } => {
                    let (outcome, ending) = match poll_attempt(future, cx) {
                        Poll::Ready(Ok(outcome)) => {
                            let ending = slow.run.ending(&this.form.layers());
                            (Some(outcome), ending)
                        }
                        Poll::Ready(Err(panic)) => {
                            let permit = slow.permit.take();
                            panicked(permit.expect("a running attempt holds a permit"), panic)
                        }
                        Poll::Pending => {
                            if poll_timer(&slow.run, &this.form.layers(), &mut slow.sleep, cx)
                                .is_pending()
                            {
                                return Poll::Pending;
                            }
                            (None, Ending::TimedOut)
                        }
                    };
                    slow.sleep = None;
                    let permit = slow
                        .permit
                        .take()
                        .expect("a running attempt holds a permit");
                    match outcome {
                        Some(Ok(value)) if !this.form.retry_ok(&value) => {
                            slow.run.succeeded(&this.form.layers(), permit, ending);
                            this.phase.set(Phase::Done);
                            return Poll::Ready(Ok(value));
                        }
                        Some(outcome) => judge(this.form, slow, permit, outcome, ending),
                        None => {
                            let layers = this.form.layers();
                            slow.run.failed(
                                &layers,
                                permit,
                                crate::Verdict::TRANSIENT,
                                ending,
                                None,
                            )
                        }
                    }
                }
                PhaseProj::Sleeping => {
                    let sleep = slow
                        .sleep
                        .as_mut()
                        .expect("a sleeping call holds its sleep");
                    if Pin::new(sleep).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    slow.sleep = None;
                    this.phase.set(Phase::Ready);
                    continue;
                }
                PhaseProj::Done => panic!("a staunch call polled after completion"),
            };
            if let Some(result) = take_step(this.form, slow, this.phase.as_mut(), next) {
                return Poll::Ready(result);
            }
        }
    }
}

/// Takes a step: sleeps before the next attempt, or stops with the call's result.
#[inline(always)]
fn take_step<F, T, E, Fut>(
    form: &mut F,
    slow: &mut Slow<F::Permit, Result<T, E>>,
    mut phase: Pin<&mut Phase<Fut, F::Once>>,
    step: Step,
) -> Option<Result<T, F::Error>>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    match step {
        Step::Retry(delay) => {
            notify(form, &slow.run, &slow.last, delay);
            slow.sleep = Some(form.layers().clock.sleep(delay));
            phase.set(Phase::Sleeping);
            None
        }
        Step::Stop(stopped) => {
            phase.set(Phase::Done);
            Some(form.finish(stopped, slow.last.take()))
        }
    }
}

/// Hands a call over from the fast path with the step it decided: the step is taken
/// here, so that nothing has to carry it to the slow path (which goes on from the phase).
#[inline(never)]
fn hand_over<F, T, E, Fut>(
    form: &mut F,
    slow: &mut Slow<F::Permit, Result<T, E>>,
    phase: Pin<&mut Phase<Fut, F::Once>>,
    step: Step,
) -> First<T, F::Error>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    match take_step(form, slow, phase, step) {
        Some(result) => ended(result),
        None => First::Slow,
    }
}

/// Marks the branch it is called from as the unlikely one, for the layout of the fast
/// path: its code is placed out of the way, the likely branch falls through. (An empty
/// cold function: a call to it makes its caller's branch cold.)
#[cold]
#[inline(never)]
fn unlikely() {}

/// Polls an attempt, catching a panic so that the breaker hears of it.
#[inline(always)]
fn poll_attempt<Fut: Future>(
    future: Pin<&mut Fut>,
    cx: &mut Context<'_>,
) -> Poll<Result<Fut::Output, Box<dyn std::any::Any + Send>>> {
    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Ready(outcome)) => Poll::Ready(Ok(outcome)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(panic) => Poll::Ready(Err(panic)),
    }
}

/// A panicking attempt counts as a breaker failure, then unwinds on.
#[cold]
#[inline(never)]
pub(crate) fn panicked(permit: impl Record, panic: Box<dyn std::any::Any + Send>) -> ! {
    permit.failure();
    resume_unwind(panic)
}

/// Polls the timer of an attempt that is still running, starting it on first use:
/// ready when the attempt has run out of time, pending forever when it is not timed.
pub(crate) fn poll_timer(
    run: &Run,
    l: &Layers<'_>,
    timer: &mut Option<Sleep>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if !l.is_timed() {
        return Poll::Pending;
    }
    let timer = timer.get_or_insert_with(|| run.timer(l).unwrap_or_else(Sleep::pending));
    Pin::new(timer).poll(cx)
}

/// Judges a finished attempt that did not succeed: an error, or an `Ok` to retry on.
#[cold]
#[inline(never)]
fn judge<F, T, E, Fut, P>(
    form: &mut F,
    slow: &mut Slow<P, Result<T, E>>,
    permit: P,
    outcome: Result<T, E>,
    ending: Ending,
) -> Step
where
    F: AsyncForm<T, E, Fut, Permit = P>,
    P: Record,
{
    let layers = form.layers();
    let step = match &outcome {
        Ok(_) => slow.run.rejected_ok(&layers, permit),
        Err(error) => {
            let verdict = form.classify(error);
            slow.run
                .failed(&layers, permit, verdict, ending, F::debug(error))
        }
    };
    slow.last = Some(outcome);
    step
}

/// Tells the form's hook about a retry.
#[inline]
fn notify<F, T, E, Fut>(form: &mut F, run: &Run, last: &Option<Result<T, E>>, delay: Duration)
where
    F: AsyncForm<T, E, Fut>,
{
    if !form.notifies() {
        return;
    }
    if let Some(outcome) = last {
        let layers = form.layers();
        let elapsed = run.elapsed(layers.clock.now());
        let attempt = run.attempts();
        form.notify(&Retrying {
            attempt,
            delay,
            elapsed,
            outcome,
        });
    }
}

/// The breaker refused the first attempt of a call that may wait for it: the step
/// machine decides what next.
#[cold]
#[inline(never)]
fn refused<F, T, E, Fut>(
    form: &mut F,
    slow: &mut Slow<F::Permit, Result<T, E>>,
    phase: Pin<&mut Phase<Fut, F::Once>>,
    open: crate::CircuitOpen,
) -> First<T, F::Error>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    slow.used = true;
    let step = slow.run.rejected(&form.layers(), open);
    hand_over(form, slow, phase, step)
}

/// The first attempt ended without a success: an error, or an `Ok` to retry on. A
/// breaker alone ends there (`runtime_breaker_failure/staunch_failure_closed`); any other
/// form decides what next.
#[cold]
#[inline(never)]
fn first_failed<F, T, E, Fut>(
    form: &mut F,
    slow: &mut Slow<F::Permit, Result<T, E>>,
    phase: Pin<&mut Phase<Fut, F::Once>>,
    permit: F::Permit,
    outcome: Result<T, E>,
) -> First<T, F::Error>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    slow.used = true;
    let layers = form.layers();
    let ending = slow.run.ending(&layers);
    let step = judge(form, slow, permit, outcome, ending);
    hand_over(form, slow, phase, step)
}

#[inline(always)]
fn ended<T, Err>(result: Result<T, Err>) -> First<T, Err> {
    match result {
        Ok(value) => First::Done(value),
        Err(error) => First::Ended(error),
    }
}

/// Starts a call that is not plain: the budget's deposit, the start time (plain data:
/// the state stays trivial to drop).
#[inline(never)]
fn first_begin<P, O>(slow: &mut Slow<P, O>, layers: &Layers<'_>) {
    slow.run.begin(layers);
    slow.run.attempt_started(layers);
}

/// Reports the first attempt's success, for a call that is not plain: a success that
/// came after its time counts as a breaker failure.
#[inline(never)]
fn first_succeeded<P: Record, O>(slow: &mut Slow<P, O>, layers: &Layers<'_>, permit: P) {
    let ending = slow.run.ending(layers);
    slow.run.succeeded(layers, permit, ending);
}

/// The first attempt is running and is timed: starts its timer and polls it once.
#[inline(never)]
fn first_timer<F, T, E, Fut>(
    form: &mut F,
    slow: &mut Slow<F::Permit, Result<T, E>>,
    phase: Pin<&mut Phase<Fut, F::Once>>,
    cx: &mut Context<'_>,
) -> First<T, F::Error>
where
    F: AsyncForm<T, E, Fut>,
    Fut: Future<Output = Result<T, E>>,
{
    let layers = form.layers();
    if poll_timer(&slow.run, &layers, &mut slow.sleep, cx).is_pending() {
        return First::Pending;
    }
    slow.sleep = None;
    let permit = slow
        .permit
        .take()
        .expect("a running attempt holds a permit");
    let verdict = crate::Verdict::TRANSIENT;
    let step = slow
        .run
        .failed(&layers, permit, verdict, Ending::TimedOut, None);
    hand_over(form, slow, phase, step)
}

impl<F: fmt::Debug, Fut: Future, P, O> fmt::Debug for Drive<F, Fut, P, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drive")
            .field("form", &self.form)
            .field("phase", &self.phase())
            .finish()
    }
}

/// `duration` in whole nanoseconds, saturating.
#[inline(always)]
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
