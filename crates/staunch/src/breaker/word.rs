//! The breaker's state word and the pure transition function over it.
//!
//! Everything the state machine decides lives in one `u64`, installed with compare-and-swap:
//!
//! | bits | field | meaning |
//! |---|---|---|
//! | 0..3 | state | [`CircuitState`] code |
//! | 3..19 | failures | consecutive counted failures (saturating) |
//! | 19..27 | probes | half-open probes in flight |
//! | 27..35 | successes | successful probes in this half-open period |
//! | 35..43 | trips | consecutive trips without a close (saturating), sizes the open period |
//! | 43..64 | generation | +1 on every change of state (wraps after 2²¹) |
//!
//! The generation the word holds is the low 21 bits of a count of changes that never
//! wraps in practice: the breaker keeps a recent reading of that count beside the word
//! and [`widen`]s the word's generation with it, and a permit carries a reading of the
//! count too, from which its [`era`] (the count's bits above the generation) is worked
//! out when needed, so a permit held across 2²¹ changes is still told apart from one of
//! the current generation (up to 2⁴² changes: a permit keeps 42 bits of its reading).
//!
//! The functions here read no clock and touch no memory: the caller gathers the inputs
//! (has the open period passed? does the window say trip?), asks for the next word, and
//! tries to install it. A failed CAS simply asks again with the fresh word.

use super::state::CircuitState;

const STATE_MASK: u64 = 0b111;
const FAIL_SHIFT: u32 = 3;
const FAIL_MAX: u64 = 0xFFFF;
const PROBE_SHIFT: u32 = 19;
const SMALL_MAX: u64 = 0xFF;
const SUCC_SHIFT: u32 = 27;
const TRIP_SHIFT: u32 = 35;
const GEN_SHIFT: u32 = 43;
/// Generations are 21 bits wide.
pub(crate) const GEN_MASK: u32 = (1 << 21) - 1;

/// The largest consecutive-failure threshold the word can count to.
pub(crate) const MAX_FAILURE_THRESHOLD: u32 = FAIL_MAX as u32;
/// The largest number of half-open probes the word can track.
pub(crate) const MAX_PROBES: u32 = SMALL_MAX as u32;

/// One packed state word. `Copy`, compared by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word(pub(crate) u64);

impl Word {
    /// A fresh closed breaker at generation 0.
    pub(crate) const INITIAL: Word = Word(0);

    pub(crate) const fn state_code(self) -> u8 {
        (self.0 & STATE_MASK) as u8
    }

    pub(crate) fn state(self) -> CircuitState {
        CircuitState::from_code(self.state_code())
    }

    pub(crate) const fn failures(self) -> u32 {
        ((self.0 >> FAIL_SHIFT) & FAIL_MAX) as u32
    }

    pub(crate) const fn probes(self) -> u32 {
        ((self.0 >> PROBE_SHIFT) & SMALL_MAX) as u32
    }

    pub(crate) const fn successes(self) -> u32 {
        ((self.0 >> SUCC_SHIFT) & SMALL_MAX) as u32
    }

    pub(crate) const fn trips(self) -> u32 {
        ((self.0 >> TRIP_SHIFT) & SMALL_MAX) as u32
    }

    pub(crate) const fn generation(self) -> u32 {
        (self.0 >> GEN_SHIFT) as u32
    }

    /// The word of a closed breaker at `generation` with nothing counted: the value the
    /// success fast path compares against.
    #[inline]
    pub(crate) const fn clean_closed(generation: u32) -> Word {
        Word(((generation & GEN_MASK) as u64) << GEN_SHIFT)
    }

