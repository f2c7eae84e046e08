//! The seam for an outside authority over a breaker's state, such as a shared store that
//! makes a fleet of replicas trip and recover together.
//!
//! An [`Authority`] set with
//! [`CircuitBreakerBuilder::authority`](crate::CircuitBreakerBuilder::authority) sees every
//! outcome, rejection and transition of the breaker, and gets an [`AuthorityHandle`] to move
//! the breaker between states. The breaker stays a complete local breaker: the authority
//! only adds information, and its callbacks must not block (queue the work, do I/O
//! elsewhere). Callbacks run on the caller's thread, outside every lock.
//!
//! A breaker without an authority pays nothing for the seam: whether one is set is part
//! of the build-time flags that the hot path reads anyway. A breaker with one pays little:
//! a plain success outside HALF_OPEN, the common call, is not reported to
//! [`Authority::on_outcome`] but added to a per-thread counter that the authority reads
//! when it likes ([`AuthorityHandle::successes`]): no call through the trait object and no
//! atomic read-modify-write on the call path.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::core::{Inner, Ticket};
use super::event::Transition;
use super::state::CircuitState;
use super::word::{Kind, Manual};
use super::CircuitBreaker;

/// Observes a breaker and may steer it. Every method has an empty default.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use staunch::breaker::{Authority, AuthorityHandle, Outcome};
/// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
///
/// #[derive(Debug, Default)]
/// struct Fleet { handle: Mutex<Option<AuthorityHandle>>, outcomes: Mutex<Vec<Outcome>> }
///
/// impl Authority for Fleet {
///     fn attach(&self, handle: AuthorityHandle) { *self.handle.lock().unwrap() = Some(handle); }
///     fn on_outcome(&self, outcome: Outcome) { self.outcomes.lock().unwrap().push(outcome); }
/// }
///
/// let fleet = Arc::new(Fleet::default());
/// let breaker = CircuitBreaker::builder("llm")
///     .clock(FakeClock::new().clock())
///     .authority(fleet.clone())
///     .build()?;
/// breaker.call_blocking(|| Ok::<_, ()>(1)).unwrap();
/// let _ = breaker.call_blocking(|| Err::<(), _>("down"));
/// // The failure is reported; plain successes are counted, read through the handle.
/// assert_eq!(fleet.outcomes.lock().unwrap().len(), 1);
/// let handle = fleet.handle.lock().unwrap().clone().unwrap();
/// assert_eq!(handle.successes(), 1);
///
/// // The fleet decided to open every replica's breaker.
/// assert!(handle.apply_remote_transition(7, CircuitState::ForcedOpen, None));
/// assert_eq!(breaker.state(), CircuitState::ForcedOpen);
/// assert!(!handle.apply_remote_transition(6, CircuitState::Closed, None), "older news");
/// # Ok::<(), staunch::ConfigError>(())
/// ```
pub trait Authority: Send + Sync + fmt::Debug + 'static {
    /// Called once when the breaker is built, with the handle that steers it.
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # use staunch::{breaker::{Authority, AuthorityHandle, Outcome}, test_util::FakeClock, CircuitBreaker, Transition};
    /// #[derive(Debug, Default)] struct Count(AtomicUsize);
    /// impl Authority for Count { fn attach(&self, _: AuthorityHandle) { self.0.fetch_add(1, Ordering::Relaxed); } }
    /// let count = Arc::new(Count::default());
    /// CircuitBreaker::builder("db").authority(count.clone()).build()?;
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn attach(&self, handle: AuthorityHandle) {
        let _ = handle;
    }

    /// A permit reported its outcome (or was dropped without one). Every outcome but a
    /// plain [`Success`](OutcomeKind::Success) of an ordinary (non-probe) permit: those are
    /// only counted, in [`AuthorityHandle::successes`], to keep the common call cheap.
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # use staunch::{breaker::{Authority, AuthorityHandle, Outcome}, test_util::FakeClock, CircuitBreaker, Transition};
    /// #[derive(Debug, Default)] struct Count(AtomicUsize);
    /// impl Authority for Count { fn on_outcome(&self, _: Outcome) { self.0.fetch_add(1, Ordering::Relaxed); } }
    /// let count = Arc::new(Count::default());
    /// let b = CircuitBreaker::builder("db").authority(count.clone()).clock(FakeClock::new().clock()).build()?;
    /// drop(b.try_acquire());
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1); // abandoned
    /// b.try_acquire().unwrap().success();
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1); // counted, not reported
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn on_outcome(&self, outcome: Outcome) {
        let _ = outcome;
    }

    /// The breaker changed state (by itself, by hand or through the handle).
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # use staunch::{breaker::{Authority, AuthorityHandle, Outcome}, test_util::FakeClock, CircuitBreaker, Transition};
    /// #[derive(Debug, Default)] struct Count(AtomicUsize);
    /// impl Authority for Count { fn on_transition(&self, _: &Transition) { self.0.fetch_add(1, Ordering::Relaxed); } }
    /// let count = Arc::new(Count::default());
    /// let b = CircuitBreaker::builder("db").authority(count.clone()).clock(FakeClock::new().clock()).build()?;
    /// b.force_open();
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn on_transition(&self, transition: &Transition) {
        let _ = transition;
    }

    /// The breaker rejected a call; `retry_in` is the rest of the open period, if known.
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # use staunch::{breaker::{Authority, AuthorityHandle, Outcome}, test_util::FakeClock, CircuitBreaker, Transition};
    /// #[derive(Debug, Default)] struct Count(AtomicUsize);
    /// impl Authority for Count { fn on_rejected(&self, _: Option<std::time::Duration>) { self.0.fetch_add(1, Ordering::Relaxed); } }
    /// let count = Arc::new(Count::default());
    /// let b = CircuitBreaker::builder("db").authority(count.clone()).clock(FakeClock::new().clock()).build()?;
    /// b.force_open();
    /// let _ = b.try_acquire();
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn on_rejected(&self, retry_in: Option<Duration>) {
        let _ = retry_in;
    }

    /// Asked once before a call is admitted as a half-open probe; `false` rejects the call
    /// instead, so an authority can bound probes across replicas. Must not block. The
    /// default admits every probe the breaker itself allows.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use staunch::{breaker::Authority, test_util::FakeClock, CircuitBreaker, CircuitState};
    /// #[derive(Debug)] struct NoProbes;
    /// impl Authority for NoProbes { fn admit_probe(&self) -> bool { false } }
    /// let fake = FakeClock::new();
    /// let b = CircuitBreaker::builder("db").failure_threshold(1).recovery_timeout(Duration::from_secs(1))
    ///     .clock(fake.clock()).authority(Arc::new(NoProbes)).build()?;
    /// let _ = b.call_blocking(|| Err::<(), _>("down"));
    /// fake.advance(Duration::from_secs(2));
    /// assert!(b.try_acquire().is_err(), "the authority holds the probe back");
    /// // The open period has passed, so the breaker reports that a probe is due; the
    /// // authority decides when one is let through.
    /// assert_eq!(b.state(), CircuitState::HalfOpen);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn admit_probe(&self) -> bool {
        true
    }

    /// What the authority knows of the breaker's shared state, for dashboards
    /// ([`CircuitBreaker::authority_status`]). The default reports nothing.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use staunch::{breaker::{Authority, AuthorityStatus}, CircuitBreaker, CircuitState};
    /// #[derive(Debug)] struct Fleet;
    /// impl Authority for Fleet {
    ///     fn status(&self) -> Option<AuthorityStatus> {
    ///         Some(AuthorityStatus::new("fleet", true, Some(CircuitState::Open), 3, 7))
    ///     }
    /// }
    /// let b = CircuitBreaker::builder("db").authority(Arc::new(Fleet)).build()?;
    /// assert_eq!(b.authority_status().unwrap().members, 3);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    fn status(&self) -> Option<AuthorityStatus> {
        None
    }
}

