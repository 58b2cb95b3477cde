//! One table of error codes for every API surface.
//!
//! Library errors map into an [`ErrorCode`] once, at the edge; the HTTP layer
//! turns it into a status and a stable machine-readable name. CLI commands
//! print the same name. Adding a code: add a variant, give it a status and a
//! name in the two `match`es below, and document it in `docs/errors.md`.

use serde::Serialize;

/// A stable, machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body is not valid JSON or does not match the expected shape.
    MalformedRequest,
    /// An event names a type the platform does not know.
    UnknownEventType,
    /// An event's envelope or data failed validation.
    InvalidEvent,
    /// The request body exceeds the configured limit.
    PayloadTooLarge,
    /// The requested record does not exist (in this tenant).
    NotFound,
    /// The change conflicts with the current state (e.g. a forbidden lifecycle transition).
    Conflict,
    /// An `If-Match` precondition failed: the record changed since it was read.
    PreconditionFailed,
    /// A parameter is out of range or otherwise invalid.
    InvalidArgument,
    /// No valid credential: missing, malformed, unknown, expired or revoked.
    Unauthenticated,
    /// The credential is valid but may not do this (permission or tenant).
    Forbidden,
    /// Too many requests for this credential, or the account is locked after failed logins.
    RateLimited,
    /// The event bus is unreachable or refused the publish; nothing was acknowledged.
    BusUnavailable,
    /// The store is unreachable.
    StoreUnavailable,
    /// The object store is unreachable.
    ObjectStoreUnavailable,
    /// An unexpected internal failure.
    Internal,
}

/// The broad class of a failure; decides retry behaviour and status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller sent something wrong; retrying the same input fails again.
    Invalid,
    /// A dependency is down; retrying later may succeed.
    Unavailable,
    /// Not found.
    NotFound,
    /// State conflict.
    Conflict,
    /// A bug or unexpected state.
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::MalformedRequest,
        ErrorCode::UnknownEventType,
        ErrorCode::InvalidEvent,
        ErrorCode::PayloadTooLarge,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PreconditionFailed,
        ErrorCode::InvalidArgument,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::BusUnavailable,
        ErrorCode::StoreUnavailable,
        ErrorCode::ObjectStoreUnavailable,
        ErrorCode::Internal,
    ];

    /// The HTTP status this code maps to.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedRequest
            | ErrorCode::UnknownEventType
            | ErrorCode::InvalidEvent
            | ErrorCode::InvalidArgument => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::BusUnavailable
            | ErrorCode::StoreUnavailable
            | ErrorCode::ObjectStoreUnavailable => 503,
            ErrorCode::Internal => 500,
        }
    }

    /// The stable name, as serialized in API error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::UnknownEventType => "unknown_event_type",
            ErrorCode::InvalidEvent => "invalid_event",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::BusUnavailable => "bus_unavailable",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::ObjectStoreUnavailable => "object_store_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    pub fn kind(self) -> ErrorKind {
        match self.http_status() {
            404 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            503 | 429 => ErrorKind::Unavailable,
            500 => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_name_matches_as_str() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn unavailable_is_503() {
        assert_eq!(ErrorCode::BusUnavailable.http_status(), 503);
        assert_eq!(ErrorCode::BusUnavailable.kind(), ErrorKind::Unavailable);
        assert_eq!(ErrorCode::PayloadTooLarge.kind(), ErrorKind::Invalid);
    }
}
