//! Events a breaker publishes: transitions and rejections, the listeners that receive them
//! and the bounded ring of recent transitions.
//!
//! Listeners run on the thread that caused the event, after the state word is installed
//! and outside every lock; a panicking listener is caught, logged and kept. A breaker with
//! no listener pays one relaxed load of a flag on the rejection path and nothing else.
//!
//! These are cold paths, so they use `std::sync` directly rather than the loom shim: no
//! lock here is held across an atomic operation of the state machine.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::state::CircuitState;

/// One change of state.
///
/// ```
/// use std::time::Duration;
/// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
///
/// let fake = FakeClock::new();
/// let breaker = CircuitBreaker::builder("llm").clock(fake.clock()).build()?;
/// fake.advance(Duration::from_secs(3));
/// breaker.force_open();
/// let t = &breaker.recent_transitions()[0];
/// assert_eq!((t.name.as_str(), t.from, t.to), ("llm", CircuitState::Closed, CircuitState::ForcedOpen));
/// assert_eq!(t.at, Duration::from_secs(3));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transition {
    /// The breaker's name.
    pub name: String,
    /// The state left.
    pub from: CircuitState,
    /// The state entered.
    pub to: CircuitState,
    /// When, on the breaker's clock.
    pub at: Duration,
}

/// Something a breaker tells its listeners.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use staunch::{test_util::FakeClock, CircuitBreaker, Event};
///
/// let breaker = CircuitBreaker::builder("llm").clock(FakeClock::new().clock()).build()?;
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// breaker.add_listener(move |event| {
///     let line = match event {
///         Event::Transition(t) => format!("{} -> {}", t.from, t.to),
///         Event::Rejected { name, .. } => format!("{name} rejected"),
///         _ => String::new(),
///     };
///     log.lock().unwrap().push(line);
/// });
/// breaker.force_open();
/// let _ = breaker.try_acquire();
/// assert_eq!(*seen.lock().unwrap(), ["closed -> forced_open", "llm rejected"]);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The breaker changed state.
    Transition(Transition),
    /// The breaker rejected a call.
    Rejected {
        /// The breaker's name.
        name: String,
        /// How long until the next probe, when known.
        retry_in: Option<Duration>,
    },
}

/// Identifies a listener, to remove it later.
///
/// ```
/// # use staunch::{test_util::FakeClock, CircuitBreaker};
/// let breaker = CircuitBreaker::builder("x").clock(FakeClock::new().clock()).build()?;
/// let id = breaker.add_listener(|_| {});
/// assert!(breaker.remove_listener(id));
/// assert!(!breaker.remove_listener(id));
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(u64);

impl ListenerId {
    /// A process-wide unique id.
    pub(crate) fn next() -> Self {
        // Relaxed: uniqueness needs only the atomicity of the increment.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ListenerId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A stored listener.
pub(crate) type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

/// The listeners of one breaker, copied on write so that calling them holds no lock.
pub(crate) struct Listeners {
    /// Relaxed: a hint read before taking the lock; a listener added concurrently with an
    /// event may or may not see that event either way.
    any: AtomicBool,
    list: RwLock<Arc<Vec<(ListenerId, Listener)>>>,
}

impl Listeners {
    pub(crate) fn new() -> Self {
        Self {
            any: AtomicBool::new(false),
            list: RwLock::new(Arc::new(Vec::new())),
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        !self.any.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self, id: ListenerId, listener: Listener) {
        let mut list = self.list.write().unwrap_or_else(|e| e.into_inner());
        let mut next = Vec::clone(&list);
        next.retain(|(i, _)| *i != id);
        next.push((id, listener));
        *list = Arc::new(next);
        self.any.store(true, Ordering::Relaxed);
    }

    pub(crate) fn remove(&self, id: ListenerId) -> bool {
        let mut list = self.list.write().unwrap_or_else(|e| e.into_inner());
        let mut next = Vec::clone(&list);
        let before = next.len();
        next.retain(|(i, _)| *i != id);
        let removed = next.len() != before;
        self.any.store(!next.is_empty(), Ordering::Relaxed);
        *list = Arc::new(next);
        removed
    }

    /// Calls every listener with `event`, outside the lock, catching panics.
    pub(crate) fn emit(&self, name: &str, event: &Event) {
        let list = Arc::clone(&self.list.read().unwrap_or_else(|e| e.into_inner()));
        for (_, listener) in list.iter() {
            if catch_unwind(AssertUnwindSafe(|| listener(event))).is_err() {
                tracing::error!(
                    name,
                    "circuit breaker listener panicked; the breaker is unaffected"
                );
            }
        }
    }
}

impl fmt::Debug for Listeners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.list.read().map(|l| l.len()).unwrap_or(0);
        f.debug_struct("Listeners").field("count", &count).finish()
    }
}

/// A bounded ring of recent transitions, kept in generation order.
#[derive(Debug)]
pub(crate) struct History {
    capacity: usize,
    ring: Mutex<VecDeque<(u32, Transition)>>,
}

impl History {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            // Grown as transitions come: most breakers see few.
            ring: Mutex::new(VecDeque::with_capacity(capacity.min(32))),
        }
    }

    /// Adds the transition that entered `generation`. Transitions installed by different
    /// threads can arrive here out of order; inserting by generation restores the order.
    pub(crate) fn push(&self, generation: u32, transition: Transition) {
        if self.capacity == 0 {
            return;
        }
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let newest = ring.back().map(|(g, _)| *g);
        // Generations wrap: "after" means less than half the range ahead.
        let is_after = |g: u32, other: u32| {
            g != other && g.wrapping_sub(other) & super::word::GEN_MASK < (1 << 20)
        };
        let at = match newest {
            Some(last) if !is_after(generation, last) => ring
                .iter()
                .position(|(g, _)| is_after(*g, generation))
                .unwrap_or(ring.len()),
            _ => ring.len(),
        };
        ring.insert(at, (generation, transition));
        while ring.len() > self.capacity {
            ring.pop_front();
        }
    }

    pub(crate) fn to_vec(&self) -> Vec<Transition> {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        ring.iter().map(|(_, t)| t.clone()).collect()
    }
}
