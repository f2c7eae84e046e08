use std::time::Duration;

use staunch::test_util::FakeClock;

#[tokio::test]
async fn fake_async_sleep_advances_time_instantly() {
    let fake = FakeClock::new();
    let clock = fake.clock();
    clock.sleep(Duration::from_secs(3600)).await;
    assert_eq!(clock.now(), Duration::from_secs(3600));
    assert_eq!(fake.sleeps(), vec![Duration::from_secs(3600)]);
}

#[test]
fn fake_clock_saturates_instead_of_wrapping() {
    let fake = FakeClock::new();
    fake.advance(Duration::MAX);
    fake.advance(Duration::from_secs(1));
    assert_eq!(fake.now(), Duration::from_nanos(u64::MAX));
}
