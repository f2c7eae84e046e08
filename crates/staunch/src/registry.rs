//! Named breakers: the process-wide [`Registry::global`] that presets, attributes and the
//! dashboard share, local registries, and [`KeyedBreakers`] (one breaker per host, model
//! or tenant, with bounded memory).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use crate::breaker::{CircuitBreaker, Event, ListenerId, Snapshot};
use crate::error::ConfigError;

mod keyed;

pub use keyed::KeyedBreakers;

type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

#[derive(Default)]
struct State {
    breakers: BTreeMap<String, CircuitBreaker>,
    listeners: Vec<(ListenerId, Listener)>,
}

/// Breakers by name.
///
/// ```
/// use staunch::{test_util::FakeClock, CircuitBreaker, Registry};
///
/// let registry = Registry::new();
/// let clock = FakeClock::new().clock();
/// let llm = registry.get_or_insert_with("llm", || CircuitBreaker::builder("llm").clock(clock.clone()).build())?;
/// let again = registry.get_or_insert_with("llm", || unreachable!())?;
/// assert!(llm.ptr_eq(&again));
/// assert_eq!(registry.breakers().len(), 1);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Default)]
pub struct Registry {
    state: RwLock<State>,
}

impl Registry {
    /// An empty registry.
    ///
    /// ```
    /// assert!(staunch::Registry::new().breakers().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry, where presets and attributes register their breakers.
    ///
    /// ```
    /// use staunch::{CircuitBreaker, Registry};
    /// let b = Registry::global().get_or_insert_with("doc-global", || CircuitBreaker::builder("doc-global").build())?;
    /// assert!(Registry::global().get("doc-global").unwrap().ptr_eq(&b));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The breaker registered under `name`.
    ///
    /// ```
    /// assert!(staunch::Registry::new().get("nope").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<CircuitBreaker> {
        self.read().breakers.get(name).cloned()
    }

    /// The breaker registered under `name`, or the one `make` builds, registered. `make`
    /// runs outside the registry's lock; if another thread registers `name` first, its
    /// breaker wins and is returned.
    ///
    /// ```
    /// use staunch::{CircuitBreaker, Registry};
    /// let registry = Registry::new();
    /// let err = registry
    ///     .get_or_insert_with("bad", || CircuitBreaker::builder("bad").failure_threshold(0).build())
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "failure_threshold");
    /// assert!(registry.get("bad").is_none());
    /// ```
    pub fn get_or_insert_with(
        &self,
        name: &str,
        make: impl FnOnce() -> Result<CircuitBreaker, ConfigError>,
    ) -> Result<CircuitBreaker, ConfigError> {
        if let Some(found) = self.get(name) {
            return Ok(found);
        }
        let made = make()?;
        let mut state = self.write();
        if let Some(found) = state.breakers.get(name) {
            return Ok(found.clone());
        }
        attach(&made, &state.listeners);
        state.breakers.insert(name.to_owned(), made.clone());
        Ok(made)
    }

    /// Registers `breaker` under its name, returning the breaker it replaces.
    ///
    /// ```
    /// use staunch::{CircuitBreaker, Registry};
    /// let registry = Registry::new();
    /// assert!(registry.insert(CircuitBreaker::builder("db").build()?).is_none());
    /// assert!(registry.insert(CircuitBreaker::builder("db").build()?).is_some());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn insert(&self, breaker: CircuitBreaker) -> Option<CircuitBreaker> {
        let mut state = self.write();
        attach(&breaker, &state.listeners);
        let replaced = state
            .breakers
            .insert(breaker.name().to_owned(), breaker.clone());
        if let Some(old) = replaced.as_ref().filter(|old| !old.ptr_eq(&breaker)) {
            detach(old, &state.listeners);
        }
        replaced
    }

    /// Unregisters the breaker named `name` (and this registry's listeners from it).
    ///
    /// ```
    /// use staunch::{CircuitBreaker, Registry};
    /// let registry = Registry::new();
    /// registry.insert(CircuitBreaker::builder("db").build()?);
    /// assert!(registry.remove("db").is_some());
    /// assert!(registry.get("db").is_none());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn remove(&self, name: &str) -> Option<CircuitBreaker> {
        let mut state = self.write();
        let removed = state.breakers.remove(name);
        if let Some(old) = &removed {
            detach(old, &state.listeners);
        }
        removed
    }

    /// Every registered breaker, sorted by name.
    ///
    /// ```
    /// use staunch::{CircuitBreaker, Registry};
    /// let registry = Registry::new();
    /// registry.insert(CircuitBreaker::builder("mcp").build()?);
    /// registry.insert(CircuitBreaker::builder("llm").build()?);
    /// let names: Vec<_> = registry.breakers().iter().map(|b| b.name().to_owned()).collect();
    /// assert_eq!(names, ["llm", "mcp"]);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn breakers(&self) -> Vec<CircuitBreaker> {
        self.read().breakers.values().cloned().collect()
    }

    /// A snapshot of every breaker, keyed by name (the dashboard's `/api/v1/circuits`).
    ///
    /// ```
    /// use staunch::{CircuitBreaker, CircuitState, Registry};
    /// let registry = Registry::new();
    /// registry.insert(CircuitBreaker::builder("llm").build()?);
    /// let snap = registry.snapshot();
    /// assert_eq!(snap.0["llm"].state, CircuitState::Closed);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn snapshot(&self) -> RegistrySnapshot {
        let breakers = self.read().breakers.clone();
        RegistrySnapshot(
            breakers
                .into_iter()
                .map(|(name, b)| (name, b.snapshot()))
                .collect(),
        )
    }

    /// Calls `listener` on every event of every breaker registered now or later.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use staunch::{CircuitBreaker, Event, Registry};
    ///
    /// let registry = Registry::new();
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let seen = names.clone();
    /// registry.add_listener(move |e| if let Event::Transition(t) = e { seen.lock().unwrap().push(t.name.clone()) });
    /// let later = registry.get_or_insert_with("later", || CircuitBreaker::builder("later").build())?;
    /// later.force_open();
    /// assert_eq!(*names.lock().unwrap(), ["later"]);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn add_listener(&self, listener: impl Fn(&Event) + Send + Sync + 'static) -> ListenerId {
        let id = ListenerId::next();
        let listener: Listener = Arc::new(listener);
        let mut state = self.write();
        for breaker in state.breakers.values() {
            breaker.add_shared_listener(id, Arc::clone(&listener));
        }
        state.listeners.push((id, listener));
        id
    }

    /// Removes a listener added with [`add_listener`](Self::add_listener) from every
    /// breaker; `false` if it was not there.
    ///
    /// ```
    /// let registry = staunch::Registry::new();
    /// let id = registry.add_listener(|_| {});
    /// assert!(registry.remove_listener(id));
    /// ```
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        let mut state = self.write();
        let before = state.listeners.len();
        state.listeners.retain(|(i, _)| *i != id);
        for breaker in state.breakers.values() {
            breaker.remove_listener(id);
        }
        state.listeners.len() != before
    }
}

