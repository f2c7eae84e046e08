use staunch::{circuit_breaker, resilient};

#[derive(Debug)]
struct QueryError;

#[circuit_breaker(failure_threshold = 5)]
fn query() -> Result<u32, QueryError> {
    Err(QueryError)
}

#[resilient(max_attempts = 3)]
async fn fetch() -> std::io::Result<Vec<u8>> {
    Ok(Vec::new())
}

fn main() {
    let _ = query();
    let _ = fetch();
}