    const fn pack(state: CircuitState, generation: u32, f: u32, p: u32, s: u32, t: u32) -> Word {
        let f = if f as u64 > FAIL_MAX {
            FAIL_MAX
        } else {
            f as u64
        };
        let p = if p as u64 > SMALL_MAX {
            SMALL_MAX
        } else {
            p as u64
        };
        let s = if s as u64 > SMALL_MAX {
            SMALL_MAX
        } else {
            s as u64
        };
        let t = if t as u64 > SMALL_MAX {
            SMALL_MAX
        } else {
            t as u64
        };
        Word(
            state.code() as u64
                | f << FAIL_SHIFT
                | p << PROBE_SHIFT
                | s << SUCC_SHIFT
                | t << TRIP_SHIFT
                | ((generation & GEN_MASK) as u64) << GEN_SHIFT,
        )
    }

    const fn with(self, f: u32, p: u32, s: u32) -> Word {
        Word::pack(self.raw_state(), self.generation(), f, p, s, self.trips())
    }

    const fn raw_state(self) -> CircuitState {
        CircuitState::from_code(self.state_code())
    }

    /// Moves to `to` with a new generation; counters for the new state start empty.
    const fn enter(self, to: CircuitState) -> Word {
        let g = next_generation(self.generation());
        match to {
            CircuitState::Open => Word::pack(to, g, self.failures(), 0, 0, self.trips() + 1),
            CircuitState::HalfOpen => Word::pack(to, g, self.failures(), 0, 0, self.trips()),
            CircuitState::ForcedOpen => Word::pack(to, g, self.failures(), 0, 0, self.trips()),
            _ => Word::pack(to, g, 0, 0, 0, 0),
        }
    }
}

impl Word {
    /// A HALF_OPEN word reopened because its probes timed out: one more trip.
    pub(crate) const fn reopened(self) -> Word {
        self.with(self.failures(), 0, 0).enter(CircuitState::Open)
    }
}

/// The generation after `g`, wrapping within 21 bits.
pub(crate) const fn next_generation(g: u32) -> u32 {
    g.wrapping_add(1) & GEN_MASK
}

/// The count of changes nearest to `recent` whose low 21 bits are `generation`.
///
/// Exact while `recent` (a reading of the count) is within 2²⁰ changes of the true count
/// of the word that showed `generation`: it is behind only by the transitions installed
/// and not yet counted, one per thread at most.
pub(crate) const fn widen(recent: u64, generation: u32) -> u64 {
    const HALF: u64 = 1 << 20;
    let mask = GEN_MASK as u64;
    let ahead = (generation as u64).wrapping_sub(recent) & mask;
    if ahead < HALF {
        recent.wrapping_add(ahead)
    } else {
        recent.wrapping_sub(mask + 1 - ahead)
    }
}

/// The era of a count of changes: the bits above its 21-bit generation. Two permits of
/// the same generation and era were admitted less than 2⁵³ changes apart.
pub(crate) const fn era(changes: u64) -> u32 {
    (changes >> 21) as u32
}

/// The outcome a permit reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A success within the slow-call threshold.
    Success,
    /// A success slower than the slow-call threshold.
    Slow,
    /// A counted failure.
    Failure,
    /// An error the classifier does not count, or a permit dropped without a record.
    Released,
}

/// What `try_acquire` decided for one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Let the call through as an ordinary call of `generation`; nothing to install.
    Pass { generation: u32 },
    /// Install `next`, then let the call through as a half-open probe.
    Probe { next: Word },
    /// Reject the call.
    Reject,
}

/// The admission decision for a call that sees `w`.
///
/// `open_elapsed` says whether the open period of `w` has passed (read only in OPEN).
#[inline]
pub(crate) fn admit(w: Word, open_elapsed: bool, max_probes: u32) -> Admit {
    match w.raw_state() {
        CircuitState::Closed | CircuitState::Disabled => Admit::Pass {
            generation: w.generation(),
        },
        CircuitState::Open if open_elapsed => {
            let next = w.enter(CircuitState::HalfOpen);
            Admit::Probe {
                next: next.with(next.failures(), 1, 0),
            }
        }
        CircuitState::HalfOpen if w.probes() + w.successes() < max_probes => Admit::Probe {
            next: w.with(w.failures(), w.probes() + 1, w.successes()),
        },
        _ => Admit::Reject,
    }
}

