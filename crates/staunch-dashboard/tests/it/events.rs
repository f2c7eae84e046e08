//! The server-sent-events stream.

use futures_util::StreamExt;
use serde_json::Value;

use crate::support::{trip, Server, IO_TIMEOUT};

/// Reads server-sent events from a response body, one `(event, data)` at a time.
struct Events {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buffer: String,
}

impl Events {
    async fn open(server: &Server) -> Self {
        let response = server.get("/api/v1/events").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event with data, skipping keep-alive comments.
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    frame
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::to_owned)
                };
                if let (Some(kind), Some(data)) = (field("event: "), field("data: ")) {
                    return (kind, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(IO_TIMEOUT, self.body.next())
                .await
                .expect("no event in time")
                .expect("stream ended")
                .unwrap();
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn a_snapshot_comes_first() {
    let server = Server::start().await;
    let mut events = Events::open(&server).await;
    let (kind, data) = events.next().await;
    assert_eq!(kind, "snapshot");
    assert_eq!(data["llm"]["state"], "closed");
    assert_eq!(data.as_object().unwrap().len(), 3);
}

#[tokio::test]
async fn transitions_caused_during_the_test_are_delivered() {
    let server = Server::start().await;
    let mut events = Events::open(&server).await;
    assert_eq!(events.next().await.0, "snapshot");

    trip(&server.breaker("database"));
    let (kind, data) = events.next().await;
    assert_eq!(kind, "transition");
    assert_eq!(data["name"], "database");
    assert_eq!(data["from"], "closed");
    assert_eq!(data["to"], "open");
    assert_eq!(data["snapshot"]["state"], "open");
    assert_eq!(data["snapshot"]["failure_count"], 3);

    server.breaker("database").reset();
    let (kind, data) = events.next().await;
    assert_eq!(kind, "transition");
    assert_eq!(
        (data["from"].clone(), data["to"].clone()),
        ("open".into(), "closed".into())
    );
}

#[tokio::test]
async fn breakers_registered_later_are_followed_too() {
    let server = Server::start().await;
    let mut events = Events::open(&server).await;
    assert_eq!(events.next().await.0, "snapshot");
    let late = crate::support::breaker("late", &server.fake);
    server.registry.insert(late.clone());
    trip(&late);
    let (kind, data) = events.next().await;
    assert_eq!(
        (kind.as_str(), data["name"].as_str()),
        ("transition", Some("late"))
    );
}

#[test]
fn dropping_the_router_removes_its_listener() {
    let registry = std::sync::Arc::new(staunch::Registry::new());
    let listeners = || format!("{registry:?}");
    assert!(listeners().contains("listeners: 0"), "{}", listeners());
    let app = staunch_dashboard::router(std::sync::Arc::clone(&registry));
    assert!(listeners().contains("listeners: 1"), "{}", listeners());
    drop(app);
    assert!(listeners().contains("listeners: 0"), "{}", listeners());
}
