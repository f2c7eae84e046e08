//! One shared breaker's side of the fleet: the [`Authority`] that the breaker calls, and
//! the view that the background tasks keep.
//!
//! Everything a call touches here is an atomic or, for half-open probes only, a short
//! lock. No call ever waits on Redis: the background tasks do all I/O.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use staunch::breaker::{Authority, AuthorityHandle, AuthorityStatus, Outcome, OutcomeKind};
use staunch::{CircuitState, Transition};

use crate::fleet::Core;
use crate::script::{Keys, Reply, Shared, Version};

thread_local! {
    /// Set while a link applies a shared transition to its breaker, so that the
    /// breaker's transition callback can tell it from a local one.
    static APPLYING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the breaker transition being reported on this thread was applied from the
/// fleet's shared state (a trip, a probe's close or a force decided at another replica),
/// rather than decided by the breaker on its own outcomes or by a call here.
///
/// A breaker tells its listeners of a transition on the thread that made it, before that
/// thread moves on, so a listener can ask this to tell "opened by the fleet" from
/// "tripped here". Anywhere but inside a listener it is `false`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use staunch::{CircuitBreaker, Event};
/// use staunch_redis::{Fleet, SharedExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fleet = Fleet::connect("redis://127.0.0.1:1")?;
/// let llm = CircuitBreaker::builder("llm").failure_threshold(1).shared(&fleet).build()?;
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// llm.add_listener(move |event| {
///     if let Event::Transition(t) = event {
///         let by = if staunch_redis::from_fleet() { "by the fleet" } else { "on its own calls" };
///         log.lock().unwrap().push(format!("{} -> {} {by}", t.from, t.to));
///     }
/// });
/// let _ = llm.call(|| async { Err::<(), _>("down") }).await;
/// assert_eq!(*seen.lock().unwrap(), ["closed -> open on its own calls"]);
/// assert!(!staunch_redis::from_fleet());
/// # Ok(()) }
/// ```
pub fn from_fleet() -> bool {
    APPLYING.with(Cell::get)
}

/// No shared state known yet.
const UNKNOWN: u8 = u8::MAX;

/// A half-open probe lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lease {
    pub(crate) id: String,
    pub(crate) gen: u64,
    pub(crate) granted: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct Leases {
    /// Granted, waiting for a call.
    pub(crate) parked: Vec<Lease>,
    /// Taken by a probe call that hasn't reported yet.
    pub(crate) in_flight: VecDeque<Lease>,
    /// Finished probes to report: the lease and 1 ok / 0 failed / -1 abandoned.
    pub(crate) done: Vec<(Lease, i8)>,
}

/// What the background tasks know of the shared state.
#[derive(Debug, Default)]
pub(crate) struct View {
    pub(crate) version: Version,
    pub(crate) state: Option<Shared>,
    /// When the shared OPEN period ends, on the local monotonic clock.
    pub(crate) open_until: Option<Instant>,
    /// Remote transitions applied to the breaker (the handle's generation fence).
    pub(crate) applied: u64,
    pub(crate) last_sync: Option<Instant>,
}

/// One breaker attached to a fleet.
#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) core: Arc<Core>,
    pub(crate) handle: OnceLock<AuthorityHandle>,
    pub(crate) name: OnceLock<String>,
    pub(crate) keys: OnceLock<Keys>,
    /// The breaker's success total (`AuthorityHandle::successes`) at the last flush.
    pub(crate) flushed_ok: AtomicU64,
    pub(crate) pending_failed: AtomicU64,
    /// The local breaker opened on its own outcomes (a quorum vote, a local veto).
    pub(crate) local_trip: AtomicBool,
    /// A vote to send with the next record.
    pub(crate) vote: AtomicBool,
    /// A probe was held back for want of a lease.
    pub(crate) demand: AtomicBool,
    /// [`Shared`] code, or [`UNKNOWN`].
    pub(crate) shared_state: AtomicU8,
    pub(crate) shared_gen: AtomicU64,
    pub(crate) replicas: AtomicU64,
    pub(crate) leases: Mutex<Leases>,
    pub(crate) view: Mutex<View>,
    pub(crate) lease_seq: AtomicU64,
}

