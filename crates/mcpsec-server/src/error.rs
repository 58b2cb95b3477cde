//! API errors: every failure becomes `{"error": {"code", "message", "details"?}}`
//! with the HTTP status of its [`ErrorCode`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mcpsec_core::ErrorCode;
use serde::Serialize;

/// The error body of every API response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// Per-item errors, e.g. which events of a batch were rejected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ItemError>,
}

/// An error about one item of a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    pub index: usize,
    pub code: ErrorCode,
    pub message: String,
}

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Vec<ItemError>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::warn!(code = %self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                details: self.details,
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<mcpsec_core::store::StoreError> for ApiError {
    fn from(e: mcpsec_core::store::StoreError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<mcpsec_core::bus::BusError> for ApiError {
    fn from(e: mcpsec_core::bus::BusError) -> Self {
        // Any bus failure on publish means nothing was acknowledged: tell the
        // client to retry (503), whatever the underlying cause.
        ApiError::new(ErrorCode::BusUnavailable, e.to_string())
    }
}
