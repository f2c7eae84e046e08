//! The `Host` allow-list: a defence against DNS rebinding.
//!
//! A web page on another origin can make a browser send requests to the dashboard through
//! a name it controls that resolves to the dashboard's address (`rebind.attacker.example`
//! → `127.0.0.1`). The browser then treats the answers as same-origin to the attacker and
//! lets the page read the JSON API. Such requests carry the attacker's name in `Host`, so
//! the dashboard answers only the names it is known by: the loopback names by default,
//! those given to [`Dashboard::allowed_hosts`](crate::Dashboard::allowed_hosts) behind a
//! load balancer or a proxy.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The names a dashboard answers by default: the loopback ones.
pub(crate) const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The allowed names, lower-case and without port; `None` allows any.
#[derive(Clone, Debug)]
pub(crate) struct AllowedHosts(Option<Vec<String>>);

impl AllowedHosts {
    pub(crate) fn loopback() -> Self {
        Self::names(LOOPBACK)
    }

    pub(crate) fn any() -> Self {
        Self(None)
    }

    pub(crate) fn names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let names = names
            .into_iter()
            .map(|name| without_port(name.as_ref()).to_ascii_lowercase())
            .collect();
        Self(Some(names))
    }

    /// Whether a request naming `host` (as in its `Host` header) is answered.
    pub(crate) fn allows(&self, host: Option<&str>) -> bool {
        let Some(names) = &self.0 else {
            return true;
        };
        host.map(without_port).is_some_and(|name| {
            names
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(name))
        })
    }

    /// The allowed names, `None` for any.
    pub(crate) fn list(&self) -> Option<&[String]> {
        self.0.as_deref()
    }
}

/// `name`, `name:port`, `[v6]` or `[v6]:port` without the port.
fn without_port(host: &str) -> &str {
    let host = host.trim();
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Answers `403 {"error": "host_not_allowed"}` to a request for a name not allowed.
pub(crate) async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if state.allowed_hosts().allows(host) {
        next.run(request).await
    } else {
        ApiError::HostNotAllowed.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_ignored_and_names_compared_without_case() {
        let allowed = AllowedHosts::loopback();
        for host in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1:1",
            "[::1]",
            "[::1]:80",
        ] {
            assert!(allowed.allows(Some(host)), "{host}");
        }
        for host in [
            "localhost.example",
            "127.0.0.2",
            "[::2]:80",
            "",
            "localhost:x",
        ] {
            assert!(!allowed.allows(Some(host)), "{host}");
        }
        assert!(!allowed.allows(None));
        assert!(AllowedHosts::any().allows(None));
        assert!(AllowedHosts::names(["Dash.Example.com:443"]).allows(Some("dash.example.com")));
    }
}
