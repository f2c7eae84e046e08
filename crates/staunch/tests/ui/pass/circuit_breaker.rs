//! `#[circuit_breaker]` with its own breaker and with given ones.

use std::sync::{Arc, LazyLock};

use staunch::{circuit_breaker, CircuitBreaker, CircuitOpen};

#[derive(Debug)]
enum ApiError {
    Status(u16),
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

fn is_server_error(error: &ApiError) -> bool {
    matches!(error, ApiError::Status(500..=599))
}

static SHARED: LazyLock<CircuitBreaker> =
    LazyLock::new(|| CircuitBreaker::builder("pass-shared").build().unwrap());

#[circuit_breaker(failure_threshold = 5, recovery_timeout = 60, when = is_server_error)]
fn own() -> Result<u32, ApiError> {
    Ok(1)
}

#[circuit_breaker]
async fn own_async() -> Result<u32, ApiError> {
    Ok(2)
}

#[circuit_breaker(SHARED)]
fn shared_positional() -> Result<u32, ApiError> {
    Ok(3)
}

#[circuit_breaker(breaker = SHARED)]
async fn shared_named() -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(4)
}

#[circuit_breaker(recovery_timeout = "30s", name = "pass-named")]
fn with_name() -> Result<(), ApiError> {
    Err(ApiError::Status(404))
}

struct Client {
    breaker: Arc<CircuitBreaker>,
    sent: u32,
}

impl Client {
    #[circuit_breaker(breaker = self.breaker)]
    fn get(&self) -> Result<u32, ApiError> {
        Ok(self.sent)
    }

    #[circuit_breaker(name = "pass-client-send")]
    async fn send(&mut self) -> Result<u32, ApiError> {
        self.sent += 1;
        Ok(self.sent)
    }

    #[circuit_breaker(SHARED)]
    fn generic<T: Default>(&self) -> Result<T, ApiError> {
        Ok(T::default())
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(own().unwrap(), 1);
    assert_eq!(runtime.block_on(own_async()).unwrap(), 2);
    assert_eq!(shared_positional().unwrap(), 3);
    assert_eq!(runtime.block_on(shared_named()).unwrap(), 4);
    assert!(matches!(with_name(), Err(ApiError::Status(404))));
    let breaker = Arc::new(CircuitBreaker::builder("pass-client").build().unwrap());
    let mut client = Client { breaker, sent: 0 };
    assert_eq!(runtime.block_on(client.send()).unwrap(), 1);
    assert_eq!(client.get().unwrap(), 1);
    assert_eq!(client.generic::<u8>().unwrap(), 0);
}
