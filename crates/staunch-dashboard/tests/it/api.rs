//! The read-only JSON API.

use serde_json::json;

use crate::support::{trip, Server, RECOVERY};

#[tokio::test]
async fn circuits_have_the_seed_shape() {
    let server = Server::start().await;
    trip(&server.breaker("mcp"));
    let (status, body) = server.get_json("/api/v1/circuits").await;
    assert_eq!(status, 200);
    let all = body.as_object().unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["database", "llm", "mcp"]);
    // The seed's fields, with the seed's values, for every breaker.
    assert_eq!(body["llm"]["state"], "closed");
    assert_eq!(body["llm"]["failure_count"], 0);
    assert_eq!(body["mcp"]["state"], "open");
    assert_eq!(body["mcp"]["failure_count"], 3);
    // The extra fields.
    for field in [
        "failure_rate",
        "rejected_calls",
        "time_in_state_ms",
        "retry_in_ms",
    ] {
        assert!(body["llm"].get(field).is_some(), "missing {field}");
    }
    assert_eq!(
        body["mcp"]["retry_in_ms"],
        json!(RECOVERY.as_millis() as u64)
    );
}

#[tokio::test]
async fn one_circuit_has_its_recent_transitions() {
    let server = Server::start().await;
    let llm = server.breaker("llm");
    trip(&llm);
    server.fake.advance(std::time::Duration::from_secs(2));
    let (status, body) = server.get_json("/api/v1/circuits/llm").await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "llm");
    assert_eq!(body["state"], "open");
    assert_eq!(body["time_in_state_ms"], 2000);
    let transitions = body["recent_transitions"].as_array().unwrap();
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0]["from"], "closed");
    assert_eq!(transitions[0]["to"], "open");
    assert_eq!(transitions[0]["ago_ms"], 2000);
}

#[tokio::test]
async fn unknown_names_and_routes_are_json_404s() {
    let server = Server::start().await;
    for path in ["/api/v1/circuits/nope", "/api/v1/nothing/here"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        // The kind only: no message, no echo of the name asked for.
        assert_eq!(body, json!({ "error": "not_found" }));
    }
}

#[tokio::test]
async fn answers_are_not_cached() {
    let server = Server::start().await;
    let response = server.get("/api/v1/circuits").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_page_is_served_with_its_assets_inline() {
    let server = Server::start().await;
    let response = server.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"));
    let page = response.text().await.unwrap();
    assert!(page.contains("<script>") && page.contains("<style>"));
    assert!(page.contains("api/v1/events"));
}

#[tokio::test]
async fn the_router_nests_under_a_prefix() {
    let server = Server::serve(|d| d).await;
    let app = axum::Router::new().nest(
        "/ops",
        staunch_dashboard::router(std::sync::Arc::clone(&server.registry)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("http://{addr}/ops/api/v1/circuits");
    let body: serde_json::Value = server
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["database"]["state"], "closed");
    task.abort();
}

#[tokio::test]
async fn a_breaker_on_defaults_because_of_a_bad_variable_is_flagged() {
    // The process-wide database preset meets a bad variable at its first use ...
    std::env::set_var("DATABASE_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "lots");
    assert_eq!(
        staunch::presets::DATABASE_CIRCUIT_BREAKER.name(),
        "database"
    );
    // ... and the dashboard flags the breaker of that name.
    let server = Server::start().await;
    let (_, body) = server.get_json("/api/v1/circuits").await;
    let flag = "invalid DATABASE_CIRCUIT_BREAKER_FAILURE_THRESHOLD `lots`: not a whole number";
    assert_eq!(body["database"]["settings_error"], flag);
    assert!(body["llm"].get("settings_error").is_none());
    let (_, one) = server.get_json("/api/v1/circuits/database").await;
    assert_eq!(one["settings_error"], flag);
}

/// A stand-in for a fleet authority (such as `staunch-redis`) reporting its view.
#[derive(Debug)]
struct Fleet;

impl staunch::breaker::Authority for Fleet {
    fn status(&self) -> Option<staunch::breaker::AuthorityStatus> {
        Some(staunch::breaker::AuthorityStatus::new(
            "redis",
            true,
            Some(staunch::CircuitState::Open),
            3,
            7,
        ))
    }
}

#[tokio::test]
async fn a_shared_breaker_shows_the_fleet_next_to_its_own_state() {
    let server = Server::start().await;
    let shared = staunch::CircuitBreaker::builder("fleet")
        .clock(server.fake.clock())
        .authority(std::sync::Arc::new(Fleet))
        .build()
        .unwrap();
    server.registry.insert(shared);
    let (_, body) = server.get_json("/api/v1/circuits").await;
    let expected = json!({"kind": "redis", "connected": true, "fleet_state": "open", "replicas": 3, "generation": 7});
    assert_eq!(body["fleet"]["shared"], expected);
    assert_eq!(body["fleet"]["state"], "closed");
    assert!(body["llm"].get("shared").is_none());
    let (_, one) = server.get_json("/api/v1/circuits/fleet").await;
    assert_eq!(one["shared"], expected);
}