fn attach(breaker: &CircuitBreaker, listeners: &[(ListenerId, Listener)]) {
    for (id, listener) in listeners {
        breaker.add_shared_listener(*id, Arc::clone(listener));
    }
}

fn detach(breaker: &CircuitBreaker, listeners: &[(ListenerId, Listener)]) {
    for (id, _) in listeners {
        breaker.remove_listener(*id);
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("Registry")
            .field("breakers", &state.breakers.keys().collect::<Vec<_>>())
            .field("listeners", &state.listeners.len())
            .finish()
    }
}

/// Snapshots of a registry's breakers, keyed by name. Serializes (feature `serde`) as a
/// plain map: `{"llm": {"state": "closed", "failure_count": 0, ...}, "mcp": {...}}`.
///
/// ```
/// use staunch::{CircuitBreaker, Registry};
/// let registry = Registry::new();
/// registry.insert(CircuitBreaker::builder("mcp").build()?);
/// let snap = registry.snapshot();
/// assert_eq!(snap.0.keys().collect::<Vec<_>>(), ["mcp"]);
/// # Ok::<(), staunch::ConfigError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegistrySnapshot(pub BTreeMap<String, Snapshot>);

#[cfg(feature = "serde")]
impl serde::Serialize for RegistrySnapshot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
