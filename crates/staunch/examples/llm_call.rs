//! An LLM call guarded by `LLM_CIRCUIT_BREAKER`, the process-wide breaker that every
//! function calling the LLM shares, whatever its error type. The model is an in-process
//! fake that is down.
//!
//! Run with `cargo run -p staunch --example llm_call`.

use std::time::Duration;

use staunch::{BreakerError, Policy, LLM_CIRCUIT_BREAKER};

#[derive(Debug)]
struct CompletionError(&'static str);

impl std::fmt::Display for CompletionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "completion failed: {}", self.0)
    }
}

#[derive(Debug)]
struct EmbeddingError(u16);

impl std::fmt::Display for EmbeddingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "embedding failed with status {}", self.0)
    }
}

async fn complete(prompt: &str) -> Result<String, BreakerError<CompletionError>> {
    // The seed's `@LLM_CIRCUIT_BREAKER`: the breaker alone.
    LLM_CIRCUIT_BREAKER
        .call(|| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = prompt;
            Err::<String, _>(CompletionError("upstream overloaded"))
        })
        .await
}

async fn embed(text: &str) -> Result<Vec<f32>, staunch::PolicyError<EmbeddingError>> {
    // The LLM preset policy: retry, timeout and budget around the same breaker.
    let policy = Policy::llm()
        .to_builder()
        .max_attempts(1)
        .build()
        .expect("valid settings");
    policy
        .call(|| async move {
            let _ = text;
            Err::<Vec<f32>, _>(EmbeddingError(503))
        })
        .await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for i in 0..3 {
        println!(
            "complete: {:?}",
            complete("hello").await.map_err(|e| e.to_string())
        );
        println!(
            "embed:    {:?}",
            embed("hello").await.map_err(|e| e.to_string())
        );
        println!(
            "  `llm` after round {i}: {}, {} failures",
            LLM_CIRCUIT_BREAKER.state(),
            LLM_CIRCUIT_BREAKER.failure_count()
        );
    }
    let snapshot = staunch::Registry::global().snapshot();
    println!("registry: {:?}", snapshot.0.keys().collect::<Vec<_>>());
}
