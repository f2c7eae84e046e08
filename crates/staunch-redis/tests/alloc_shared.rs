//! No heap allocation per call on a shared breaker's success and failure paths, counted
//! by a counting global allocator in a binary of its own.

use std::alloc::System;
use std::time::Duration;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use staunch::CircuitBreaker;
use staunch_redis::testing::RedisServer;
use staunch_redis::{Fleet, SharedExt};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn shared_calls_allocate_nothing() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    // The background tasks run on their own thread; the calls run here, on a
    // current-thread runtime, and never yield to it.
    let background = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fleet = Fleet::builder(&server.url())
        .runtime(background.handle().clone())
        .flush_interval(Duration::from_secs(3600))
        .failure_burst(u64::MAX, Duration::from_millis(50))
        .connect()
        .unwrap();
    let breaker = CircuitBreaker::builder("alloc")
        .failure_threshold(u32::from(u16::MAX))
        .shared(&fleet)
        .build()
        .unwrap();
    while !fleet.is_connected() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        breaker.call(|| async { Ok::<_, ()>(()) }).await.unwrap();
        // The background thread may allocate during a window now and then: an
        // allocation per call shows in every run, so take the fewest of three.
        let fewest = (0..3)
            .map(|_| {
                let region = Region::new(GLOBAL);
                for i in 0..1000 {
                    let fail = i % 2 == 0;
                    let _ = futures_util::FutureExt::now_or_never(breaker.call(|| async move {
                        if fail {
                            Err(())
                        } else {
                            Ok(())
                        }
                    }));
                }
                region.change().allocations
            })
            .min()
            .unwrap();
        assert_eq!(fewest, 0, "allocations for 1000 calls");
    });
}
