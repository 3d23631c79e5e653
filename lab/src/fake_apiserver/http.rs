//! The HTTP face of the fake API server: URL routing and the read verbs (list, get,
//! watch, delete). Writes are in [`super::writes`], discovery in [`super::discovery`],
//! watch streams in [`super::watch`].

use super::discovery::{api_groups, api_versions, resource_list, version};
use super::resources::Resource;
use super::response::{
    Body, bad_request, expired, json_bytes_response, json_response, not_found, status, store_error,
};
use super::selector::{FieldSelector, LabelSelector};
use super::watch::{WatchRequest, WatchStart, serve_watch};
use super::writes::{create, patch, replace};
use super::{ConnState, RequestRecord, Shared, Verb};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// What a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Version,
    ApiVersions,
    ApiGroups,
    ResourceList {
        group: String,
        version: String,
    },
    Collection {
        resource: Resource,
        namespace: Option<String>,
    },
    Object {
        resource: Resource,
        namespace: Option<String>,
        name: String,
        /// `status` for `/status`; treated as the whole object.
        subresource: Option<String>,
    },
    Unknown,
}

fn route(path: &str) -> Route {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["api"] => Route::ApiVersions,
        ["apis"] => Route::ApiGroups,
        ["api", version] => Route::ResourceList {
            group: String::new(),
            version: version.to_string(),
        },
        ["apis", group, version] => Route::ResourceList {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        _ => Route::Unknown,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(ns.to_string()), tail),
        _ => (None, rest),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
        _ => return Route::Unknown,
    };
    let Some(resource) = Resource::from_url(group, version, plural) else {
        return Route::Unknown;
    };
    if namespace.is_some() != resource.namespaced() && (name.is_some() || namespace.is_some()) {
        return Route::Unknown;
    }
    match name {
        None => Route::Collection {
            resource,
            namespace,
        },
        Some(name) => Route::Object {
            resource,
            namespace,
            name,
            subresource,
        },
    }
}

/// Query parameters, in order.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

/// Serves one request.
pub async fn handle(
    shared: Arc<Shared>,
    conn: Arc<ConnState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = Query::parse(req.uri().query());
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let route = route(&path);
    let (verb, resource, namespace, name) = classify(&method, &route, &query);

    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let response = status(StatusCode::BAD_REQUEST, "BadRequest", e.to_string());
            return Ok(response);
        }
    };

    let response = match (&method, route) {
        (_, Route::Unknown) => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource {path}"),
        ),
        (&Method::GET, Route::Version) => json_response(StatusCode::OK, &version()),
        (&Method::GET, Route::ApiVersions) => json_response(StatusCode::OK, &api_versions()),
        (&Method::GET, Route::ApiGroups) => json_response(StatusCode::OK, &api_groups()),
        (&Method::GET, Route::ResourceList { group, version }) => resource_list(&group, &version),
        (
            &Method::GET,
            Route::Collection {
                resource,
                namespace,
            },
        ) => {
            if query.flag("watch") {
                watch(&shared, &conn, resource, namespace, &query)
            } else {
                list(&shared, resource, namespace.as_deref(), &query)
            }
        }
        (
            &Method::POST,
            Route::Collection {
                resource,
                namespace,
            },
        ) => create(&shared, resource, namespace.as_deref(), &body),
        (&Method::GET, Route::Object { resource, .. }) => {
            let state = shared.lock_store();
            match state.get(
                resource,
                namespace.as_deref().unwrap_or(""),
                name.as_deref().unwrap_or(""),
            ) {
                Some(object) => json_response(StatusCode::OK, object),
                None => not_found(resource, name.as_deref().unwrap_or("")),
            }
        }
        (&Method::PUT, Route::Object { resource, name, .. }) => {
            replace(&shared, resource, namespace.as_deref(), &name, &body)
        }
        (&Method::PATCH, Route::Object { resource, name, .. }) => patch(
            &shared,
            resource,
            namespace.as_deref(),
            &name,
            &content_type,
            &body,
        ),
        (&Method::DELETE, Route::Object { resource, name, .. }) => {
            let result =
                shared
                    .lock_store()
                    .delete(resource, namespace.as_deref().unwrap_or(""), &name);
            shared.notify_change();
            match result {
                Ok(object) => json_response(StatusCode::OK, &object),
                Err(e) => store_error(resource, &name, e),
            }
        }
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported on {path}"),
        ),
    };

    shared.record(RequestRecord {
        method: method.to_string(),
        path,
        query: query.0,
        verb,
        resource,
        namespace,
        name,
        status: response.status().as_u16(),
    });
    Ok(response)
}

