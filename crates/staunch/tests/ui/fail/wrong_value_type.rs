use staunch::{retry_on_exception, retry_with_jitter};

#[retry_on_exception(max_attempts = "three")]
fn string_count() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(max_attempts = 0)]
fn zero_attempts() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_with_jitter(jitter = 3, name = llm)]
fn bad_jitter_and_name() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = string_count();
    let _ = zero_attempts();
    let _ = bad_jitter_and_name();
}