/// What the rules of the breaker say about one recorded outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Consecutive failures that open a closed circuit; `None` in failure-rate mode.
    pub(crate) consecutive: Option<u32>,
    /// Successful probes that close a half-open circuit.
    pub(crate) success_threshold: u32,
}

/// The word after a permit of (`generation`, `probe`) reports `kind`, or `None` when the
/// word does not change (a stale generation, nothing to count, a clean success).
///
/// `window_trips` is the failure-rate window's verdict after this outcome (always false
/// in consecutive mode).
#[inline]
pub(crate) fn record(
    w: Word,
    generation: u32,
    probe: bool,
    kind: Kind,
    window_trips: bool,
    rules: Rules,
) -> Option<Word> {
    if w.generation() != generation {
        return None;
    }
    match (w.raw_state(), probe) {
        (CircuitState::Closed, false) => record_closed(w, kind, window_trips, rules),
        (CircuitState::Disabled, false) => record_disabled(w, kind, rules),
        (CircuitState::HalfOpen, true) => Some(record_probe(w, kind, rules)),
        _ => None,
    }
}

#[inline]
fn record_closed(w: Word, kind: Kind, window_trips: bool, rules: Rules) -> Option<Word> {
    match (kind, rules.consecutive) {
        (Kind::Released, _) => None,
        (_, None) if window_trips => Some(w.enter(CircuitState::Open)),
        (_, None) => None,
        (Kind::Success | Kind::Slow, Some(_)) if w.failures() == 0 => None,
        (Kind::Success | Kind::Slow, Some(_)) => Some(w.with(0, 0, 0)),
        (Kind::Failure, Some(threshold)) => {
            let failed = w.with(w.failures() + 1, 0, 0);
            if failed.failures() >= threshold {
                Some(failed.enter(CircuitState::Open))
            } else {
                Some(failed)
            }
        }
    }
}

fn record_disabled(w: Word, kind: Kind, rules: Rules) -> Option<Word> {
    rules.consecutive?;
    match kind {
        Kind::Released => None,
        Kind::Success | Kind::Slow if w.failures() == 0 => None,
        Kind::Success | Kind::Slow => Some(w.with(0, 0, 0)),
        Kind::Failure => Some(w.with(w.failures() + 1, 0, 0)),
    }
}

fn record_probe(w: Word, kind: Kind, rules: Rules) -> Word {
    let in_flight = w.probes().saturating_sub(1);
    match kind {
        Kind::Released => w.with(w.failures(), in_flight, w.successes()),
        Kind::Success if w.successes() + 1 >= rules.success_threshold => {
            w.enter(CircuitState::Closed)
        }
        Kind::Success => w.with(w.failures(), in_flight, w.successes() + 1),
        Kind::Failure | Kind::Slow => {
            let failures = w.failures() + u32::from(kind == Kind::Failure);
            w.with(failures, 0, 0).enter(CircuitState::Open)
        }
    }
}

/// A manual or remote move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Manual {
    /// Back to CLOSED with everything cleared (`reset()` and `close()`).
    Reset,
    /// To `state`, as an operator or an outside authority asks.
    To(CircuitState),
}

/// The word after a manual move, or `None` when nothing changes.
pub(crate) fn manual(w: Word, action: Manual) -> Option<Word> {
    let to = match action {
        Manual::Reset => CircuitState::Closed,
        Manual::To(state) => state,
    };
    if w.raw_state() as u8 == to as u8 {
        let cleared = match to {
            CircuitState::Closed | CircuitState::Disabled => w.with(0, 0, 0),
            _ => w,
        };
        return (cleared != w).then_some(cleared);
    }
    Some(w.enter(to))
}

#[cfg(test)]
mod tests;
