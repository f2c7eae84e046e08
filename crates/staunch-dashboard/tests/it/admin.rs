//! Admin actions: enabled by a token, refused without it.

use serde_json::json;

use crate::support::{trip, Server, TOKEN};

async fn post(server: &Server, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut request = server.http.post(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn actions_work_with_the_token() {
    let server = Server::with_admin().await;
    let llm = server.breaker("llm");
    let steps = [
        ("force-open", "forced_open"),
        ("disable", "disabled"),
        ("close", "closed"),
    ];
    for (action, state) in steps {
        let path = format!("/api/v1/circuits/llm/{action}");
        let (status, body) = post(&server, &path, Some(TOKEN)).await;
        assert_eq!(
            (status, body["state"].clone()),
            (200, json!(state)),
            "{action}"
        );
        assert_eq!(llm.state().as_str(), state);
    }
    trip(&llm);
    let (status, body) = post(&server, "/api/v1/circuits/llm/reset", Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "closed");
    assert_eq!(body["failure_count"], 0);
}

#[tokio::test]
async fn actions_are_refused_without_the_right_token() {
    let server = Server::with_admin().await;
    let wrong = format!("{TOKEN}x");
    for token in [None, Some("nope"), Some(wrong.as_str()), Some("")] {
        let (status, body) = post(&server, "/api/v1/circuits/llm/force-open", token).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body, json!({ "error": "unauthorized" }));
    }
    // Unauthenticated callers cannot probe names either.
    let (status, _) = post(&server, "/api/v1/circuits/nope/reset", None).await;
    assert_eq!(status, 401);
    assert_eq!(server.breaker("llm").state().as_str(), "closed");
}

#[tokio::test]
async fn the_challenge_names_the_scheme() {
    let server = Server::with_admin().await;
    let url = server.url("/api/v1/circuits/llm/reset");
    let response = server.http.post(url).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn unknown_breakers_and_actions_are_404_with_the_token() {
    let server = Server::with_admin().await;
    for path in [
        "/api/v1/circuits/nope/reset",
        "/api/v1/circuits/llm/explode",
    ] {
        let (status, body) = post(&server, path, Some(TOKEN)).await;
        assert_eq!(
            (status, body),
            (404, json!({ "error": "not_found" })),
            "{path}"
        );
    }
}

#[tokio::test]
async fn actions_are_disabled_without_a_configured_token() {
    let server = Server::start().await;
    let (status, body) = post(&server, "/api/v1/circuits/llm/force-open", Some(TOKEN)).await;
    assert_eq!((status, body), (403, json!({ "error": "admin_disabled" })));
    assert_eq!(server.breaker("llm").state().as_str(), "closed");
}
