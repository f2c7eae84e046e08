//! The shared core of a breaker: the state word and admission (recording is in
//! `record.rs`, the effects of a transition in `transition.rs`).
//!
//! The hot path of the default breaker (consecutive counting) is: `try_acquire` loads the
//! word and compares its state; a success loads the word again and compares it with the
//! clean closed word of its generation. No lock, no clock read, no write, no allocation.
//! Everything else (a failure, a probe, a window) computes the next word with the pure
//! functions of [`word`](super::word) and installs it with compare-and-swap; the thread
//! whose CAS changes the state runs the transition's side effects
//! ([`transition`](super::transition)) once.

use std::sync::Arc;
use std::time::Duration;

use super::authority::Authority;
use super::error::CircuitOpen;
use super::event::{Event, History, Listeners};
use super::open_period::OpenPeriod;
use super::state::CircuitState;
use super::window::{Thresholds, Window};
use super::word::{self, Admit, Rules, Word};
use crate::clock::Clock;
use crate::sync::{AtomicU64, Ordering};

/// Settings fixed at build time.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) rules: Rules,
    pub(crate) max_probes: u32,
    pub(crate) thresholds: Thresholds,
    pub(crate) slow_threshold: Option<Duration>,
    /// `slow_threshold.is_some()`, as one byte for the admission path.
    pub(crate) slow_detection: bool,
    /// How long HALF_OPEN may wait for its probes before reopening.
    pub(crate) half_open_timeout: Duration,
    pub(crate) open: OpenPeriod,
    /// True when a success needs more than the word compare: a window, slow-call
    /// detection or metrics.
    pub(crate) observed: bool,
    /// `observed`, or an authority (which counts every success): a success does more
    /// than the word compare, out of line.
    pub(crate) counted: bool,
}

/// What a permit carries: the generation it was admitted in (and a reading of the count
/// of changes, which tells its era), whether it is a half-open probe, and when it started
/// (only with slow-call detection).
///
/// Two plain `u64`s: a pair of scalars, which the compiler passes and returns in two
/// registers. (Three fields, or fields of different widths packed into one `u64`'s
/// bytes, go through the stack, where writing them in parts and reading them whole
/// stalls the store buffer on every call.)
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    /// The generation in the low 21 bits, [`PROBE`] set for half-open probes, and above
    /// them the low 42 bits of the count of changes read at admission. The era is
    /// worked out from that reading only when it is needed (a failure, a probe, a
    /// window), not on every admission: it tells a permit from one admitted 2²¹ changes
    /// earlier or later, whose generation the word shows the same, up to 2⁴² changes
    /// apart.
    id: u64,
    /// Start time in ns on the breaker's clock; 0 without slow-call detection.
    pub(crate) start: u64,
}

const PROBE: u64 = 1 << 21;
const RECENT_SHIFT: u32 = 22;
/// The bits of the count of changes a ticket keeps.
const RECENT_BITS: u32 = 64 - RECENT_SHIFT;

/// The era of `generation` seen through a `recent` count of changes, modulo 2^21: the
/// bits of the widened count that a ticket's 42-bit reading keeps above the generation.
#[inline]
fn era_of(recent: u64, generation: u32) -> u32 {
    let widened = word::widen(recent, generation) & ((1 << RECENT_BITS) - 1);
    word::era(widened)
}

impl Ticket {
    /// A ticket of `generation`, admitted when the count of changes read `recent`.
    #[inline]
    fn new(generation: u32, recent: u64, probe: bool, start: u64) -> Self {
        Ticket {
            id: recent << RECENT_SHIFT | u64::from(generation) | if probe { PROBE } else { 0 },
            start,
        }
    }

    #[inline]
    pub(crate) fn generation(self) -> u32 {
        (self.id & u64::from(word::GEN_MASK)) as u32
    }

    #[inline]
    pub(crate) fn probe(self) -> bool {
        self.id & PROBE != 0
    }

