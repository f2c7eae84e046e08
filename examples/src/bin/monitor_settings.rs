//! The seed's operations side: settings from a `.env` file, a `ChatService` whose method
//! is `#[resilient(LLM_CIRCUIT_BREAKER)]`, a monitor loop that logs every state change of
//! the LLM breaker as it happens, a cached answer while the circuit is open, and the
//! dashboard's `{"llm": {"state": ..., "failure_count": ...}}` view of the registry.
//!
//! The chat API is a local server that answers once, fails three times, then answers again.
//!
//! Run with `cargo run -p staunch-examples --bin monitor_settings`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use staunch::presets::LLM;
use staunch::LLM_CIRCUIT_BREAKER;
use staunch::{classify, resilient, CircuitOpen, Registry, ResilienceSettings, Verdict};

/// The `.env` the example writes and reads: the LLM preset's variables.
const ENV_FILE: &str = "\
# LLM preset, tuned for a demo that runs in a second
LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD=4
LLM_CIRCUIT_BREAKER_RECOVERY_TIMEOUT=500ms
LLM_RETRY_MAX_ATTEMPTS=2
LLM_RETRY_WAIT_MIN=10ms
LLM_RETRY_WAIT_MAX=20ms
";

#[derive(Debug)]
enum ChatError {
    Http(classify::reqwest::Error),
    Open(CircuitOpen),
    Timeout(staunch::AttemptTimeout),
}

impl ChatError {
    fn verdict(&self) -> Verdict {
        match self {
            ChatError::Http(e) => e.verdict(),
            ChatError::Open(_) => Verdict::IGNORE,
            ChatError::Timeout(_) => Verdict::TRANSIENT,
        }
    }
}

impl From<classify::reqwest::Error> for ChatError {
    fn from(e: classify::reqwest::Error) -> Self {
        ChatError::Http(e)
    }
}

impl From<reqwest::Error> for ChatError {
    fn from(e: reqwest::Error) -> Self {
        ChatError::Http(e.into())
    }
}

impl From<staunch::AttemptTimeout> for ChatError {
    fn from(e: staunch::AttemptTimeout) -> Self {
        ChatError::Timeout(e)
    }
}

impl From<CircuitOpen> for ChatError {
    fn from(e: CircuitOpen) -> Self {
        ChatError::Open(e)
    }
}

struct ChatService {
    http: reqwest::Client,
    url: String,
    cache: Mutex<HashMap<String, String>>,
}

impl ChatService {
    /// Retries like the installed LLM preset, through the shared `llm` breaker.
    #[resilient(LLM_CIRCUIT_BREAKER, classify = ChatError::verdict)]
    async fn ask(&self, prompt: &str) -> Result<String, ChatError> {
        let response = self
            .http
            .post(&self.url)
            .body(prompt.to_owned())
            .send()
            .await?;
        Ok(classify::reqwest::error_for_status(response)?
            .text()
            .await?)
    }

    /// The fallback: while the circuit is open, the last answer to the same prompt.
    async fn reply(&self, prompt: &str) -> String {
        match self.ask(prompt).await {
            Ok(answer) => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.insert(prompt.to_owned(), answer.clone());
                answer
            }
            Err(ChatError::Open(open)) => {
                let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                match cache.get(prompt) {
                    Some(answer) => format!("{answer} (cached: {open})"),
                    None => format!("unavailable: {open}"),
                }
            }
            Err(ChatError::Http(e)) => format!("failed: {}", staunch_examples::report(&e)),
            Err(ChatError::Timeout(e)) => format!("failed: {}", staunch_examples::report(&e)),
        }
    }
}

async fn start_api() -> String {
    let requests = Arc::new(AtomicU32::new(0));
    let app = Router::new().route(
        "/v1/chat",
        post(move |prompt: String| {
            // Relaxed: only the count matters.
            let n = requests.fetch_add(1, Ordering::Relaxed) + 1;
            async move {
                match n {
                    1 => (StatusCode::OK, format!("answer to {prompt:?}")),
                    2..=4 => (StatusCode::BAD_GATEWAY, "upstream down".to_owned()),
                    _ => (StatusCode::OK, format!("fresh answer to {prompt:?}")),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1/chat")
}

#[tokio::main]
async fn main() {
    // Settings: the `.env` file over the LLM preset's defaults, installed before first use.
    let dir = std::env::temp_dir().join(format!("staunch-monitor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let env_file = dir.join(".env");
    std::fs::write(&env_file, ENV_FILE).expect("write .env");
    let settings = ResilienceSettings::loader()
        .prefix(LLM.prefix())
        .defaults(LLM.defaults())
        .env_file(&env_file)
        .load()
        .expect("valid settings in .env");
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "settings from .env: failure_threshold={} recovery_timeout={:?} max_attempts={}",
        settings.circuit_failure_threshold,
        settings.circuit_recovery_timeout,
        settings.retry_max_attempts
    );
    LLM.install(&settings).expect("LLM preset installed once");

    // The monitor loop: every state change of the shared breaker, as it happens.
    let mut states = LLM_CIRCUIT_BREAKER.watch();
    let monitor = tokio::spawn(async move {
        let mut seen = Vec::new();
        while states.changed().await.is_ok() {
            let state = *states.borrow_and_update();
            println!("  monitor: `llm` is now {state}");
            seen.push(state.to_string());
        }
        seen
    });

    let chat = ChatService {
        http: reqwest::Client::new(),
        url: start_api().await,
        cache: Mutex::default(),
    };
    for round in 1..=4 {
        let answer = chat.reply("weather?").await;
        println!("round {round}: {answer}");
    }
    tokio::time::sleep(settings.circuit_recovery_timeout + Duration::from_millis(50)).await;
    println!(
        "after the recovery timeout: {}",
        chat.reply("weather?").await
    );

    let snapshot = Registry::global().snapshot();
    let llm = &snapshot.0["llm"];
    println!(
        "dashboard view: {{\"llm\": {{\"state\": \"{}\", \"failure_count\": {}}}}}",
        llm.state, llm.failure_count
    );
    // Let the monitor see the last change, then stop it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    monitor.abort();
}