impl Link {
    pub(crate) fn new(core: Arc<Core>) -> Link {
        Link {
            core,
            handle: OnceLock::new(),
            name: OnceLock::new(),
            keys: OnceLock::new(),
            flushed_ok: AtomicU64::new(0),
            pending_failed: AtomicU64::new(0),
            local_trip: AtomicBool::new(false),
            vote: AtomicBool::new(false),
            demand: AtomicBool::new(false),
            shared_state: AtomicU8::new(UNKNOWN),
            shared_gen: AtomicU64::new(0),
            replicas: AtomicU64::new(0),
            leases: Mutex::new(Leases::default()),
            view: Mutex::new(View::default()),
            lease_seq: AtomicU64::new(0),
        }
    }

    pub(crate) fn shared(&self) -> Option<Shared> {
        Shared::from_code(i64::from(self.shared_state.load(Ordering::Acquire)))
    }

    pub(crate) fn leases(&self) -> std::sync::MutexGuard<'_, Leases> {
        self.leases.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn view(&self) -> std::sync::MutexGuard<'_, View> {
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the outcome deltas gathered since the last flush: the successes the breaker
    /// counted meanwhile (it counts them itself, so a success costs the call no more than
    /// a store) and the failures reported here.
    pub(crate) fn take_pending(&self) -> (u64, u64) {
        let total = self.handle.get().map_or(0, AuthorityHandle::successes);
        // Relaxed `fetch_max`: each success is taken by one caller only, and a total that
        // reads lower for a moment (see `successes`) takes nothing.
        let flushed = self.flushed_ok.fetch_max(total, Ordering::Relaxed);
        (
            total.saturating_sub(flushed),
            self.pending_failed.swap(0, Ordering::Relaxed),
        )
    }

    /// A new lease id: `<instance>:<gen>:<seq>`.
    pub(crate) fn next_lease_id(&self, gen: u64) -> String {
        let seq = self.lease_seq.fetch_add(1, Ordering::Relaxed);
        format!("{}:{gen}:{seq}", self.core.instance)
    }

    /// Applies a script reply (authoritative: it is the state now).
    pub(crate) fn apply_reply(&self, reply: &Reply) {
        self.replicas.store(reply.replicas, Ordering::Relaxed);
        let version = Version {
            epoch: reply.epoch,
            gen: reply.gen,
        };
        let mut view = self.view();
        view.last_sync = Some(Instant::now());
        let news = if view.version.epoch == version.epoch {
            view.version.is_older_than(version)
        } else {
            true
        };
        if news || view.state.is_none() {
            self.adopt(&mut view, version, reply.state, reply.until, reply.now);
        }
    }

    /// Applies a published transition if it is newer than what this replica knows.
    pub(crate) fn apply_message(&self, version: Version, state: Shared, until: u64, now: u64) {
        let mut view = self.view();
        if view.version.is_older_than(version) {
            self.adopt(&mut view, version, state, until, now);
        }
    }