/// What an [`Authority`] reports about the breaker it steers.
///
/// ```
/// use staunch::{breaker::AuthorityStatus, CircuitState};
/// let status = AuthorityStatus::new("redis", true, Some(CircuitState::Closed), 3, 12);
/// assert_eq!((status.kind, status.connected, status.generation), ("redis", true, 12));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorityStatus {
    /// The kind of authority, such as `"redis"`.
    pub kind: &'static str,
    /// Whether the authority reached its shared store lately.
    pub connected: bool,
    /// The shared state, when known.
    pub state: Option<CircuitState>,
    /// Members sharing the state (replicas attached), this one included.
    pub members: u64,
    /// The shared state's generation.
    pub generation: u64,
}

impl AuthorityStatus {
    /// A status from its parts.
    ///
    /// ```
    /// let status = staunch::breaker::AuthorityStatus::new("redis", false, None, 0, 0);
    /// assert!(!status.connected);
    /// ```
    pub fn new(
        kind: &'static str,
        connected: bool,
        state: Option<CircuitState>,
        members: u64,
        generation: u64,
    ) -> Self {
        Self {
            kind,
            connected,
            state,
            members,
            generation,
        }
    }
}

/// One permit's outcome, as an [`Authority`] sees it.
///
/// ```
/// use staunch::breaker::{Outcome, OutcomeKind};
/// fn is_bad(outcome: Outcome) -> bool {
///     matches!(outcome.kind, OutcomeKind::Failure | OutcomeKind::SlowSuccess)
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The breaker's local generation the permit was admitted in.
    pub generation: u32,
    /// Whether the permit was a half-open probe.
    pub probe: bool,
    /// What happened.
    pub kind: OutcomeKind,
}