/// The verb and target of a request, for the request log.
fn classify(
    method: &Method,
    route: &Route,
    query: &Query,
) -> (Verb, Option<Resource>, Option<String>, Option<String>) {
    match route {
        Route::Collection {
            resource,
            namespace,
        } => {
            let verb = match *method {
                Method::GET if query.flag("watch") => Verb::Watch,
                Method::GET => Verb::List,
                Method::POST => Verb::Create,
                _ => Verb::Other,
            };
            (verb, Some(*resource), namespace.clone(), None)
        }
        Route::Object {
            resource,
            namespace,
            name,
            ..
        } => {
            let verb = match *method {
                Method::GET => Verb::Get,
                Method::PUT => Verb::Update,
                Method::PATCH => Verb::Patch,
                Method::DELETE => Verb::Delete,
                _ => Verb::Other,
            };
            (verb, Some(*resource), namespace.clone(), Some(name.clone()))
        }
        Route::Version | Route::ApiVersions | Route::ApiGroups | Route::ResourceList { .. } => {
            (Verb::Discovery, None, None, None)
        }
        Route::Unknown => (Verb::Other, None, None, None),
    }
}

/// The selectors of a request; the error is the message of a 400.
fn selectors(query: &Query) -> Result<(LabelSelector, FieldSelector), String> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or(""))?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or(""))?;
    Ok((labels, fields))
}

/// A continue token: the list's resourceVersion and the last key served, so the next
/// page starts after it. Opaque to clients, as the real one is.
fn continue_token(rv: u64, namespace: &str, name: &str) -> String {
    format!("{rv}/{namespace}/{name}")
}

fn parse_continue(token: &str) -> Option<(u64, String, String)> {
    let mut parts = token.splitn(3, '/');
    let rv = parts.next()?.parse().ok()?;
    Some((rv, parts.next()?.to_string(), parts.next()?.to_string()))
}

fn list(
    shared: &Shared,
    resource: Resource,
    namespace: Option<&str>,
    query: &Query,
) -> Response<Body> {
    let (labels, fields) = match selectors(query) {
        Ok(s) => s,
        Err(message) => return bad_request(message),
    };
    let limit = match query.get("limit").map(str::parse::<usize>) {
        None | Some(Ok(0)) => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "limit is not a number".into(),
            );
        }
    };
    let store = shared.lock_store();
    let (list_rv, after) = match query.get("continue").filter(|c| !c.is_empty()) {
        None => (store.resource_version(), None),
        Some(token) => match parse_continue(token) {
            None => {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "invalid continue token".into(),
                );
            }
            Some((rv, _, _)) if rv < store.oldest_resumable() => {
                return expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into());
            }
            Some((rv, ns, name)) => (rv, Some((ns, name))),
        },
    };
    if query.get("resourceVersionMatch") == Some("Exact")
        && let Some(Ok(rv)) = query.get("resourceVersion").map(str::parse::<u64>)
        && rv < store.oldest_resumable()
    {
        return expired(format!(
            "too old resource version: {rv} ({})",
            store.oldest_resumable()
        ));
    }

    let after = after
        .as_ref()
        .map(|(ns, name)| (ns.as_str(), name.as_str()));
    let page = store.page(resource, namespace, after, limit, |object| {
        labels.matches(object) && fields.matches(object)
    });
    let mut metadata = json!({ "resourceVersion": list_rv.to_string() });
    if page.remaining > 0
        && let Some((_, ns, name)) = page.last
    {
        metadata["continue"] = json!(continue_token(list_rv, ns, name));
        metadata["remainingItemCount"] = json!(page.remaining);
    }
    // The envelope as JSON, its closing brace replaced by the items: the stored objects'
    // own JSON.
    let envelope = json!({
        "kind": format!("{}List", resource.kind()),
        "apiVersion": resource.api_version(),
        "metadata": metadata,
    });
    let mut body = serde_json::to_vec(&envelope).unwrap_or_default();
    body.pop();
    body.extend_from_slice(b",\"items\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(b"]}");
    json_bytes_response(StatusCode::OK, body.into())
}

fn watch(
    shared: &Arc<Shared>,
    conn: &Arc<ConnState>,
    resource: Resource,
    namespace: Option<String>,
    query: &Query,
) -> Response<Body> {
    let (labels, fields) = match selectors(query) {
        Ok(s) => s,
        Err(message) => return bad_request(message),
    };
    let rv = query.get("resourceVersion").unwrap_or("");
    let start = if rv.is_empty() || rv == "0" || query.flag("sendInitialEvents") {
        // "0" means "any", and streaming lists ask for the current state first.
        WatchStart::CurrentState
    } else {
        match rv.parse::<u64>() {
            Ok(rv) => WatchStart::After(rv),
            Err(_) => {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("invalid resourceVersion {rv:?}"),
                );
            }
        }
    };
    let timeout = match query.get("timeoutSeconds").map(str::parse::<u64>) {
        Some(Ok(s)) => Duration::from_secs(s),
        _ => shared.options.default_watch_timeout,
    };
    let request = WatchRequest {
        resource,
        namespace,
        labels,
        fields,
        start,
        bookmarks: query.flag("allowWatchBookmarks"),
        send_initial_events: query.flag("sendInitialEvents"),
        timeout,
    };
    let body = serve_watch(shared.clone(), conn.clone(), request);
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
