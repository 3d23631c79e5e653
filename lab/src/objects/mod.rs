//! Kubernetes objects as a real cluster prints them (`kubectl get -o json`): managed
//! fields, the last-applied annotation, defaulted spec fields, status, owner and Pod
//! references. Every test, the workload generator and the fake API server's fixtures
//! build their Services, EndpointSlices, Nodes and Namespaces here, so parsing and memory
//! costs that bare fixtures would hide are met everywhere.
//!
//! Each builder starts from the fewest facts a test states (a name, addresses, a node)
//! and fills in the rest deterministically: the same calls always give the same bytes.

pub mod ids;
mod namespace;
mod node;
mod service;
mod slice;

pub use namespace::Namespace;
pub use node::Node;
pub use service::{PORT, Service, TARGET_PORT};
pub use slice::{Endpoint, Slice};

use serde_json::{Map, Value};

/// Labels or annotations as the builders keep them.
pub type StringMap = Map<String, Value>;

/// Adds `(key, value)` pairs from a JSON object (as tests write them with `json!`) to
/// `map`; anything that is not an object adds nothing.
fn extend(map: &mut StringMap, pairs: &Value) {
    if let Some(pairs) = pairs.as_object() {
        map.extend(pairs.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

/// `f:<key>` entries for the managed fields of a label or annotation map.
fn field_keys(map: &StringMap) -> Value {
    let mut fields = Map::new();
    fields.insert(".".into(), Value::Object(Map::new()));
    for key in map.keys() {
        fields.insert(format!("f:{key}"), Value::Object(Map::new()));
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests;
