use staunch::retry_on_exception;

#[retry_on_exception]
fn nothing() {}

#[retry_on_exception(max_attempts = 2)]
fn tuple() -> (u32, u32) {
    (1, 2)
}

#[retry_on_exception(max_attempts = 2)]
fn number() -> Option<u32> {
    Some(1)
}

fn main() {
    nothing();
    let _ = tuple();
    let _ = number();
}
