//! Discovery documents: the version, API versions, groups and resource lists a client
//! reads before it lists or watches.

use super::resources::Resource;
use super::response::{Body, json_response, status};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

pub(super) fn version() -> Value {
    json!({
        "major": "1", "minor": "33", "gitVersion": "v1.33.0-fake",
        "gitCommit": "", "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "fake", "compiler": "fake", "platform": "linux/amd64",
    })
}

pub(super) fn api_versions() -> Value {
    json!({
        "kind": "APIVersions", "apiVersion": "v1", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1" }],
    })
}

pub(super) fn api_groups() -> Value {
    let groups: Vec<Value> = ["discovery.k8s.io", "events.k8s.io"]
        .iter()
        .map(|g| {
            let gv = json!({ "groupVersion": format!("{g}/v1"), "version": "v1" });
            json!({ "name": g, "versions": [gv.clone()], "preferredVersion": gv })
        })
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

pub(super) fn resource_list(group: &str, version: &str) -> Response<Body> {
    let resources: Vec<Value> = Resource::ALL
        .into_iter()
        .filter(|r| r.group() == group && r.version() == version)
        .map(|r| {
            json!({
                "name": r.plural(), "singularName": r.kind().to_ascii_lowercase(),
                "namespaced": r.namespaced(), "kind": r.kind(),
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            })
        })
        .collect();
    if resources.is_empty() {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no group version {group}/{version}"),
        );
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json_response(
        StatusCode::OK,
        &json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources }),
    )
}
