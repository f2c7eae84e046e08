//! What makes the dashboard safe to expose: the `Host` allow-list, the content security
//! policy, the admin token's minimum length and the caps on event streams.

use axum::http::header;
use base64::Engine as _;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::support::{trip, Server, IO_TIMEOUT};

async fn status_with_host(server: &Server, path: &str, host: &str) -> u16 {
    let response = server
        .http
        .get(server.url(path))
        .header(header::HOST, host)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn only_loopback_host_names_are_answered_by_default() {
    let server = Server::start().await;
    let port = server.addr.port();
    for path in ["/", "/api/v1/circuits", "/api/v1/events", "/metrics"] {
        for host in [
            "attacker.example".to_owned(),
            format!("attacker.example:{port}"),
            format!("localhost.attacker.example:{port}"),
            format!("127.0.0.1.nip.io:{port}"),
        ] {
            assert_eq!(
                status_with_host(&server, path, &host).await,
                403,
                "{host}{path}"
            );
        }
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_owned(),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(
            status_with_host(&server, "/api/v1/circuits", &host).await,
            200,
            "{host}"
        );
    }
    let response = server
        .http
        .get(server.url("/api/v1/circuits"))
        .header(header::HOST, "attacker.example")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "host_not_allowed"}));
}

#[tokio::test]
async fn the_allowed_hosts_are_configurable() {
    let server = Server::serve(|d| d.allowed_hosts(["dash.example.com"])).await;
    let port = server.addr.port();
    assert_eq!(
        status_with_host(&server, "/api/v1/circuits", "dash.example.com").await,
        200
    );
    assert_eq!(
        status_with_host(&server, "/api/v1/circuits", "DASH.example.com:443").await,
        200
    );
    assert_eq!(
        status_with_host(&server, "/api/v1/circuits", &format!("localhost:{port}")).await,
        403
    );
    let any = Server::serve(|d| d.allow_any_host()).await;
    assert_eq!(
        status_with_host(&any, "/api/v1/circuits", "anything.example").await,
        200
    );
}

#[tokio::test]
async fn the_page_runs_only_its_own_hashed_script_and_style() {
    let server = Server::start().await;
    let response = server.get("/").await;
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let inline = |open: &str, close: &str| {
        let start = page.find(open).unwrap() + open.len();
        let end = start + page[start..].find(close).unwrap();
        let digest = Sha256::digest(&page.as_bytes()[start..end]);
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    };
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        directive("script-src "),
        format!("script-src {}", inline("<script>", "</script>"))
    );
    assert_eq!(
        directive("style-src "),
        format!("style-src {}", inline("<style>", "</style>"))
    );
}

#[test]
fn a_short_admin_token_is_refused_naming_the_rule() {
    let err = staunch_dashboard::Dashboard::new(staunch::Registry::global())
        .admin_token("s3cret-token")
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "admin_token");
    assert_eq!(err.value(), "<redacted>");
    assert_eq!(err.reason(), "must be at least 16 characters long (got 12)");
}

#[tokio::test]
async fn event_streams_beyond_the_cap_are_refused() {
    let server = Server::start().await;
    let mut open = Vec::new();
    for _ in 0..64 {
        let response = server.get("/api/v1/events").await;
        assert_eq!(response.status(), 200);
        open.push(response);
    }
    let refused = server.get("/api/v1/events").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "5");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "too_many_streams"}));
    // A stream that ends gives its place back.
    drop(open.pop());
    let reopened = tokio::time::timeout(IO_TIMEOUT, async {
        loop {
            let response = server.get("/api/v1/events").await;
            if response.status() == 200 {
                break response;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the freed place was never given back");
    drop(reopened);
}

/// Runs on one thread: the transitions below all happen before the server's stream task
/// can read any of them, so the reader falls behind the channel deterministically.
#[tokio::test(flavor = "current_thread")]
async fn a_reader_that_falls_behind_is_told_and_dropped() {
    let server = Server::serve(|d| d.event_capacity(2)).await;
    let response = server.get("/api/v1/events").await;
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while !text.contains("event: snapshot") {
        let chunk = tokio::time::timeout(IO_TIMEOUT, body.next()).await.unwrap();
        text.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
    }
    let breaker = server.breaker("llm");
    for _ in 0..3 {
        trip(&breaker);
        breaker.reset();
    }
    let mut rest = String::new();
    let ended = tokio::time::timeout(IO_TIMEOUT, async {
        while let Some(chunk) = body.next().await {
            rest.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream went on after lagging: {rest}");
    assert!(rest.contains("event: lagged\ndata: 4\n"), "{rest}");
    assert!(!rest.contains("event: transition"), "{rest}");
}
