//! `#[retry_with_jitter]` with each jitter mode and duration form.

use std::io;

use staunch::retry_with_jitter;

#[retry_with_jitter(max_attempts = 5, base_wait = 2.0, max_wait = 10.0, jitter = true)]
fn seed_style() -> Result<(), io::Error> {
    Ok(())
}

#[retry_with_jitter]
async fn defaults() -> Result<(), io::Error> {
    Ok(())
}

#[retry_with_jitter(jitter = "equal", base_wait = "250ms", max_wait = "1s", seed = 42)]
fn equal() -> Result<(), io::Error> {
    Ok(())
}

#[retry_with_jitter(jitter = "decorrelated", base_wait = 1, max_wait = "1m 30s")]
fn decorrelated() -> Result<(), io::Error> {
    Ok(())
}

#[retry_with_jitter(jitter = false, name = "plain")]
fn none() -> Result<(), io::Error> {
    Ok(())
}

fn main() {
    seed_style().unwrap();
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(defaults()).unwrap();
    equal().unwrap();
    decorrelated().unwrap();
    none().unwrap();
}
