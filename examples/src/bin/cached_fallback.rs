//! The seed's fallback: when the LLM circuit is open, answer from a cache instead of
//! failing. The model is an in-process fake that fails until the circuit opens.
//!
//! Run with `cargo run -p staunch-examples --bin cached_fallback`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use staunch::policy::PolicyErrorKind;
use staunch::{CircuitBreaker, Policy, PolicyError};

#[derive(Debug)]
struct ModelError;

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the model is unavailable")
    }
}

impl std::error::Error for ModelError {}

struct Assistant {
    policy: Policy,
    cache: Mutex<HashMap<String, String>>,
}

impl Assistant {
    async fn answer(&self, question: &str) -> Result<String, PolicyError<ModelError>> {
        let cached = self.cache.lock().unwrap().get(question).cloned();
        let answer = self
            .policy
            .call(|| async { Err::<String, _>(ModelError) })
            .fallback(|err| match (err.kind(), cached) {
                // The dependency is down: serve the cached answer if there is one.
                (PolicyErrorKind::BreakerOpen, Some(answer)) => Ok(format!("{answer} (cached)")),
                _ => Err(err),
            })
            .await?;
        self.cache
            .lock()
            .unwrap()
            .insert(question.to_owned(), answer.clone());
        Ok(answer)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let breaker = CircuitBreaker::builder("assistant")
        .failure_threshold(2)
        .build()
        .expect("valid");
    let policy = Policy::builder("assistant")
        .breaker(breaker)
        .max_attempts(2)
        .wait_min(Duration::from_millis(20))
        .build()
        .expect("valid");
    let assistant = Assistant {
        policy,
        cache: Mutex::default(),
    };
    assistant
        .cache
        .lock()
        .unwrap()
        .insert("weather?".into(), "sunny, 21 °C".into());

    for round in 1..=2 {
        match assistant.answer("weather?").await {
            Ok(answer) => println!("round {round}: {answer}"),
            // The policy's message, then its cause: the model's own error.
            Err(err) => println!("round {round}: {}", staunch_examples::report(&err)),
        }
    }
    println!("circuit: {}", assistant.policy.breaker().state());
}
