use staunch::{circuit_breaker, retry_on_exception};

#[retry_on_exception(max_attempts = 3, wait_min = 1, max_attempts = 5)]
fn twice() -> Result<(), std::io::Error> {
    Ok(())
}

static SHARED: std::sync::LazyLock<staunch::CircuitBreaker> =
    std::sync::LazyLock::new(|| staunch::CircuitBreaker::builder("shared").build().unwrap());

#[circuit_breaker(SHARED, breaker = SHARED)]
fn breaker_twice() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = twice();
    let _ = breaker_twice();
}
