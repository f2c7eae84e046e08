//! `#[resilient]`: retry outside, breaker inside.

use std::io;
use std::sync::LazyLock;

use staunch::{resilient, CircuitBreaker, CircuitOpen, Verdict};

#[derive(Debug)]
enum ChatError {
    RateLimited,
    Io(io::Error),
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ChatError {
    fn from(open: CircuitOpen) -> Self {
        ChatError::Open(open)
    }
}

impl From<staunch::AttemptTimeout> for ChatError {
    fn from(timeout: staunch::AttemptTimeout) -> Self {
        ChatError::Io(io::Error::new(io::ErrorKind::TimedOut, timeout))
    }
}

impl From<io::Error> for ChatError {
    fn from(error: io::Error) -> Self {
        ChatError::Io(error)
    }
}

fn verdict(error: &ChatError) -> Verdict {
    match error {
        ChatError::RateLimited | ChatError::Io(_) => Verdict::TRANSIENT,
        ChatError::Open(_) => Verdict::FATAL,
    }
}

static LLM: LazyLock<CircuitBreaker> =
    LazyLock::new(|| CircuitBreaker::builder("pass-llm").failure_threshold(5).build().unwrap());

#[resilient(max_attempts = 3, failure_threshold = 5, recovery_timeout = 60, when = |e| matches!(e, ChatError::RateLimited))]
async fn complete(prompt: &str) -> Result<String, ChatError> {
    Ok(prompt.to_uppercase())
}

#[resilient(LLM, max_attempts = 2, classify = verdict, jitter = "full", seed = 1)]
fn complete_blocking(prompt: &str) -> Result<String, ChatError> {
    let _ = std::str::from_utf8(prompt.as_bytes()).map_err(io::Error::other)?;
    Ok(prompt.to_owned())
}

#[resilient]
fn defaults() -> Result<(), ChatError> {
    Ok(())
}

struct ChatService {
    history: Vec<String>,
}

impl ChatService {
    #[resilient(breaker = LLM, max_attempts = 3, wait_min = "100ms", wait_max = "1s")]
    async fn chat(&mut self, message: &str) -> Result<usize, ChatError> {
        self.history.push(message.to_owned());
        Ok(self.history.len())
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(runtime.block_on(complete("hi")).unwrap(), "HI");
    assert_eq!(complete_blocking("hey").unwrap(), "hey");
    defaults().unwrap();
    let mut service = ChatService { history: Vec::new() };
    assert_eq!(runtime.block_on(service.chat("hello")).unwrap(), 1);
}
