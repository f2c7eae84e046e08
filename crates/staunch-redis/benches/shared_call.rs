//! A shared breaker's closed-success call against the local breaker's, side by side in
//! one run, awaited inside a tokio runtime with an opaque operation.
//!
//! The shared breaker is attached to a fleet on a real `redis-server` when one is
//! installed (started here on a free loopback port), to nothing otherwise: either way no
//! call touches Redis, so the figures are the same.
//!
//! `cargo bench -p staunch-redis --bench shared_call -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use staunch::CircuitBreaker;
use staunch_redis::testing::RedisServer;
use staunch_redis::{Fleet, SharedExt};

const HOUR: Duration = Duration::from_secs(3600);

/// The protected operation: opaque to the optimizer, ready at once.
#[inline(never)]
async fn op(x: u64) -> Result<u64, u64> {
    Ok(black_box(x) + 1)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = RedisServer::start();
    let url = server
        .as_ref()
        .map_or("redis://127.0.0.1:1".to_owned(), RedisServer::url);
    let fleet = rt.block_on(async { Fleet::connect(&url).unwrap() });
    let local = CircuitBreaker::builder("bench-local")
        .failure_threshold(5)
        .recovery_timeout(HOUR)
        .build()
        .unwrap();
    let shared = CircuitBreaker::builder("bench-shared")
        .failure_threshold(5)
        .recovery_timeout(HOUR)
        .shared(&fleet)
        .build()
        .unwrap();
    if server.is_some() {
        rt.block_on(async {
            while !fleet.is_connected() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
    }
    let mut group = c.benchmark_group("closed_success_async");
    group.bench_function("local", |b| {
        b.to_async(&rt)
            .iter(|| async { local.call(|| op(1)).await.unwrap() })
    });
    group.bench_function("shared", |b| {
        b.to_async(&rt)
            .iter(|| async { shared.call(|| op(1)).await.unwrap() })
    });
    group.finish();
    drop(fleet);
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
