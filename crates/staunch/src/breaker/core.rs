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
    pub(crate) half_open_timeout: Option<Duration>,
    pub(crate) open: OpenPeriod,
    /// True when a success needs more than the word compare: a window, slow-call
    /// detection, an authority or metrics.
    pub(crate) observed: bool,
}

/// What a permit carries: the generation it was admitted in, whether it is a half-open
/// probe, and when it started (only with slow-call detection). Kept to 16 plain bytes so
/// that building and passing a permit is a couple of register moves.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    /// Generation, with [`PROBE`] set for half-open probes.
    tag: u32,
    /// Start time in ns on the breaker's clock; 0 without slow-call detection.
    pub(crate) start: u64,
}

const PROBE: u32 = 1 << 31;

impl Ticket {
    #[inline]
    fn new(generation: u32, probe: bool, start: u64) -> Self {
        Ticket {
            tag: generation | if probe { PROBE } else { 0 },
            start,
        }
    }

    #[inline]
    pub(crate) fn generation(self) -> u32 {
        self.tag & !PROBE
    }

    #[inline]
    pub(crate) fn probe(self) -> bool {
        self.tag & PROBE != 0
    }
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[derive(Debug)]
pub(crate) struct Inner {
    /// The packed state word ([`Word`]).
    pub(crate) word: AtomicU64,
    /// The current open period's end: `generation << 43 | end in ms (rounded up)`.
    /// Published by the opening thread right after its CAS; until then readers see an
    /// older generation and keep the circuit shut. In HALF_OPEN with a half-open timeout,
    /// the end of that timeout.
    pub(crate) deadline: AtomicU64,
    /// Rejected calls. Relaxed: a statistic.
    pub(crate) rejected: AtomicU64,
    /// Clock time of the last transition, in ns. Relaxed: a statistic.
    pub(crate) since: AtomicU64,
    /// Latest end of a honoured delay hint, in ms. Relaxed: `fetch_max` is its own order.
    pub(crate) hint_until: AtomicU64,
    pub(crate) name: Arc<str>,
    /// The name as rejections carry it.
    pub(crate) open_name: super::error::BreakerName,
    pub(crate) clock: Clock,
    pub(crate) config: Config,
    pub(crate) window: Option<Window>,
    pub(crate) listeners: Listeners,
    pub(crate) history: History,
    pub(crate) authority: Option<Arc<dyn Authority>>,
    #[cfg(feature = "tokio")]
    pub(crate) watch: tokio::sync::watch::Sender<CircuitState>,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: super::metrics::Metrics,
}

const DEADLINE_SHIFT: u32 = 43;
const DEADLINE_MS_MASK: u64 = (1 << DEADLINE_SHIFT) - 1;

pub(crate) fn pack_deadline(generation: u32, until: Duration) -> u64 {
    let nanos = until.as_nanos();
    let ms = u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX);
    u64::from(generation) << DEADLINE_SHIFT | ms.min(DEADLINE_MS_MASK)
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

    #[inline]
    fn start(&self) -> u64 {
        if self.config.slow_detection {
            nanos(self.clock.now())
        } else {
            0
        }
    }

    /// Admits a call or rejects it.
    #[inline]
    pub(crate) fn acquire(&self) -> Result<Ticket, CircuitOpen> {
        let w = self.load();
        if w.state().is_passing() {
            return Ok(Ticket::new(w.generation(), false, self.start()));
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
                Admit::Pass { generation } => {
                    return Ok(Ticket::new(generation, false, self.start()))
                }
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
                        return Ok(Ticket::new(next.generation(), true, self.start()));
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

    /// Whether `w` is HALF_OPEN past its half-open timeout (never without one).
    fn half_open_expired(&self, w: Word, now: Duration) -> bool {
        if w.state() != CircuitState::HalfOpen || self.config.half_open_timeout.is_none() {
            return false;
        }
        // Acquire: pairs with the release store made on entering HALF_OPEN.
        let d = self.deadline.load(Ordering::Acquire);
        (d >> DEADLINE_SHIFT) as u32 == w.generation()
            && now >= Duration::from_millis(d & DEADLINE_MS_MASK)
    }

    /// For an OPEN word: whether its period has passed, and how long remains.
    /// Other states: not elapsed, no known time.
    pub(crate) fn open_status(&self, w: Word, now: Duration) -> (bool, Option<Duration>) {
        if w.state() != CircuitState::Open {
            return (false, None);
        }
        // Acquire: pairs with the opening thread's release store of the deadline.
        let d = self.deadline.load(Ordering::Acquire);
        if (d >> DEADLINE_SHIFT) as u32 != w.generation() {
            // Opened a moment ago; the period is being published.
            return (false, Some(self.config.open.base));
        }
        let until = Duration::from_millis(d & DEADLINE_MS_MASK);
        (now >= until, Some(until.saturating_sub(now)))
    }

    #[cold]
    fn reject(&self, retry_after: Option<Duration>) -> CircuitOpen {
        self.rejected.fetch_add(1, Ordering::Relaxed);
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
            self.listeners.emit(&self.name, &event);
        }
        CircuitOpen::named(self.open_name.clone(), retry_after)
    }

    /// Applies a manual or remote move; `open_until` overrides the computed open period.
    pub(crate) fn manual(&self, action: word::Manual, open_until: Option<Duration>) -> bool {
        let to = match action {
            word::Manual::Reset => CircuitState::Closed,
            word::Manual::To(state) => state,
        };
        if to.is_passing() {
            if let Some(window) = &self.window {
                window.reset();
            }
        }
        let now = self.clock.now();
        let mut w = self.load();
        loop {
            let Some(next) = word::manual(w, action) else {
                return false;
            };
            match self.install(w, next) {
                Ok(()) => {
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
