use staunch::{retry_on_exception, retry_with_jitter};

#[retry_on_exception(max_attempt = 3)]
fn misspelled() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_on_exception(exception_types = (TimeoutError, ConnectionError))]
fn python_style() -> Result<(), std::io::Error> {
    Ok(())
}

#[retry_with_jitter(wait_min = 1.0)]
fn other_attributes_name() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = misspelled();
    let _ = python_style();
    let _ = other_attributes_name();
}
