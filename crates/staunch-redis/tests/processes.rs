//! Three replicas as separate OS processes on one Redis: under 16 concurrent probers per
//! replica, fleet-wide probes never exceed the limit, and the fleet closes together.
//!
//! The parent re-runs this test binary as each child (`--exact child_replica
//! --ignored`), with the Redis URL and its instructions in the environment.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use staunch::{CircuitBreaker, CircuitState};
use staunch_redis::testing::RedisServer;
use staunch_redis::{Fleet, SharedExt};

const MAX_PROBES: u64 = 2;
const TASKS: usize = 16;

fn settings(url: &str) -> staunch_redis::FleetBuilder {
    common::fleet(url)
        .max_probes(MAX_PROBES)
        .half_open_successes(1)
        .open_period(Duration::from_millis(150), Duration::from_millis(300))
        .lease(Duration::from_secs(5))
}

#[test]
fn sixteen_probers_per_replica_never_exceed_the_fleet_limit() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..3)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "child_replica",
                    "--ignored",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env("STAUNCH_REPLICA_URL", server.url())
                .env("STAUNCH_REPLICA_ID", i.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fleet = settings(&server.url()).connect().unwrap();
        common::eventually("redis reachable", || fleet.is_connected()).await;
        // Wait until the three replicas are attached.
        let attached = || {
            server
                .cli(&["ZCARD", "cb:{probed}:replicas"])
                .contains(":3")
        };
        common::eventually("three replicas attached", attached).await;
        // The dependency goes down and the fleet opens; the replicas keep calling.
        server.cli(&["SET", "dep:down", "1"]);
        fleet.force("probed", CircuitState::Open).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        server.cli(&["DEL", "dep:down"]);
        server.cli(&["SET", "test:recovered", "1"]);
    });
    let mut probes = 0;
    for child in &mut children {
        let stdout = BufReader::new(child.stdout.take().unwrap());
        for line in stdout.lines() {
            let line = line.unwrap();
            // The harness may print its "test child_replica ... " on the same line.
            if let Some(rest) = line.split("RESULT ").nth(1) {
                let fields: Vec<u64> = rest
                    .split_whitespace()
                    .take(3)
                    .map(|f| f.parse().unwrap())
                    .collect();
                let (most, child_probes, closed) = (fields[0], fields[1], fields[2]);
                assert!(
                    most <= MAX_PROBES,
                    "{most} probes at once fleet-wide (limit {MAX_PROBES})"
                );
                assert_eq!(closed, 1, "every replica closed after the recovery");
                probes += child_probes;
            }
        }
        assert!(child.wait().unwrap().success());
    }
    let most: u64 = server
        .cli(&["GET", "test:most"])
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    eprintln!("probes: {probes}, most at once fleet-wide: {most}");
    assert!(
        (1..=MAX_PROBES).contains(&most),
        "most probes at once: {most}"
    );
    assert!(probes >= 3, "probes were sent: {probes}");
}

/// One replica: 16 tasks calling one shared breaker; every call admitted while the fleet
/// isn't closed is a probe, counted fleet-wide in Redis while it runs.
#[test]
#[ignore = "run by sixteen_probers_per_replica_never_exceed_the_fleet_limit"]
fn child_replica() {
    let Ok(url) = std::env::var("STAUNCH_REPLICA_URL") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let fleet: Fleet = settings(&url).connect().unwrap();
        let breaker: CircuitBreaker = CircuitBreaker::builder("probed")
            .failure_threshold(u32::from(u16::MAX))
            .recovery_timeout(Duration::from_millis(150))
            .half_open_probes(TASKS as u32)
            .shared(&fleet)
            .build()
            .unwrap();
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        common::eventually("connected", || fleet.is_connected()).await;
        common::eventually("the fleet opens", || breaker.state() == CircuitState::Open).await;
        let most = Arc::new(AtomicU64::new(0));
        let probes = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(10);
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (breaker, most, probes, mut conn) = (breaker.clone(), most.clone(), probes.clone(), conn.clone());
                tokio::spawn(async move {
                    loop {
                        let recovered: Option<String> = redis::cmd("GET").arg("test:recovered").query_async(&mut conn).await.unwrap();
                        if recovered.is_some() && breaker.state() == CircuitState::Closed {
                            return;
                        }
                        if Instant::now() > deadline {
                            return;
                        }
                        let Ok(permit) = breaker.try_acquire_owned() else {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            continue;
                        };
                        if !permit.is_probe() {
                            permit.success();
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            continue;
                        }
                        probes.fetch_add(1, Ordering::Relaxed);
                        let now: u64 = redis::cmd("INCR").arg("test:inflight").query_async(&mut conn).await.unwrap();
                        most.fetch_max(now, Ordering::Relaxed);
                        let _: () = redis::Script::new("if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1]) end")
                            .key("test:inflight").key("test:most").arg(now)
                            .invoke_async(&mut conn).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        let down: Option<String> = redis::cmd("GET").arg("dep:down").query_async(&mut conn).await.unwrap();
                        let _: i64 = redis::cmd("DECR").arg("test:inflight").query_async(&mut conn).await.unwrap();
                        if down.is_some() { permit.failure() } else { permit.success() }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let closed = u8::from(breaker.state() == CircuitState::Closed);
        println!("RESULT {} {} {closed}", most.load(Ordering::Relaxed), probes.load(Ordering::Relaxed));
        let _ = &mut conn;
    });
}