impl Outcome {
    pub(crate) fn new(ticket: Ticket, kind: OutcomeKind) -> Self {
        Self {
            generation: ticket.generation(),
            probe: ticket.probe(),
            kind,
        }
    }
}

/// The kinds of [`Outcome`].
///
/// ```
/// assert_ne!(staunch::breaker::OutcomeKind::Ignored, staunch::breaker::OutcomeKind::Abandoned);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutcomeKind {
    /// A success.
    Success,
    /// A success slower than the slow-call threshold.
    SlowSuccess,
    /// A counted failure.
    Failure,
    /// An error the classifier does not count.
    Ignored,
    /// The permit was dropped without a record (a cancelled future, a panic).
    Abandoned,
}

impl From<Kind> for OutcomeKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Success => OutcomeKind::Success,
            Kind::Slow => OutcomeKind::SlowSuccess,
            Kind::Failure => OutcomeKind::Failure,
            Kind::Released => OutcomeKind::Ignored,
        }
    }
}

/// Steers one breaker from outside. Cheap to clone; holds the breaker weakly, so an
/// authority that keeps it does not keep the breaker alive.
///
/// ```
/// use std::time::Duration;
/// use std::sync::{Arc, Mutex};
/// use staunch::breaker::{Authority, AuthorityHandle};
/// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
///
/// #[derive(Debug, Default)]
/// struct Admin(Mutex<Option<AuthorityHandle>>);
/// impl Authority for Admin {
///     fn attach(&self, handle: AuthorityHandle) { *self.0.lock().unwrap() = Some(handle); }
/// }
///
/// let fake = FakeClock::new();
/// let admin = Arc::new(Admin::default());
/// let breaker = CircuitBreaker::builder("db").clock(fake.clock()).authority(admin.clone()).build()?;
/// let handle = admin.0.lock().unwrap().clone().unwrap();
/// assert!(handle.force_state(CircuitState::Open, Some(Duration::from_secs(5))));
/// assert_eq!(breaker.try_acquire().unwrap_err().retry_after(), Some(Duration::from_secs(5)));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AuthorityHandle {
    inner: Weak<Inner>,
    /// Highest remote generation applied. Relaxed: `fetch_max` orders itself.
    last_remote: Arc<AtomicU64>,
}

impl AuthorityHandle {
    pub(crate) fn new(inner: &Arc<Inner>) -> Self {
        Self {
            inner: Arc::downgrade(inner),
            last_remote: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The breaker, while it exists.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # use staunch::{breaker::{Authority, AuthorityHandle}, test_util::FakeClock, CircuitBreaker, CircuitState};
    /// # #[derive(Debug, Default)] struct Keep(Mutex<Option<AuthorityHandle>>);
    /// # impl Authority for Keep { fn attach(&self, h: AuthorityHandle) { *self.0.lock().unwrap() = Some(h); } }
    /// # let keep = Arc::new(Keep::default());
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).authority(keep.clone()).build()?;
    /// # let handle = keep.0.lock().unwrap().clone().unwrap();
    /// assert!(handle.breaker().unwrap().ptr_eq(&breaker));
    /// drop(breaker);
    /// assert!(handle.breaker().is_none());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn breaker(&self) -> Option<CircuitBreaker> {
        self.inner.upgrade().map(CircuitBreaker::from_inner)
    }

