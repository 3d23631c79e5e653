//! The slice of cluster state the speaker decides from: Services, EndpointSlices and this
//! node's Node, as the Kubernetes API (or a manifest file) describes them. Sources change
//! it through its methods, which keep an index of slices per Service and record which
//! Services a change touched, so the decision can be recomputed for those alone.

use crate::decide::endpoints::SERVICE_NAME_LABEL;
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// What changed since the decision last looked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dirty {
    /// Everything may have changed (a relist, a new file set, the Node).
    All,
    /// Only these Services (their object, or one of their slices).
    Services(BTreeSet<ObjectKey>),
}

impl Default for Dirty {
    fn default() -> Self {
        Dirty::Services(BTreeSet::new())
    }
}

impl Dirty {
    fn service(&mut self, key: ObjectKey) {
        if let Dirty::Services(keys) = self {
            keys.insert(key);
        }
    }
}

/// Everything the decision needs to know about the cluster.
#[derive(Clone, Debug)]
pub struct ClusterState {
    services: BTreeMap<ObjectKey, Service>,
    endpoint_slices: BTreeMap<ObjectKey, EndpointSlice>,
    slices_by_service: HashMap<ObjectKey, BTreeSet<ObjectKey>>,
    node: Option<Node>,
    dirty: Dirty,
}

impl Default for ClusterState {
    fn default() -> Self {
        ClusterState {
            services: BTreeMap::new(),
            endpoint_slices: BTreeMap::new(),
            slices_by_service: HashMap::new(),
            node: None,
            dirty: Dirty::All,
        }
    }
}

/// The Service a slice belongs to: its `kubernetes.io/service-name` label, same namespace.
fn owner(slice_key: &ObjectKey, slice: &EndpointSlice) -> Option<ObjectKey> {
    let name = slice.metadata.labels.as_ref()?.get(SERVICE_NAME_LABEL)?;
    Some(ObjectKey::new(slice_key.namespace.clone(), name.clone()))
}

impl ClusterState {
    /// Services by namespace/name.
    pub fn services(&self) -> &BTreeMap<ObjectKey, Service> {
        &self.services
    }

    /// EndpointSlices by namespace/name.
    pub fn endpoint_slices(&self) -> &BTreeMap<ObjectKey, EndpointSlice> {
        &self.endpoint_slices
    }

    /// This node, once seen. Absent: no labels and no annotations.
    pub fn node(&self) -> Option<&Node> {
        self.node.as_ref()
    }

    /// The slices of a Service.
    pub fn slices_of<'a>(
        &'a self,
        service: &ObjectKey,
    ) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
        self.slices_by_service
            .get(service)
            .into_iter()
            .flatten()
            .filter_map(|k| self.endpoint_slices.get(k))
    }

    /// Adds or replaces a Service.
    pub fn upsert_service(&mut self, key: ObjectKey, service: Service) {
        self.dirty.service(key.clone());
        self.services.insert(key, service);
    }

    /// Removes a Service.
    pub fn remove_service(&mut self, key: &ObjectKey) {
        if self.services.remove(key).is_some() {
            self.dirty.service(key.clone());
        }
    }

    /// Adds or replaces an EndpointSlice.
    pub fn upsert_slice(&mut self, key: ObjectKey, slice: EndpointSlice) {
        self.remove_slice(&key);
        if let Some(service) = owner(&key, &slice) {
            self.slices_by_service
                .entry(service.clone())
                .or_default()
                .insert(key.clone());
            self.dirty.service(service);
        }
        self.endpoint_slices.insert(key, slice);
    }

    /// Removes an EndpointSlice.
    pub fn remove_slice(&mut self, key: &ObjectKey) {
        let Some(old) = self.endpoint_slices.remove(key) else {
            return;
        };
        if let Some(service) = owner(key, &old) {
            if let Some(set) = self.slices_by_service.get_mut(&service) {
                set.remove(key);
                if set.is_empty() {
                    self.slices_by_service.remove(&service);
                }
            }
            self.dirty.service(service);
        }
    }

    /// Sets (or clears) this node. Its labels and annotations affect every Service.
    pub fn set_node(&mut self, node: Option<Node>) {
        let same = match (&self.node, &node) {
            (Some(a), Some(b)) => {
                a.metadata.labels == b.metadata.labels
                    && a.metadata.annotations == b.metadata.annotations
            }
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.dirty = Dirty::All;
        }
        self.node = node;
    }

    /// Replaces every Service (a relist).
    pub fn replace_services(&mut self, services: BTreeMap<ObjectKey, Service>) {
        self.services = services;
        self.dirty = Dirty::All;
    }

    /// Replaces every EndpointSlice (a relist).
    pub fn replace_slices(&mut self, slices: BTreeMap<ObjectKey, EndpointSlice>) {
        self.endpoint_slices.clear();
        self.slices_by_service.clear();
        for (key, slice) in slices {
            self.upsert_slice(key, slice);
        }
        self.dirty = Dirty::All;
    }

    /// Replaces everything (a new set of manifest files).
    pub fn replace_all(&mut self, other: ClusterState) {
        *self = ClusterState {
            dirty: Dirty::All,
            ..other
        };
    }

    /// What changed since the last call; resets the record.
    pub fn take_dirty(&mut self) -> Dirty {
        std::mem::take(&mut self.dirty)
    }
}
