//! [`KeyedBreakers`]: one breaker per key (host, model, tenant) from one template, with a
//! bound on the number of keys that cannot be used to wipe a failing breaker's history.
//!
//! # Eviction
//!
//! At `max_keys`, a new key may evict only a breaker that is CLOSED, has no recorded
//! failure (no consecutive failure, no failure in its window, no trip since its last
//! close) and is idle (no handle to it outside the map, so no call is in flight); among
//! those, the least recently used goes. Evicting it loses nothing a fresh breaker would
//! not also know.
//!
//! When no breaker can be evicted, new keys share one overflow breaker (named
//! `<template name>:overflow`) instead of getting an error. A flood of new keys (an
//! attacker's, or a scan) then can neither reset a failing key's breaker nor turn into
//! errors for legitimate new keys; at worst the new keys share one breaker's fate until
//! room frees up, and existing keys are unaffected.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use super::RegistrySnapshot;
use crate::breaker::{CircuitBreaker, CircuitBreakerBuilder, CircuitState};
use crate::error::ConfigError;

struct Entry {
    breaker: CircuitBreaker,
    /// Tick of the last `get`. Relaxed: an approximate recency for eviction.
    used: AtomicU64,
}

/// Breakers by key, built on demand from a template, at most `max_keys` of them.
///
/// ```
/// use staunch::{test_util::FakeClock, CircuitBreaker, KeyedBreakers};
///
/// let template = CircuitBreaker::builder("host").failure_threshold(1).clock(FakeClock::new().clock());
/// let hosts = KeyedBreakers::new(template, 1000)?;
/// let a = hosts.get(&"a.example");
/// let _ = a.call_blocking(|| Err::<(), _>("refused"));
/// assert_eq!(a.name(), "host:a.example");
/// assert!(hosts.get(&"a.example").try_acquire().is_err());
/// assert!(hosts.get(&"b.example").try_acquire().is_ok());
/// # Ok::<(), staunch::ConfigError>(())
/// ```
pub struct KeyedBreakers<K> {
    template: CircuitBreakerBuilder,
    max_keys: usize,
    map: RwLock<HashMap<K, Entry>>,
    /// A logical clock for recency. Relaxed: only its uniqueness and rough order matter.
    tick: AtomicU64,
    overflow: CircuitBreaker,
    /// `get`s answered with the overflow breaker. Relaxed: a statistic.
    overflowed: AtomicU64,
}

impl<K: Eq + Hash + Clone + fmt::Display> KeyedBreakers<K> {
    /// Keyed breakers from `template` (its name becomes the prefix `<name>:<key>`), at
    /// most `max_keys` (at least 1) of them.
    ///
    /// ```
    /// use staunch::{CircuitBreaker, KeyedBreakers};
    /// let err = KeyedBreakers::<String>::new(CircuitBreaker::builder("x"), 0).unwrap_err();
    /// assert_eq!(err.field(), "max_keys");
    /// ```
    pub fn new(template: CircuitBreakerBuilder, max_keys: usize) -> Result<Self, ConfigError> {
        if max_keys == 0 {
            return Err(ConfigError::new("max_keys", 0, "must be at least 1"));
        }
        let overflow_name = format!("{}:overflow", template.name);
        let overflow = template.clone().named(overflow_name).build()?;
        Ok(Self {
            template,
            max_keys,
            map: RwLock::new(HashMap::new()),
            tick: AtomicU64::new(0),
            overflow,
            overflowed: AtomicU64::new(0),
        })
    }

    fn touch(&self, entry: &Entry) {
        entry
            .used
            .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// The breaker for `key`, built on first use; the overflow breaker when the map is
    /// full and nothing can be evicted.
    ///
    /// ```
    /// use staunch::{test_util::FakeClock, CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::new(CircuitBreaker::builder("h").clock(FakeClock::new().clock()), 1)?;
    /// let a = hosts.get(&1);
    /// let _ = a.call_blocking(|| Err::<(), _>("down")); // a has a failure: not evictable
    /// assert_eq!(hosts.get(&2).name(), "h:overflow");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn get(&self, key: &K) -> CircuitBreaker {
        if let Some(entry) = self.map.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            self.touch(entry);
            return entry.breaker.clone();
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get(key) {
            self.touch(entry);
            return entry.breaker.clone();
        }
        if map.len() >= self.max_keys && !evict_one(&mut map) {
            self.overflowed.fetch_add(1, Ordering::Relaxed);
            return self.overflow.clone();
        }
        let name = format!("{}:{}", self.template.name, key);
        // The template was validated in `new`; only the name differs.
        let Ok(breaker) = self.template.clone().named(name).build() else {
            return self.overflow.clone();
        };
        let entry = Entry {
            breaker: breaker.clone(),
            used: AtomicU64::new(self.tick.fetch_add(1, Ordering::Relaxed)),
        };
        map.insert(key.clone(), entry);
        breaker
    }

