use staunch::{circuit_breaker, retry_on_exception};

fn transient(_: &std::io::Error) -> bool {
    true
}

#[retry_on_exception(when = transient, classify = |_| staunch::Verdict::FATAL)]
fn two_classifiers() -> Result<(), std::io::Error> {
    Ok(())
}

static SHARED: std::sync::LazyLock<staunch::CircuitBreaker> =
    std::sync::LazyLock::new(|| staunch::CircuitBreaker::builder("shared").build().unwrap());

#[circuit_breaker(SHARED, failure_threshold = 3, name = "mine")]
fn given_and_configured() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(3)]
fn positional() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = two_classifiers();
    let _ = given_and_configured();
    let _ = positional();
}
