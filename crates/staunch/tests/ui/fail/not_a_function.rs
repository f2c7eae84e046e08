use staunch::{circuit_breaker, resilient};

#[circuit_breaker(failure_threshold = 5)]
struct Client {
    url: String,
}

#[resilient]
const RETRIES: u32 = 3;

trait Service {
    #[resilient]
    fn call(&self) -> Result<(), std::io::Error>;
}

#[resilient]
const fn at_compile_time() -> Result<(), ()> {
    Ok(())
}

fn main() {
    let client = Client { url: String::new() };
    let _ = (client.url, RETRIES, at_compile_time());
}
