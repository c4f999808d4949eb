//! What the API answers when it says no: a status and the contract's error body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sr_contract::ApiError;

#[derive(Debug)]
pub struct ApiFailure {
    status: StatusCode,
    body: ApiError,
}

impl ApiFailure {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiError {
                error: code.into(),
                message: message.into(),
                uuids: Vec::new(),
            },
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", message)
    }

    pub fn forbidden(message: impl Into<String>, uuids: Vec<String>) -> Self {
        let mut failure = Self::new(StatusCode::FORBIDDEN, "forbidden", message);
        failure.body.uuids = uuids;
        failure
    }

    pub fn invalid(message: impl Into<String>, uuids: Vec<String>) -> Self {
        let mut failure = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message);
        failure.body.uuids = uuids;
        failure
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl From<crate::store::StoreError> for ApiFailure {
    fn from(e: crate::store::StoreError) -> Self {
        Self::unavailable(e.to_string())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}
