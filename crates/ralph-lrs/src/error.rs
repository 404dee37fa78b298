//! The errors of the LRS and the one place they become HTTP statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ralph_core::ErrorKind;

/// An LRS failure; its HTTP answer is a JSON object `{"detail": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum LrsError {
    /// Invalid input (body, parameter, header): 400.
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong credentials: 401 with a `WWW-Authenticate` challenge, no detail leaked.
    #[error("invalid authentication credentials")]
    Unauthorized,
    /// Authenticated but not allowed (scope missing, no credentials file): 403.
    #[error("{0}")]
    Forbidden(String),
    /// No such statement: 404.
    #[error("{0}")]
    NotFound(String),
    /// A different statement is stored under the same id: 409.
    #[error("{0}")]
    Conflict(String),
    /// A conditional request (`If-Match`, `If-None-Match`) does not hold: 412.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The request body is over the configured limit: 413.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The store failed: 500 (details are logged, not sent).
    #[error("{0}")]
    Internal(String),
    /// The store cannot be reached: 503.
    #[error("{0}")]
    Unavailable(String),
    /// The configuration is invalid (at startup).
    #[error("{0}")]
    Config(String),
    /// Binding or serving failed (at startup).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl LrsError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) | Self::Config(_) | Self::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ralph_core::Error> for LrsError {
    fn from(err: ralph_core::Error) -> Self {
        let message = err.message().to_owned();
        match err.kind() {
            ErrorKind::InvalidInput => Self::BadRequest(message),
            ErrorKind::Conflict => Self::Conflict(message),
            ErrorKind::PreconditionFailed => Self::PreconditionFailed(message),
            ErrorKind::NotFound => Self::NotFound(message),
            ErrorKind::PermissionDenied => Self::Forbidden(message),
            ErrorKind::Unavailable => Self::Unavailable(message),
            ErrorKind::ConfigInvalid => Self::Config(message),
            _ => Self::Internal(message),
        }
    }
}

impl IntoResponse for LrsError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            Self::Internal(_) | Self::Io(_) | Self::Config(_) => {
                tracing::error!(target: "ralph", "{self}");
                "internal server error".to_owned()
            }
            Self::Unavailable(_) => {
                tracing::error!(target: "ralph", "{self}");
                "the statement store is unavailable".to_owned()
            }
            other => other.to_string(),
        };
        let mut response =
            (status, axum::Json(serde_json::json!({ "detail": detail }))).into_response();
        if matches!(self, Self::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ralph\""),
            );
        }
        response
    }
}
