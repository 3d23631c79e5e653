//! The slice of cluster state the speaker decides from: Services, EndpointSlices and this
//! node's Node, as the Kubernetes API (or a manifest file) describes them. Sources fill it;
//! [`crate::decide`] reads it.

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use std::collections::BTreeMap;
use std::fmt;

/// Namespace and name of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// A key.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> ObjectKey {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The key of an object from its metadata; `None` when it has no name. A missing
    /// namespace is `default`, as kubectl assumes for namespaced objects.
    pub fn of(
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    ) -> Option<ObjectKey> {
        let name = meta.name.clone()?;
        let namespace = meta
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        Some(ObjectKey { namespace, name })
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Everything the decision needs to know about the cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterState {
    /// Services by namespace/name.
    pub services: BTreeMap<ObjectKey, Service>,
    /// EndpointSlices by namespace/name.
    pub endpoint_slices: BTreeMap<ObjectKey, EndpointSlice>,
    /// This node, once seen. Absent: no labels and no annotations.
    pub node: Option<Node>,
}
