//! A dashboard served on `127.0.0.1:0` over a registry of fake-clock breakers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use staunch::test_util::FakeClock;
use staunch::{CircuitBreaker, Registry};
use staunch_dashboard::Dashboard;

/// Failures that open the test breakers.
pub(crate) const THRESHOLD: u32 = 3;
/// Their recovery timeout, on the fake clock.
pub(crate) const RECOVERY: Duration = Duration::from_secs(30);
/// The admin token of [`Server::with_admin`].
pub(crate) const TOKEN: &str = "test-token-0123456789";
/// Bound for every wait on I/O, far above what any step needs.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) registry: Arc<Registry>,
    pub(crate) fake: FakeClock,
    pub(crate) http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Breakers `llm`, `mcp` and `database`, read-only dashboard.
    pub(crate) async fn start() -> Self {
        Self::serve(|dashboard| dashboard).await
    }

    /// The same with the admin actions enabled by [`TOKEN`].
    pub(crate) async fn with_admin() -> Self {
        Self::serve(|dashboard| dashboard.admin_token(TOKEN)).await
    }

    pub(crate) async fn serve(configure: impl FnOnce(Dashboard) -> Dashboard) -> Self {
        let fake = FakeClock::new();
        let registry = Arc::new(Registry::new());
        for name in ["llm", "mcp", "database"] {
            registry.insert(breaker(name, &fake));
        }
        let app = configure(Dashboard::new(Arc::clone(&registry)))
            .build()
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let http = reqwest::Client::builder()
            .timeout(IO_TIMEOUT)
            .build()
            .unwrap();
        Self {
            addr,
            registry,
            fake,
            http,
            task,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn breaker(&self, name: &str) -> CircuitBreaker {
        self.registry.get(name).unwrap()
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub(crate) async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A breaker on the fake clock that opens after [`THRESHOLD`] failures.
pub(crate) fn breaker(name: &str, fake: &FakeClock) -> CircuitBreaker {
    CircuitBreaker::builder(name)
        .failure_threshold(THRESHOLD)
        .recovery_timeout(RECOVERY)
        .clock(fake.clock())
        .build()
        .unwrap()
}

/// Fails calls through `breaker` until it opens.
pub(crate) fn trip(breaker: &CircuitBreaker) {
    for _ in 0..THRESHOLD {
        let _ = breaker.call_blocking(|| Err::<(), _>("refused"));
    }
    assert_eq!(breaker.state().as_str(), "open");
}
