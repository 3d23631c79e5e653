//! The write verbs: create, replace (update) and patch (merge, strategic merge as merge,
//! server-side apply as merge-or-create), each notifying the watches.

use super::Shared;
use super::resources::Resource;
use super::response::{Body, bad_request, json_response, not_found, status, store_error};
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// The JSON body; the error is the message of a 400.
fn parse_body(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))
}

/// Puts the URL's namespace into the object, refusing a different one in the body; the
/// error is the message of a 400.
fn place(object: &mut Value, namespace: Option<&str>) -> Result<(), String> {
    let Some(ns) = namespace else { return Ok(()) };
    let Some(meta) = object
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return Err("the body is not an object with metadata".into());
    };
    match meta.get("namespace").and_then(Value::as_str) {
        Some(body_ns) if body_ns != ns => Err(format!(
            "the namespace of the provided object ({body_ns}) does not match the namespace sent on the request ({ns})"
        )),
        _ => {
            meta.insert("namespace".into(), json!(ns));
            Ok(())
        }
    }
}

/// The JSON body with the URL's namespace put in (see [`place`]); the error is the
/// message of a 400.
fn placed_body(body: &Bytes, namespace: Option<&str>) -> Result<Value, String> {
    let mut object = parse_body(body)?;
    place(&mut object, namespace)?;
    Ok(object)
}

pub(super) fn create(
    shared: &Shared,
    resource: Resource,
    namespace: Option<&str>,
    body: &Bytes,
) -> Response<Body> {
    let object = match placed_body(body, namespace) {
        Ok(v) => v,
        Err(message) => return bad_request(message),
    };
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let result = shared.lock_store().create(resource, object);
    shared.notify_change();
    match result {
        Ok(stored) => json_response(StatusCode::CREATED, &stored),
        Err(e) => store_error(resource, &name, e),
    }
}

pub(super) fn replace(
    shared: &Shared,
    resource: Resource,
    namespace: Option<&str>,
    name: &str,
    body: &Bytes,
) -> Response<Body> {
    let object = match placed_body(body, namespace) {
        Ok(v) => v,
        Err(message) => return bad_request(message),
    };
    if object.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the name of the object does not match the name on the URL".into(),
        );
    }
    let result = shared.lock_store().replace(resource, object);
    shared.notify_change();
    match result {
        Ok(stored) => json_response(StatusCode::OK, &stored),
        Err(e) => store_error(resource, name, e),
    }
}

pub(super) fn patch(
    shared: &Shared,
    resource: Resource,
    namespace: Option<&str>,
    name: &str,
    content_type: &str,
    body: &Bytes,
) -> Response<Body> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    // Strategic merge is approximated by a JSON merge patch (lists are replaced whole);
    // server-side apply (whose body kube sends as JSON) by merge-or-create.
    let apply = match media {
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => false,
        "application/apply-patch+yaml" => true,
        other => {
            return status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("the fake API server does not support patches of type {other:?}"),
            );
        }
    };
    let patch = match parse_body(body) {
        Ok(v) => v,
        Err(message) => return bad_request(message),
    };
    let mut store = shared.lock_store();
    let current = store.get(resource, namespace.unwrap_or(""), name).cloned();
    let mut object = match (current, apply) {
        (Some(current), _) => current,
        (None, true) => json!({ "metadata": { "name": name } }),
        (None, false) => return not_found(resource, name),
    };
    merge_patch(&mut object, &patch);
    if let Err(message) = place(&mut object, namespace) {
        return bad_request(message);
    }
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("name".into(), json!(name));
    }
    let result = store.put(resource, object);
    drop(store);
    shared.notify_change();
    match result {
        Ok(stored) => json_response(StatusCode::OK, &stored),
        Err(e) => store_error(resource, name, e),
    }
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes, anything else
/// replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}
