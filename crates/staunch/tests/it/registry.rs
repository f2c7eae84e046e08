//! The named registry and keyed breakers.

use std::sync::{Arc, Mutex};

use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, CircuitState, Event, KeyedBreakers, Registry};

fn named(name: &str, fake: &FakeClock) -> CircuitBreaker {
    CircuitBreaker::builder(name)
        .clock(fake.clock())
        .build()
        .unwrap()
}

#[test]
fn get_or_insert_creates_once_and_shares_the_breaker() {
    let fake = FakeClock::new();
    let registry = Registry::new();
    let mut made = 0;
    for _ in 0..3 {
        registry
            .get_or_insert_with("llm", || {
                made += 1;
                Ok(named("llm", &fake))
            })
            .unwrap();
    }
    assert_eq!(made, 1);
    registry.get("llm").unwrap().force_open();
    assert_eq!(
        registry.get("llm").unwrap().state(),
        CircuitState::ForcedOpen
    );
    assert!(registry.remove("llm").is_some());
    assert!(registry.get("llm").is_none());
}

#[test]
fn the_global_registry_is_one_per_process() {
    let fake = FakeClock::new();
    let a = Registry::global()
        .get_or_insert_with("it-global", || Ok(named("it-global", &fake)))
        .unwrap();
    let b = std::thread::spawn(|| Registry::global().get("it-global").unwrap())
        .join()
        .unwrap();
    assert!(a.ptr_eq(&b));
}

#[test]
fn registry_listeners_reach_present_and_future_breakers_until_removed() {
    let fake = FakeClock::new();
    let registry = Registry::new();
    registry.insert(named("before", &fake));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let id = registry.add_listener(move |e| {
        if let Event::Transition(t) = e {
            log.lock().unwrap().push(t.name.clone());
        }
    });
    registry.insert(named("after", &fake));
    let kept = registry.get("before").unwrap();
    kept.force_open();
    registry.get("after").unwrap().force_open();
    let removed = registry.remove("after").unwrap();
    removed.reset();
    assert!(registry.remove_listener(id));
    kept.reset();
    assert_eq!(*seen.lock().unwrap(), ["before", "after"]);
}

#[cfg(feature = "serde")]
#[test]
fn the_snapshot_has_the_seed_dashboard_shape() {
    let fake = FakeClock::new();
    let registry = Registry::new();
    registry.insert(named("llm", &fake));
    registry.insert(named("mcp", &fake));
    let _ = registry
        .get("mcp")
        .unwrap()
        .call_blocking(|| Err::<(), _>("hang"));
    let json = serde_json::to_value(registry.snapshot()).unwrap();
    let seed = serde_json::json!({
        "llm": {"state": "closed", "failure_count": 0},
        "mcp": {"state": "closed", "failure_count": 1},
    });
    let object = json.as_object().unwrap();
    assert_eq!(object.keys().collect::<Vec<_>>(), ["llm", "mcp"]);
    for (name, expected) in seed.as_object().unwrap() {
        for (field, value) in expected.as_object().unwrap() {
            assert_eq!(&json[name][field], value, "{name}.{field}");
        }
    }
    assert_eq!(json["llm"]["name"], "llm", "extra fields are allowed");
}

fn keyed(fake: &FakeClock, max_keys: usize) -> KeyedBreakers<String> {
    let template = CircuitBreaker::builder("host")
        .failure_threshold(3)
        .clock(fake.clock());
    KeyedBreakers::new(template, max_keys).unwrap()
}

#[test]
fn keyed_breakers_build_one_breaker_per_key_from_the_template() {
    let fake = FakeClock::new();
    let hosts = keyed(&fake, 10);
    let a = hosts.get(&"a".to_owned());
    for _ in 0..3 {
        let _ = a.call_blocking(|| Err::<(), _>("refused"));
    }
    assert_eq!(hosts.get(&"a".to_owned()).state(), CircuitState::Open);
    assert_eq!(hosts.get(&"b".to_owned()).state(), CircuitState::Closed);
    assert_eq!(hosts.len(), 2);
    assert!(hosts.snapshot().0.contains_key("host:a"));
}

#[test]
fn eviction_never_wipes_a_breaker_with_failures() {
    let fake = FakeClock::new();
    let hosts = keyed(&fake, 3);
    // Three keys with history: one recorded failure, two open circuits.
    let failing = hosts.get(&"failing".to_owned());
    let _ = failing.call_blocking(|| Err::<(), _>("x"));
    let open = hosts.get(&"open".to_owned());
    for _ in 0..3 {
        let _ = open.call_blocking(|| Err::<(), _>("x"));
    }
    let tripped = hosts.get(&"open-too".to_owned());
    for _ in 0..3 {
        let _ = tripped.call_blocking(|| Err::<(), _>("x"));
    }
    drop((failing, open, tripped));
    // An attacker floods new keys: all go to the overflow breaker, nothing is evicted.
    for i in 0..1000 {
        let b = hosts.get(&format!("attacker-{i}"));
        assert_eq!(b.name(), "host:overflow");
    }
    assert_eq!(hosts.overflowed(), 1000);
    assert_eq!(hosts.get(&"failing".to_owned()).failure_count(), 1);
    assert_eq!(hosts.get(&"open".to_owned()).state(), CircuitState::Open);
    assert_eq!(hosts.len(), 3);
}

#[test]
fn eviction_takes_the_least_recently_used_clean_idle_breaker() {
    let fake = FakeClock::new();
    let hosts = keyed(&fake, 3);
    let held = hosts.get(&"held".to_owned()); // in use: a handle is out
    hosts.get(&"old".to_owned());
    hosts.get(&"recent".to_owned());
    hosts.get(&"recent".to_owned());
    let new = hosts.get(&"new".to_owned());
    assert_eq!(new.name(), "host:new");
    assert!(
        hosts.get_existing(&"old".to_owned()).is_none(),
        "least recently used clean key"
    );
    assert!(hosts.get_existing(&"held".to_owned()).is_some());
    assert!(hosts.get_existing(&"recent".to_owned()).is_some());
    drop(held);
}

#[test]
fn inserting_over_a_breaker_registered_under_another_name_detaches_only_the_old_one() {
    let fake = FakeClock::new();
    let registry = Registry::new();
    registry
        .get_or_insert_with("a", || Ok(named("b", &fake)))
        .unwrap();
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    registry.add_listener(move |_| *count.lock().unwrap() += 1);
    let old = registry.get("a").unwrap();
    let new = named("a", &fake);
    assert!(registry.insert(new.clone()).unwrap().ptr_eq(&old));
    assert!(
        registry.insert(new.clone()).unwrap().ptr_eq(&new),
        "re-inserting keeps its listener"
    );
    old.force_open();
    new.force_open();
    assert_eq!(*seen.lock().unwrap(), 1);
}