    /// The era of the ticket's generation, modulo 2²¹.
    #[inline]
    fn era(self) -> u32 {
        era_of(self.id >> RECENT_SHIFT, self.generation())
    }
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[derive(Debug)]
pub(crate) struct Inner {
    /// The packed state word ([`Word`]).
    pub(crate) word: AtomicU64,
    /// The count of changes of state, of which the word's generation is the low 21 bits,
    /// as far as the threads that made them have counted them (`transitioned` does, right
    /// after its CAS). Relaxed: [`word::widen`] needs only a reading within 2²⁰ changes.
    pub(crate) changes: AtomicU64,
    /// The end of the current open period (in OPEN) or half-open timeout (in HALF_OPEN),
    /// in two words tagged with the generation they belong to: `generation << 43 |` the
    /// end in ns `>> 20` here, its low 20 bits in `deadline_low`. Published by the thread
    /// whose CAS entered that generation, with [`publish_deadline`](Inner::publish_deadline),
    /// which never overwrites the deadline of a later generation; until it is published,
    /// readers see another generation and keep the circuit shut.
    pub(crate) deadline: AtomicU64,
    /// The low bits of the deadline in ns (see `deadline`).
    pub(crate) deadline_low: AtomicU64,
    /// Rejected calls, counted per thread: a rejection writes its own thread's stripe
    /// with a plain load and store, no locked read-modify-write.
    pub(crate) rejected: super::authority::Tally,
    /// Clock time of the last transition, in ns. Relaxed: a statistic.
    pub(crate) since: AtomicU64,
    /// Latest end of a honoured delay hint, in ms. Relaxed: `fetch_max` is its own order.
    pub(crate) hint_until: AtomicU64,
    pub(crate) name: &'static str,
    /// The name as rejections carry it.
    pub(crate) open_name: super::error::BreakerName,
    pub(crate) clock: Clock,
    pub(crate) config: Config,
    pub(crate) window: Option<Window>,
    pub(crate) listeners: Listeners,
    pub(crate) history: History,
    pub(crate) authority: Option<Arc<dyn Authority>>,
    /// Plain successes, with an authority (see [`AuthorityHandle::successes`](super::AuthorityHandle::successes)).
    pub(crate) tally: Option<super::authority::Tally>,
    #[cfg(feature = "tokio")]
    pub(crate) watch: tokio::sync::watch::Sender<CircuitState>,
    /// Orders the watch's updates (see `transitioned`); through the shim, so loom sees it.
    #[cfg(feature = "tokio")]
    pub(crate) watch_lock: crate::sync::Mutex<()>,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: super::metrics::Metrics,
}

/// Where a deadline word keeps its generation.
const DEADLINE_SHIFT: u32 = 43;
const DEADLINE_MASK: u64 = (1 << DEADLINE_SHIFT) - 1;
/// Bits of the deadline in ns kept by `deadline_low`; `deadline` keeps the rest, so a
/// deadline is exact to the nanosecond up to about 292 years of clock time.
const LOW_BITS: u32 = 20;
const LOW_MASK: u64 = (1 << LOW_BITS) - 1;

/// The two deadline words of `until` for `generation`: (high, low).
fn pack_deadline(generation: u32, until: Duration) -> (u64, u64) {
    let ns = nanos(until);
    let tag = u64::from(generation) << DEADLINE_SHIFT;
    (
        tag | (ns >> LOW_BITS).min(DEADLINE_MASK),
        tag | (ns & LOW_MASK),
    )
}

fn generation_of(deadline: u64) -> u32 {
    (deadline >> DEADLINE_SHIFT) as u32
}

impl Inner {
    /// Loads the word. Acquire: pairs with the AcqRel CAS of every transition, so a
    /// thread that sees a state also sees what the transition published before it.
    #[inline]
    pub(crate) fn load(&self) -> Word {
        Word(self.word.load(Ordering::Acquire))
    }