    fn adopt(&self, view: &mut View, version: Version, state: Shared, until: u64, now: u64) {
        let first = view.state.is_none();
        let gen_changed = view.version != version;
        view.version = version;
        view.state = Some(state);
        let left = Duration::from_millis(until.saturating_sub(now)).min(self.core.config.open_max);
        view.open_until = (state == Shared::Open).then(|| Instant::now() + left);
        self.shared_gen.store(version.gen, Ordering::Relaxed);
        if !matches!(state, Shared::Closed) {
            // The fleet's decision now outranks the breaker's own trip.
            self.local_trip.store(false, Ordering::Relaxed);
        }
        self.shared_state.store(state as u8, Ordering::Release);
        if gen_changed {
            // The deltas and parked leases belong to the previous generation.
            if !first {
                self.take_pending();
            }
            let mut leases = self.leases();
            let parked = std::mem::take(&mut leases.parked);
            leases.done.extend(parked.into_iter().map(|l| (l, -1)));
        }
        let Some(handle) = self.handle.get() else {
            return;
        };
        let local = handle.state();
        let (target, open_until) = match state {
            Shared::Closed => {
                // A breaker that opened on its own outcomes keeps protecting its replica
                // (the local veto); a fresh start keeps its local counts.
                if first || self.local_trip.load(Ordering::Relaxed) {
                    return;
                }
                (CircuitState::Closed, None)
            }
            Shared::Open => (CircuitState::Open, handle.now().map(|now| now + left)),
            // Probes need a lease: an OPEN breaker past its period asks for one.
            Shared::HalfOpen => (CircuitState::Open, handle.now()),
            Shared::ForcedOpen => (CircuitState::ForcedOpen, None),
            Shared::ForcedClosed => (CircuitState::Disabled, None),
        };
        if local == Some(target) && target != CircuitState::Open {
            return;
        }
        view.applied += 1;
        APPLYING.with(|a| a.set(true));
        handle.apply_remote_transition(view.applied, target, open_until);
        APPLYING.with(|a| a.set(false));
    }

    /// Whether the fleet decides probes now (reachable and not CLOSED).
    fn fleet_gates_probes(&self) -> bool {
        self.core.connected()
            && matches!(
                self.shared(),
                Some(Shared::Open | Shared::HalfOpen | Shared::ForcedOpen)
            )
    }
}

impl Authority for Link {
    fn attach(&self, handle: AuthorityHandle) {
        let Some(breaker) = handle.breaker() else {
            return;
        };
        if self.handle.set(handle).is_err() {
            tracing::warn!(
                breaker = breaker.name(),
                "a shared authority was built into a second breaker; the second runs local-only"
            );
        }
    }

    #[inline]
    fn on_outcome(&self, outcome: Outcome) {
        if outcome.probe {
            self.probe_done(outcome.kind);
            return;
        }
        // Plain successes never come here: the breaker counts them (`take_pending`).
        match outcome.kind {
            OutcomeKind::Failure | OutcomeKind::SlowSuccess => {
                let failed = self.pending_failed.fetch_add(1, Ordering::Relaxed) + 1;
                if failed == self.core.config.flush_failures {
                    self.core.wake.notify_one();
                }
            }
            _ => {}
        }
    }

    fn on_transition(&self, transition: &Transition) {
        if APPLYING.with(Cell::get) {
            return;
        }
        match (transition.from, transition.to) {
            (CircuitState::Closed, CircuitState::Open) => {
                self.local_trip.store(true, Ordering::Relaxed);
                self.vote.store(true, Ordering::Relaxed);
                self.core.wake.notify_one();
            }
            (_, CircuitState::Closed | CircuitState::Disabled) => {
                self.local_trip.store(false, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    fn status(&self) -> Option<AuthorityStatus> {
        self.keys.get()?;
        Some(AuthorityStatus::new(
            "redis",
            self.core.connected(),
            self.shared().map(Shared::circuit_state),
            self.replicas.load(Ordering::Relaxed),
            self.shared_gen.load(Ordering::Relaxed),
        ))
    }

    fn admit_probe(&self) -> bool {
        if !self.fleet_gates_probes() || self.local_trip.load(Ordering::Relaxed) {
            return true;
        }
        let mut leases = self.leases();
        if let Some(lease) = leases.parked.pop() {
            leases.in_flight.push_back(lease);
            return true;
        }
        drop(leases);
        if !self.demand.swap(true, Ordering::AcqRel) {
            self.core.wake.notify_one();
        }
        false
    }
}

impl Link {
    #[cold]
    fn probe_done(&self, kind: OutcomeKind) {
        let outcome = match kind {
            OutcomeKind::Success => 1,
            OutcomeKind::Failure | OutcomeKind::SlowSuccess => 0,
            _ => -1,
        };
        let mut leases = self.leases();
        if let Some(lease) = leases.in_flight.pop_front() {
            leases.done.push((lease, outcome));
            drop(leases);
            self.core.wake.notify_one();
        }
    }
}
