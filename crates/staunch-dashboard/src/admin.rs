//! Admin actions on one breaker, behind a bearer token compared in constant time.
//!
//! The actions exist only when the dashboard was built with
//! [`Dashboard::admin_token`](crate::Dashboard::admin_token); otherwise they answer
//! `403 {"error": "admin_disabled"}`. A missing or wrong token answers
//! `401 {"error": "unauthorized"}` before the breaker's name is even looked at, so
//! unauthenticated callers learn nothing about which breakers exist.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use staunch::{CircuitBreaker, Snapshot};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// The actions, by the last segment of their path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Reset,
    ForceOpen,
    Disable,
    Close,
}

impl Action {
    fn parse(segment: &str) -> Option<Self> {
        match segment {
            "reset" => Some(Action::Reset),
            "force-open" => Some(Action::ForceOpen),
            "disable" => Some(Action::Disable),
            "close" => Some(Action::Close),
            _ => None,
        }
    }

    fn apply(self, breaker: &CircuitBreaker) {
        match self {
            Action::Reset => breaker.reset(),
            Action::ForceOpen => breaker.force_open(),
            Action::Disable => breaker.disable(),
            Action::Close => breaker.close(),
        }
    }
}

/// `POST /api/v1/circuits/{name}/{action}`: applies the action and answers with the
/// breaker's snapshot afterwards.
pub(crate) async fn act(
    State(state): State<AppState>,
    Path((name, action)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Snapshot>, ApiError> {
    authorize(&state, &headers)?;
    let action = Action::parse(&action).ok_or(ApiError::NotFound)?;
    let breaker = state.registry().get(&name).ok_or(ApiError::NotFound)?;
    action.apply(&breaker);
    Ok(Json(breaker.snapshot()))
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let expected = state.admin_token().ok_or(ApiError::AdminDisabled)?;
    let given = bearer_token(headers).ok_or(ApiError::Unauthorized)?;
    // Constant time over the bytes; only the length can be learned from timing.
    if bool::from(given.ct_eq(expected)) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(
            bearer_token(&headers("Bearer s3cret")),
            Some(&b"s3cret"[..])
        );
        assert_eq!(
            bearer_token(&headers("bearer s3cret")),
            Some(&b"s3cret"[..])
        );
        assert_eq!(bearer_token(&headers("Basic czNjcmV0")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn parses_the_four_actions() {
        let names = ["reset", "force-open", "disable", "close"];
        let actions = names.map(Action::parse);
        let expected = [
            Action::Reset,
            Action::ForceOpen,
            Action::Disable,
            Action::Close,
        ];
        assert_eq!(actions, expected.map(Some));
        assert_eq!(Action::parse("force_open"), None);
    }
}
