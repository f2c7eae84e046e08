//! The methods of [`CircuitBreaker`]: building, inspecting, manual control, permits and
//! listeners. (The call wrappers are in `call.rs`.)

use std::sync::Arc;
use std::time::Duration;

use super::authority::{Authority, AuthorityHandle};
use super::builder::CircuitBreakerBuilder;
use super::core::{Config, Inner};
use super::error::CircuitOpen;
use super::event::{Event, History, ListenerId, Listeners, Transition};
use super::permit::{OwnedPermit, Permit};
use super::snapshot::Snapshot;
use super::state::CircuitState;
use super::window::Window;
use super::word::{Manual, Word};
use super::CircuitBreaker;
use crate::sync::AtomicU64;

impl CircuitBreaker {
    /// A builder with the seed's defaults: 5 consecutive failures open the circuit for
    /// 60 s.
    ///
    /// ```
    /// let breaker = staunch::CircuitBreaker::builder("llm").build()?;
    /// assert_eq!(breaker.name(), "llm");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn builder(name: impl Into<String>) -> CircuitBreakerBuilder {
        CircuitBreakerBuilder::new(name.into())
    }

    pub(crate) fn assemble(
        builder: &CircuitBreakerBuilder,
        config: Config,
        window: Option<Window>,
        history: usize,
        authority: Option<Arc<dyn Authority>>,
    ) -> Self {
        let now = builder.clock.now();
        // The name is stored once per process; rejections carry its index.
        let (open_name, name) = super::error::BreakerName::intern(&builder.name);
        let inner = Arc::new(Inner {
            word: AtomicU64::new(Word::INITIAL.0),
            changes: AtomicU64::new(0),
            deadline: AtomicU64::new(0),
            deadline_low: AtomicU64::new(0),
            rejected: super::authority::Tally::new(),
            since: AtomicU64::new(u64::try_from(now.as_nanos()).unwrap_or(u64::MAX)),
            hint_until: AtomicU64::new(0),
            name,
            open_name,
            clock: builder.clock.clone(),
            config,
            window,
            listeners: Listeners::new(),
            history: History::new(history),
            tally: authority.as_ref().map(|_| super::authority::Tally::new()),
            authority,
            #[cfg(feature = "tokio")]
            watch: tokio::sync::watch::Sender::new(CircuitState::Closed),
            #[cfg(feature = "tokio")]
            watch_lock: crate::sync::Mutex::new(()),
            #[cfg(feature = "metrics")]
            metrics: super::metrics::Metrics::new(&builder.name),
        });
        if let Some(authority) = &inner.authority {
            authority.attach(AuthorityHandle::new(&inner));
        }
        Self { inner }
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// The breaker's name.
    ///
    /// ```
    /// assert_eq!(staunch::CircuitBreaker::builder("mcp").build()?.name(), "mcp");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn name(&self) -> &str {
        self.inner.name
    }

    /// A rejection by this breaker, for the engine's look-ahead.
    pub(crate) fn open_error(&self, retry_after: Option<Duration>) -> CircuitOpen {
        CircuitOpen::named(self.inner.open_name, retry_after)
    }

    /// The state now. Side-effect free: it never takes a probe slot. Once the open
    /// period has passed it reads HALF_OPEN, as the seed's `state` does, although the
    /// move itself happens on the next call (no timer thread): that call is the probe.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let fake = FakeClock::new();
    /// let breaker = CircuitBreaker::builder("db").failure_threshold(1).clock(fake.clock()).build()?;
    /// assert_eq!(breaker.state(), CircuitState::Closed);
    /// breaker.try_acquire()?.failure();
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// fake.advance(Duration::from_secs(60));
    /// assert_eq!(breaker.state(), CircuitState::HalfOpen); // a probe is due
    /// assert!(breaker.try_acquire()?.is_probe());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> CircuitState {
        self.inner
            .reported_state(self.inner.load(), self.inner.clock.now())
    }

    /// While [`state`](Self::state) reads OPEN, the rest of the open period; `None` in
    /// every other state, including once the period has passed (the state then reads
    /// HALF_OPEN and the next call probes). The same as [`Snapshot::retry_in`] without
    /// building a snapshot: no allocation, no side effect.
    ///
    /// ```
    /// use std::time::Duration;
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let fake = FakeClock::new();
    /// let breaker = CircuitBreaker::builder("db").failure_threshold(1).clock(fake.clock()).build()?;
    /// assert_eq!(breaker.retry_in(), None);
    /// breaker.try_acquire()?.failure();
    /// fake.advance(Duration::from_secs(45));
    /// assert_eq!(breaker.retry_in(), Some(Duration::from_secs(15)));
    /// fake.advance(Duration::from_secs(15));
    /// assert_eq!(breaker.retry_in(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_in(&self) -> Option<Duration> {
        self.inner
            .retry_in(self.inner.load(), self.inner.clock.now())
    }

    /// Consecutive counted failures (the seed's `failure_count`), or the failures in the
    /// window for a failure-rate breaker.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let _ = breaker.call_blocking(|| Err::<(), _>("timeout"));
    /// assert_eq!(breaker.failure_count(), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn failure_count(&self) -> u32 {
        self.inner.failure_count_of(self.inner.load())
    }

    /// What the breaker's [`Authority`] reports, such as a
    /// fleet's shared state; `None` without an authority or when it reports nothing.
    ///
    /// ```
    /// let breaker = staunch::CircuitBreaker::builder("db").build()?;
    /// assert_eq!(breaker.authority_status(), None);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn authority_status(&self) -> Option<crate::breaker::AuthorityStatus> {
        self.inner.authority.as_ref()?.status()
    }

    /// The state and counters now.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// let _ = breaker.try_acquire();
    /// let snap = breaker.snapshot();
    /// assert_eq!((snap.state, snap.rejected_calls), (CircuitState::ForcedOpen, 1));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        self.inner.snapshot()
    }

    /// Closes the circuit and clears every count and the open-period growth (the seed's
    /// `reset()`), from any state.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").failure_threshold(1).clock(FakeClock::new().clock()).build()?;
    /// let _ = breaker.call_blocking(|| Err::<(), _>("down"));
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// breaker.reset();
    /// assert_eq!((breaker.state(), breaker.failure_count()), (CircuitState::Closed, 0));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn reset(&self) {
        self.inner.manual(Manual::Reset, None);
    }

    /// The same as [`reset`](Self::reset): back to CLOSED from any state, counts cleared.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// breaker.disable();
    /// breaker.close();
    /// assert_eq!(breaker.state(), CircuitState::Closed);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn close(&self) {
        self.reset();
    }

    /// Opens the circuit until [`close`](Self::close) or [`reset`](Self::reset): every call
    /// is rejected, and time never moves it to HALF_OPEN.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// assert_eq!(breaker.state(), CircuitState::ForcedOpen);
    /// assert!(breaker.try_acquire().is_err());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn force_open(&self) {
        self.inner
            .manual(Manual::To(CircuitState::ForcedOpen), None);
    }

    /// Lets every call through and keeps measuring, without ever opening, until
    /// [`close`](Self::close) or [`reset`](Self::reset).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").failure_threshold(1).clock(FakeClock::new().clock()).build()?;
    /// breaker.disable();
    /// let _ = breaker.call_blocking(|| Err::<(), _>("down"));
    /// let _ = breaker.call_blocking(|| Err::<(), _>("down"));
    /// assert_eq!((breaker.state(), breaker.failure_count()), (CircuitState::Disabled, 2));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn disable(&self) {
        self.inner.manual(Manual::To(CircuitState::Disabled), None);
    }

    /// Asks to make one call: a [`Permit`] to report its outcome with, or [`CircuitOpen`].
    ///
    /// In OPEN this is also where the open period is checked: the first call after it
    /// becomes a half-open probe.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let permit = breaker.try_acquire()?;
    /// permit.success();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline(always)]
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        let ticket = self.inner.acquire()?;
        Ok(Permit::new(&self.inner, ticket))
    }

    /// Like [`try_acquire`](Self::try_acquire), with a permit that owns a handle to the
    /// breaker (`'static`, `Send`).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let permit = breaker.try_acquire_owned()?;
    /// permit.failure();
    /// assert_eq!(breaker.failure_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_acquire_owned(&self) -> Result<OwnedPermit, CircuitOpen> {
        let ticket = self.inner.acquire()?;
        Ok(OwnedPermit::new(Arc::clone(&self.inner), ticket))
    }

    /// Calls `listener` on every transition and rejection of this breaker. Listeners run
    /// after the change, outside every lock; a panicking listener is caught and logged.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use staunch::{test_util::FakeClock, CircuitBreaker, Event};
    ///
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let transitions = Arc::new(AtomicUsize::new(0));
    /// let counter = transitions.clone();
    /// breaker.add_listener(move |e| if let Event::Transition(_) = e { counter.fetch_add(1, Ordering::Relaxed); });
    /// breaker.add_listener(|_| panic!("a bad listener"));
    /// breaker.force_open();
    /// breaker.reset();
    /// assert_eq!(transitions.load(Ordering::Relaxed), 2);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn add_listener(&self, listener: impl Fn(&Event) + Send + Sync + 'static) -> ListenerId {
        let id = ListenerId::next();
        self.inner.listeners.add(id, Arc::new(listener));
        id
    }

    pub(crate) fn add_shared_listener(&self, id: ListenerId, listener: super::event::Listener) {
        self.inner.listeners.add(id, listener);
    }

    /// Removes a listener; `false` if it was not there.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let id = breaker.add_listener(|_| {});
    /// assert!(breaker.remove_listener(id));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        self.inner.listeners.remove(id)
    }

    /// The most recent transitions, oldest first (32 unless
    /// [`transition_history`](CircuitBreakerBuilder::transition_history) says otherwise).
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// breaker.force_open();
    /// breaker.disable();
    /// let to: Vec<_> = breaker.recent_transitions().iter().map(|t| t.to).collect();
    /// assert_eq!(to, [CircuitState::ForcedOpen, CircuitState::Disabled]);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn recent_transitions(&self) -> Vec<Transition> {
        self.inner.history.to_vec()
    }

    /// A receiver that sees every state this breaker enters: the seed's monitor loop as a
    /// `tokio::sync::watch` channel (it holds the latest state; a slow reader skips
    /// intermediate ones).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), staunch::ConfigError> {
    /// use staunch::{test_util::FakeClock, CircuitBreaker, CircuitState};
    /// let breaker = CircuitBreaker::builder("db").clock(FakeClock::new().clock()).build()?;
    /// let mut states = breaker.watch();
    /// breaker.force_open();
    /// states.changed().await.unwrap();
    /// assert_eq!(*states.borrow_and_update(), CircuitState::ForcedOpen);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn watch(&self) -> tokio::sync::watch::Receiver<CircuitState> {
        self.inner.watch.subscribe()
    }

    /// Whether two handles share one breaker.
    ///
    /// ```
    /// let a = staunch::CircuitBreaker::builder("db").build()?;
    /// assert!(a.ptr_eq(&a.clone()));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn ptr_eq(&self, other: &CircuitBreaker) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Whether this handle is the only one (no clone, no owned permit exists).
    pub(crate) fn is_unshared(&self) -> bool {
        Arc::strong_count(&self.inner) == 1
    }
}