    /// Installs `next` if the word is still `current`; returns the word seen on failure.
    /// AcqRel: acquire the previous transition's effects, release ours.
    #[inline]
    pub(crate) fn install(&self, current: Word, next: Word) -> Result<(), Word> {
        self.word
            .compare_exchange(current.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(Word)
    }

    /// The era of the word's `generation`, read now, modulo 2²¹ (as a ticket keeps it).
    #[inline]
    pub(crate) fn era(&self, generation: u32) -> u32 {
        era_of(self.changes.load(Ordering::Relaxed), generation)
    }

    /// Whether `w` is the word of the generation `ticket` was admitted in: the same
    /// generation, and not one 2²¹ changes later.
    #[inline]
    pub(crate) fn is_current(&self, ticket: Ticket, w: Word) -> bool {
        w.generation() == ticket.generation() && self.era(w.generation()) == ticket.era()
    }

    #[inline]
    fn ticket(&self, generation: u32, probe: bool) -> Ticket {
        // Relaxed: see `changes`. The era is worked out from this reading when needed.
        let recent = self.changes.load(Ordering::Relaxed);
        Ticket::new(generation, recent, probe, self.start())
    }

    #[inline]
    fn start(&self) -> u64 {
        if self.config.slow_detection {
            nanos(self.clock.now())
        } else {
            0
        }
    }

    /// Admits a call or rejects it.
    ///
    /// Always inlined: its `Result` is too big for registers, and out of line it goes
    /// through memory on every call (`runtime_success/staunch_breaker`).
    #[inline(always)]
    pub(crate) fn acquire(&self) -> Result<Ticket, CircuitOpen> {
        let w = self.load();
        if w.state().is_passing() {
            return Ok(self.ticket(w.generation(), false));
        }
        self.acquire_slow(w)
    }

    #[cold]
    fn acquire_slow(&self, mut w: Word) -> Result<Ticket, CircuitOpen> {
        let now = self.clock.now();
        // Whether the authority has granted this call a probe (asked at most once).
        let mut granted = self.authority.is_none();
        loop {
            let (elapsed, retry_after) = self.open_status(w, now);
            match word::admit(w, elapsed, self.config.max_probes) {
                Admit::Pass { generation } => return Ok(self.ticket(generation, false)),
                Admit::Probe { .. } if !granted => {
                    granted = match &self.authority {
                        Some(authority) => authority.admit_probe(),
                        None => true,
                    };
                    if !granted {
                        return Err(self.reject(retry_after));
                    }
                }
                Admit::Probe { next } => match self.install(w, next) {
                    Ok(()) => {
                        if next.generation() != w.generation() {
                            self.transitioned(w, next, now, None);
                        }
                        return Ok(self.ticket(next.generation(), true));
                    }
                    Err(seen) => w = seen,
                },
                Admit::Reject if self.half_open_expired(w, now) => {
                    // The probes have hung past the half-open timeout: reopen, which
                    // fences them off by generation, and reject this call.
                    let next = w.reopened();
                    match self.install(w, next) {
                        Ok(()) => {
                            self.transitioned(w, next, now, None);
                            w = next;
                        }
                        Err(seen) => w = seen,
                    }
                }
                Admit::Reject => return Err(self.reject(retry_after)),
            }
        }
    }

    /// Whether `w` is HALF_OPEN past its half-open timeout.
    fn half_open_expired(&self, w: Word, now: Duration) -> bool {
        w.state() == CircuitState::HalfOpen
            && self
                .deadline(w.generation())
                .is_some_and(|until| now >= until)
    }

    /// For an OPEN word: whether its period has passed, and how long remains.
    /// Other states: not elapsed, no known time.
    pub(crate) fn open_status(&self, w: Word, now: Duration) -> (bool, Option<Duration>) {
        if w.state() != CircuitState::Open {
            return (false, None);
        }
        match self.deadline(w.generation()) {
            Some(until) => (now >= until, Some(until.saturating_sub(now))),
            // Opened a moment ago; the period is being published.
            None => (false, Some(self.config.open.base)),
        }
    }

    /// The state as reported: an OPEN word whose period has passed reads HALF_OPEN, as the
    /// next call will make it (the move itself stays lazy: reading changes nothing).
    pub(crate) fn reported_state(&self, w: Word, now: Duration) -> CircuitState {
        match w.state() {
            CircuitState::Open if self.open_status(w, now).0 => CircuitState::HalfOpen,
            state => state,
        }
    }

    /// While the reported state is OPEN, the rest of the open period.
    pub(crate) fn retry_in(&self, w: Word, now: Duration) -> Option<Duration> {
        match self.open_status(w, now) {
            (false, remaining) => remaining,
            (true, _) => None,
        }
    }

    /// The deadline published for `generation`, if it has been.
    fn deadline(&self, generation: u32) -> Option<Duration> {
        // Acquire: pairs with the AcqRel publication in `publish`, so the low word read
        // next is the one published with this high word, or a later generation's.
        let high = self.deadline.load(Ordering::Acquire);
        if generation_of(high) != generation {
            return None;
        }
        // Acquire: as above.
        let low = self.deadline_low.load(Ordering::Acquire);
        let low = if generation_of(low) == generation {
            low & LOW_MASK
        } else {
            // A later generation's low word: round up, never admit early.
            LOW_MASK
        };
        Some(Duration::from_nanos(
            (high & DEADLINE_MASK) << LOW_BITS | low,
        ))
    }

    /// Publishes the deadline of `generation` (its open period's end, or its half-open
    /// timeout) unless a later transition has been installed meanwhile.
    pub(crate) fn publish_deadline(&self, generation: u32, until: Duration) {
        let (high, low) = pack_deadline(generation, until);
        // The low word first: a reader that sees the high word of a generation sees its
        // low word too (or a later one, which it does not trust).
        self.publish(&self.deadline_low, low, generation);
        self.publish(&self.deadline, high, generation);
    }

    /// Installs `value` in `cell` while the state word is still at `generation`.
    ///
    /// A plain store here could land after a later transition published its own deadline
    /// (this thread preempted between its CAS and its store) and pin the circuit open.
    /// The compare-and-swap cannot: it succeeds only on the value read before the last
    /// check of the word. If a later generation's publisher wrote the cell after that
    /// read, the CAS fails, and the value it then reads (acquire) carries that publisher's
    /// transition, so the next check sees the word has moved on and gives up. Every
    /// publisher reads and writes with acquire/release, so a later publisher's write read
    /// through an intermediate one synchronises too (a release sequence of RMWs).
    fn publish(&self, cell: &AtomicU64, value: u64, generation: u32) {
        // Acquire: see above.
        let mut seen = cell.load(Ordering::Acquire);
        while self.load().generation() == generation {
            // AcqRel: release our value to readers; acquire the value we fail on.
            match cell.compare_exchange_weak(seen, value, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(actual) => seen = actual,
            }
        }
    }

    #[cold]
    fn reject(&self, retry_after: Option<Duration>) -> CircuitOpen {
        self.rejected.add();
        #[cfg(feature = "metrics")]
        self.metrics.not_permitted.increment(1);
        if let Some(authority) = &self.authority {
            authority.on_rejected(retry_after);
        }
        if !self.listeners.is_empty() {
            let event = Event::Rejected {
                name: self.name.to_string(),
                retry_in: retry_after,
            };
            self.listeners.emit(self.name, &event);
        }
        CircuitOpen::named(self.open_name, retry_after)
    }

    /// Applies a manual or remote move; `open_until` overrides the computed open period.
    pub(crate) fn manual(&self, action: word::Manual, open_until: Option<Duration>) -> bool {
        let to = match action {
            word::Manual::Reset => CircuitState::Closed,
            word::Manual::To(state) => state,
        };
        // After the install (and before anyone hears of it): an outcome of the old period
        // that checked the word before the install read the window's epoch before this
        // reset, so the window drops it.
        let reset_window = || {
            if let (true, Some(window)) = (to.is_passing(), &self.window) {
                window.reset();
            }
        };
        let now = self.clock.now();
        let mut w = self.load();
        loop {
            let Some(next) = word::manual(w, action) else {
                reset_window();
                return false;
            };
            match self.install(w, next) {
                Ok(()) => {
                    reset_window();
                    if next.generation() != w.generation() {
                        self.transitioned(w, next, now, open_until);
                    }
                    return true;
                }
                Err(seen) => w = seen,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_keeps_its_generation_probe_bit_and_era_apart() {
        const WRAP: u64 = 1 << 21;
        for (generation, recent, probe) in [
            (0, 0, false),
            (word::GEN_MASK, u64::MAX, true),
            (word::GEN_MASK, 0, false),
            (0, u64::MAX, true),
            (12_345, 3 * WRAP + 12_345, false),
            (7, (1 << 42) - 2, true),
        ] {
            let ticket = Ticket::new(generation, recent, probe, 7);
            assert_eq!(ticket.generation(), generation);
            assert_eq!(ticket.era(), era_of(recent, generation));
            assert_eq!(ticket.probe(), probe);
            assert_eq!(ticket.start, 7);
        }
    }

    #[test]
    fn a_ticket_tells_its_era_from_the_next_up_to_two_to_the_42_changes() {
        let ticket = Ticket::new(5, 5, false, 0);
        // The same reading, a little behind or ahead: the same era.
        assert_eq!(ticket.era(), era_of(3, 5));
        assert_eq!(ticket.era(), era_of(9, 5));
        // 2^21 changes later the generation shows again, in the next era.
        assert_ne!(ticket.era(), era_of(5 + (1 << 21), 5));
        assert_eq!(era_of(5 + (1 << 21), 5), ticket.era() + 1);
        // A ticket read at the top of its 42 bits widens across the carry.
        let top = Ticket::new(3, (1 << 42) - 1, false, 0);
        assert_eq!(top.era(), era_of((1 << 42) + 3, 3));
        // Only after 2^42 changes do eras repeat.
        assert_eq!(ticket.era(), era_of(5 + (1 << 42), 5));
    }

    #[test]
    fn a_ticket_is_two_words() {
        assert_eq!(std::mem::size_of::<Ticket>(), 16);
    }
}
