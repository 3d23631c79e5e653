//! Response bodies of the fake API server: JSON documents and `metav1.Status` failures,
//! shaped as kube-apiserver sends them so the client's error handling is exercised.

use super::resources::Resource;
use super::store::StoreError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::{Response, StatusCode, header};
use serde_json::{Value, json};
use std::convert::Infallible;

/// Every response body: a whole JSON document or a watch stream.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

pub(super) fn json_response(code: StatusCode, value: &Value) -> Response<Body> {
    json_bytes_response(
        code,
        Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
    )
}

/// A response whose body is JSON written already.
pub(super) fn json_bytes_response(code: StatusCode, bytes: Bytes) -> Response<Body> {
    let mut response = Response::new(
        Full::new(bytes)
            .map_err(|never: Infallible| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = code;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A `metav1.Status` failure object.
pub fn status_object(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    })
}

pub(super) fn bad_request(message: String) -> Response<Body> {
    status(StatusCode::BAD_REQUEST, "BadRequest", message)
}

pub(super) fn status(code: StatusCode, reason: &str, message: String) -> Response<Body> {
    json_response(code, &status_object(code.as_u16(), reason, &message))
}

pub(super) fn expired(message: String) -> Response<Body> {
    status(StatusCode::GONE, "Expired", message)
}

pub(super) fn not_found(resource: Resource, name: &str) -> Response<Body> {
    let mut value = status_object(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", resource.plural()),
    );
    value["details"] =
        json!({ "name": name, "group": resource.group(), "kind": resource.plural() });
    json_response(StatusCode::NOT_FOUND, &value)
}

pub(super) fn store_error(resource: Resource, name: &str, error: StoreError) -> Response<Body> {
    match error {
        StoreError::NotFound => not_found(resource, name),
        StoreError::AlreadyExists => status(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", resource.plural()),
        ),
        StoreError::Conflict(message) => status(StatusCode::CONFLICT, "Conflict", message),
        StoreError::Invalid(message) => {
            status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", message)
        }
    }
}
