//! Errors of the API, as a status and a JSON body naming only the kind of error.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An API error. The body is `{"error": "<kind>"}`: no message, no echo of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// No breaker of that name, or no such route under `/api/v1`.
    NotFound,
    /// An admin action without the configured bearer token, or with a wrong one.
    Unauthorized,
    /// An admin action on a dashboard built without an admin token.
    AdminDisabled,
    /// A request for a host name the dashboard does not answer (DNS rebinding).
    HostNotAllowed,
    /// An event stream beyond the cap on concurrent streams.
    TooManyStreams,
}

impl ApiError {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            ApiError::NotFound => "not_found",
            ApiError::Unauthorized => "unauthorized",
            ApiError::AdminDisabled => "admin_disabled",
            ApiError::HostNotAllowed => "host_not_allowed",
            ApiError::TooManyStreams => "too_many_streams",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::AdminDisabled | ApiError::HostNotAllowed => StatusCode::FORBIDDEN,
            ApiError::TooManyStreams => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.kind() });
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // Readers reconnect on their own; say when a place is likely free.
            ApiError::TooManyStreams => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// The fallback for unknown routes under `/api/v1`.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}
