use staunch::{circuit_breaker, resilient};

#[derive(Debug)]
struct QueryError;

#[circuit_breaker(failure_threshold = 5)]
fn query() -> Result<u32, QueryError> {
    Err(QueryError)
}

#[derive(Debug)]
struct FetchError;

type FetchResult<T> = Result<T, FetchError>;

#[resilient(max_attempts = 3)]
async fn fetch() -> FetchResult<Vec<u8>> {
    Ok(Vec::new())
}

fn main() {
    let _ = query();
    let _ = fetch();
}
