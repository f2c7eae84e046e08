use staunch::{circuit_breaker, retry_on_exception};

#[retry_on_exception(wait_min = -1)]
fn negative() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(wait_max = "soon")]
fn not_a_duration() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(wait_min = true)]
fn boolean() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(wait_min = "20s", wait_max = 10)]
fn min_above_max() -> Result<(), std::io::Error> {
    Ok(())
}

#[circuit_breaker(recovery_timeout = 0)]
fn no_recovery() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = negative();
    let _ = not_a_duration();
    let _ = boolean();
    let _ = min_above_max();
    let _ = no_recovery();
}