    /// The breaker for `key` if it has one (never the overflow breaker).
    ///
    /// ```
    /// # use staunch::{CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::new(CircuitBreaker::builder("h"), 10)?;
    /// assert!(hosts.get_existing(&"a").is_none());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn get_existing(&self, key: &K) -> Option<CircuitBreaker> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(key).map(|entry| entry.breaker.clone())
    }

    /// Keys with their own breaker.
    ///
    /// ```
    /// # use staunch::{CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::new(CircuitBreaker::builder("h"), 10)?;
    /// hosts.get(&"a");
    /// assert_eq!(hosts.len(), 1);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no key has a breaker yet.
    ///
    /// ```
    /// # use staunch::{CircuitBreaker, KeyedBreakers};
    /// assert!(KeyedBreakers::<u32>::new(CircuitBreaker::builder("h"), 10)?.is_empty());
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The breaker shared by new keys while the map is full of unevictable breakers.
    ///
    /// ```
    /// # use staunch::{CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::<u32>::new(CircuitBreaker::builder("h"), 10)?;
    /// assert_eq!(hosts.overflow().name(), "h:overflow");
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn overflow(&self) -> &CircuitBreaker {
        &self.overflow
    }

    /// How many `get`s were answered with the overflow breaker.
    ///
    /// ```
    /// # use staunch::{CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::<u32>::new(CircuitBreaker::builder("h"), 10)?;
    /// assert_eq!(hosts.overflowed(), 0);
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// The refusal of an open breaker when every keyed breaker is open and refusing
    /// (none when there are none yet, or one would let a call through).
    #[cfg(feature = "tower")]
    pub(crate) fn all_refusing(&self) -> Option<crate::CircuitOpen> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let mut breakers = map.values().map(|entry| &entry.breaker);
        let first = breakers.next()?;
        // `state()` reports HALF_OPEN once the open period has passed: a probe may go.
        if std::iter::once(first)
            .chain(breakers)
            .any(|breaker| breaker.state() != CircuitState::Open)
        {
            return None;
        }
        // The permit, if the circuit moved on meanwhile, is dropped unused: released.
        first.try_acquire().err()
    }

    /// Snapshots of every keyed breaker and the overflow breaker, by breaker name.
    ///
    /// ```
    /// # use staunch::{CircuitBreaker, KeyedBreakers};
    /// let hosts = KeyedBreakers::new(CircuitBreaker::builder("h"), 10)?;
    /// hosts.get(&"a");
    /// assert!(hosts.snapshot().0.contains_key("h:a"));
    /// # Ok::<(), staunch::ConfigError>(())
    /// ```
    pub fn snapshot(&self) -> RegistrySnapshot {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let mut snap: RegistrySnapshot = RegistrySnapshot::default();
        for breaker in map.values().map(|e| &e.breaker).chain([&self.overflow]) {
            snap.0.insert(breaker.name().to_owned(), breaker.snapshot());
        }
        snap
    }
}

/// Evicts the least recently used breaker that is closed, idle and has no recorded
/// failure; `false` if there is none.
fn evict_one<K: Eq + Hash + Clone>(map: &mut HashMap<K, Entry>) -> bool {
    let victim = map
        .iter()
        .filter(|(_, entry)| is_evictable(&entry.breaker))
        .min_by_key(|(_, entry)| entry.used.load(Ordering::Relaxed))
        .map(|(key, _)| key.clone());
    match victim {
        Some(key) => map.remove(&key).is_some(),
        None => false,
    }
}

fn is_evictable(breaker: &CircuitBreaker) -> bool {
    if !breaker.is_unshared() || breaker.state() != CircuitState::Closed {
        return false;
    }
    let snap = breaker.snapshot();
    snap.failure_count == 0 && snap.consecutive_trips == 0
}

impl<K> fmt::Debug for KeyedBreakers<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.map.read().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("KeyedBreakers")
            .field("template", &self.template.name)
            .field("max_keys", &self.max_keys)
            .field("keys", &len)
            .field("overflow", &self.overflow)
            .finish()
    }
}