    /// The breaker's state as [`CircuitBreaker::state`] reports it, or `None` when it no
    /// longer exists.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # use staunch::{breaker::{Authority, AuthorityHandle}, test_util::FakeClock, CircuitBreaker, CircuitState};
    /// # #[derive(Debug, Default)] struct Keep(Mutex<Option<AuthorityHandle>>);
    /// # impl Authority for Keep { fn attach(&self, h: AuthorityHandle) { *self.0.lock().unwrap() = Some(h); } }
    /// # let keep = Arc::new(Keep::default());
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).authority(keep.clone()).build()?;
    /// # let handle = keep.0.lock().unwrap().clone().unwrap();
    /// assert_eq!(handle.state(), Some(CircuitState::Closed));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn state(&self) -> Option<CircuitState> {
        let inner = self.inner.upgrade()?;
        Some(inner.reported_state(inner.load(), inner.clock.now()))
    }

    /// The breaker's clock reading (the time base of `open_until` in
    /// [`apply_remote_transition`](Self::apply_remote_transition)), or `None` when the
    /// breaker no longer exists.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # use std::time::Duration;
    /// # use staunch::{breaker::{Authority, AuthorityHandle}, test_util::FakeClock, CircuitBreaker};
    /// # #[derive(Debug, Default)] struct Keep(Mutex<Option<AuthorityHandle>>);
    /// # impl Authority for Keep { fn attach(&self, h: AuthorityHandle) { *self.0.lock().unwrap() = Some(h); } }
    /// # let keep = Arc::new(Keep::default());
    /// let fake = FakeClock::new();
    /// # let breaker = CircuitBreaker::builder("db").clock(fake.clock()).authority(keep.clone()).build()?;
    /// # let handle = keep.0.lock().unwrap().clone().unwrap();
    /// fake.advance(Duration::from_secs(3));
    /// assert_eq!(handle.now(), Some(fake.now()));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn now(&self) -> Option<Duration> {
        Some(self.inner.upgrade()?.clock.now())
    }

    /// Plain successes of ordinary (non-probe) permits since the breaker was built: a
    /// running total, which [`Authority::on_outcome`] does not see one by one. Read it in
    /// the background and take the difference from the last reading. Exact while at most
    /// 16 threads record at once; beyond that, successes recorded at the same instant may
    /// be lost (never counted twice). 0 once the breaker no longer exists.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # use staunch::{breaker::{Authority, AuthorityHandle}, test_util::FakeClock, CircuitBreaker};
    /// # #[derive(Debug, Default)] struct Keep(Mutex<Option<AuthorityHandle>>);
    /// # impl Authority for Keep { fn attach(&self, h: AuthorityHandle) { *self.0.lock().unwrap() = Some(h); } }
    /// # let keep = Arc::new(Keep::default());
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).authority(keep.clone()).build()?;
    /// # let handle = keep.0.lock().unwrap().clone().unwrap();
    /// for _ in 0..3 {
    ///     breaker.call_blocking(|| Ok::<_, ()>(())).unwrap();
    /// }
    /// assert_eq!(handle.successes(), 3);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn successes(&self) -> u64 {
        self.inner
            .upgrade()
            .and_then(|inner| inner.tally.as_ref().map(|tally| tally.total()))
            .unwrap_or(0)
    }

    /// Moves the breaker to `state`. For OPEN, `open_for` sets the open period (default:
    /// the breaker's own). Returns whether anything changed.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # use staunch::{breaker::{Authority, AuthorityHandle}, test_util::FakeClock, CircuitBreaker, CircuitState};
    /// # #[derive(Debug, Default)] struct Keep(Mutex<Option<AuthorityHandle>>);
    /// # impl Authority for Keep { fn attach(&self, h: AuthorityHandle) { *self.0.lock().unwrap() = Some(h); } }
    /// # let keep = Arc::new(Keep::default());
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).authority(keep.clone()).build()?;
    /// # let handle = keep.0.lock().unwrap().clone().unwrap();
    /// assert!(handle.force_state(CircuitState::Disabled, None));
    /// assert!(!handle.force_state(CircuitState::Disabled, None), "no change");
    /// assert_eq!(breaker.state(), CircuitState::Disabled);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn force_state(&self, state: CircuitState, open_for: Option<Duration>) -> bool {
        let Some(inner) = self.inner.upgrade() else {
            return false;
        };
        let until = open_for.map(|d| inner.clock.now().saturating_add(d));
        inner.manual(Manual::To(state), until)
    }

    /// Applies a transition decided elsewhere, tagged with the deciding side's
    /// `generation` (counting from 1); transitions no newer than one already applied are
    /// ignored. For OPEN,
    /// `open_until` is the end of the open period on this breaker's clock. Returns whether
    /// the transition was applied.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # use staunch::{breaker::{Authority, AuthorityHandle}, test_util::FakeClock, CircuitBreaker, CircuitState};
    /// # #[derive(Debug, Default)] struct Keep(Mutex<Option<AuthorityHandle>>);
    /// # impl Authority for Keep { fn attach(&self, h: AuthorityHandle) { *self.0.lock().unwrap() = Some(h); } }
    /// # let keep = Arc::new(Keep::default());
    /// # let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).authority(keep.clone()).build()?;
    /// # let handle = keep.0.lock().unwrap().clone().unwrap();
    /// assert!(handle.apply_remote_transition(1, CircuitState::ForcedOpen, None));
    /// assert!(!handle.apply_remote_transition(1, CircuitState::Closed, None), "not newer");
    /// assert_eq!(breaker.state(), CircuitState::ForcedOpen);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn apply_remote_transition(
        &self,
        generation: u64,
        state: CircuitState,
        open_until: Option<Duration>,
    ) -> bool {
        let Some(inner) = self.inner.upgrade() else {
            return false;
        };
        if self.last_remote.fetch_max(generation, Ordering::Relaxed) >= generation {
            return false;
        }
        inner.manual(Manual::To(state), open_until);
        true
    }
}

