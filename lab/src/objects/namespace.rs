//! A Namespace as the API server keeps it: the name label it adds, managed fields, status.

use super::{StringMap, extend, field_keys, ids};
use serde_json::{Value, json};

/// A Namespace to print.
#[derive(Clone, Debug)]
pub struct Namespace {
    name: String,
    labels: StringMap,
}

impl Namespace {
    /// Namespace `name`, with the `kubernetes.io/metadata.name` label every namespace has.
    pub fn new(name: &str) -> Namespace {
        let mut labels = StringMap::new();
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        Namespace {
            name: name.into(),
            labels,
        }
    }

    /// Adds the labels of a JSON object.
    pub fn labels(mut self, labels: Value) -> Namespace {
        extend(&mut self.labels, &labels);
        self
    }

    /// The object, as `kubectl get -o json` prints it.
    pub fn build(&self) -> Value {
        let created = ids::timestamp(ids::number(&self.name) as u64 % 86_400);
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "creationTimestamp": created,
                "labels": self.labels,
                "managedFields": [{
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": field_keys(&self.labels)}},
                    "manager": "kubectl-create",
                    "operation": "Update",
                    "time": created,
                }],
                "name": self.name,
                "resourceVersion": (500 + ids::number(&self.name) % 1000).to_string(),
                "uid": ids::object_uid("Namespace", "", &self.name),
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        })
    }
}
