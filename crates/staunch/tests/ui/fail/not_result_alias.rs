use staunch::retry_on_exception;

/// Named like a `Result`, but isn't one.
type CountResult = u32;

#[retry_on_exception(max_attempts = 2)]
fn count() -> CountResult {
    1
}

fn main() {
    let _ = count();
}