/// Stripes of the success counter; a thread counts on its own while no more threads than
/// this record at once.
const STRIPES: usize = 16;

/// One stripe, on its own cache lines so that threads don't share one.
#[derive(Debug)]
#[repr(align(128))]
struct Stripe(crate::sync::AtomicU64);

/// A running count written by many threads: the plain successes behind
/// [`AuthorityHandle::successes`], a breaker's rejected calls.
///
/// A success is a relaxed load and store on the calling thread's stripe: no
/// read-modify-write, whose lock prefix would cost more than the rest of the call. Two
/// threads that share a stripe (more than [`STRIPES`] threads) may lose a count when they
/// write at the same instant, and the stripe may then read lower for a moment; readers
/// keep the highest total they saw, so nothing is counted twice.
#[derive(Debug)]
pub(crate) struct Tally {
    stripes: Box<[Stripe]>,
}

impl Tally {
    pub(crate) fn new() -> Self {
        Tally {
            stripes: (0..STRIPES)
                .map(|_| Stripe(crate::sync::AtomicU64::new(0)))
                .collect(),
        }
    }

    /// Counts one success.
    #[inline]
    pub(crate) fn add(&self) {
        let stripe = &self.stripes[stripe_index() % STRIPES].0;
        // Relaxed: a statistic; the stripe belongs to this thread (see above).
        stripe.store(
            stripe.load(crate::sync::Ordering::Relaxed).wrapping_add(1),
            crate::sync::Ordering::Relaxed,
        );
    }

    pub(crate) fn total(&self) -> u64 {
        self.stripes.iter().fold(0u64, |sum, stripe| {
            // Relaxed: a statistic.
            sum.wrapping_add(stripe.0.load(crate::sync::Ordering::Relaxed))
        })
    }
}

/// This thread's stripe, given out in turn at its first success.
#[inline]
fn stripe_index() -> usize {
    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    INDEX.with(|index| match index.get() {
        usize::MAX => {
            // Relaxed: only distinctness matters.
            let mine = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
            index.set(mine);
            mine
        }
        mine => mine,
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn successes_from_threads_with_stripes_of_their_own_are_all_counted() {
        let tally = Arc::new(Tally::new());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let tally = Arc::clone(&tally);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        tally.add();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(tally.total(), 80_000);
    }

    #[test]
    fn a_thread_keeps_its_stripe() {
        let first = stripe_index();
        assert_eq!(stripe_index(), first);
        let other = std::thread::spawn(stripe_index).join().unwrap();
        assert_ne!(other, first);
    }
}
