//! Kubernetes objects as the API server (or `kubectl get -o json|yaml`) prints them,
//! deserialized straight into the slim [`super::objects`] types. Every field the rules do
//! not read is skipped by the parser without being stored: managedFields, the
//! last-applied annotation, status, targetRef, ports. The watch types implement
//! [`kube::Resource`] for the real group, version and kind, so kube-rs watchers hand out
//! these partial objects and never a full one.

use super::objects::{
    AddressFamily, EndpointInfo, ExternalIp, NamespaceInfo, NodeInfo, ServiceInfo, SliceInfo,
};
use crate::annotations;
use crate::decide::SERVICE_PROXY_NAME_LABEL;
use crate::decide::endpoints::SERVICE_NAME_LABEL;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// Which map entries of a label or annotation map to keep.
pub(super) trait Keep {
    fn keep(key: &str) -> bool;
}

/// The labels a Service or EndpointSlice rule reads.
pub(super) struct RuleLabels;
impl Keep for RuleLabels {
    fn keep(key: &str) -> bool {
        key == SERVICE_NAME_LABEL || key == SERVICE_PROXY_NAME_LABEL
    }
}

/// Every label (a Node's: `node_selector` may name any).
struct AllLabels;
impl Keep for AllLabels {
    fn keep(_: &str) -> bool {
        true
    }
}

/// Our own annotations only.
struct OwnAnnotations;
impl Keep for OwnAnnotations {
    fn keep(key: &str) -> bool {
        key.starts_with(annotations::PREFIX)
    }
}

/// A string map of which only the entries `K` keeps are stored; the others are skipped
/// unparsed, so a 100 kB last-applied annotation costs nothing.
struct FilteredMap<K>(BTreeMap<String, String>, PhantomData<K>);

impl<'de, K: Keep> Deserialize<'de> for FilteredMap<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K>(PhantomData<K>);
        impl<'de, K: Keep> Visitor<'de> for MapVisitor<K> {
            type Value = FilteredMap<K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FilteredMap(BTreeMap::new(), PhantomData))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(FilteredMap(BTreeMap::new(), PhantomData))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if K::keep(&key) {
                        let value = map.next_value::<Option<String>>()?.unwrap_or_default();
                        out.insert(key.into_owned(), value);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(FilteredMap(out, PhantomData))
            }
        }
        d.deserialize_option(MapVisitor(PhantomData))
    }
}

/// The metadata fields anything here reads, labels and annotations filtered by `L`/`A`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound = "")]
struct MetaWire<L: Keep, A: Keep> {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    #[serde(default = "FilteredMap::empty")]
    labels: FilteredMap<L>,
    #[serde(default = "FilteredMap::empty")]
    annotations: FilteredMap<A>,
    deletion_timestamp: Option<IgnoredAny>,
}

impl<K> FilteredMap<K> {
    fn empty() -> Self {
        FilteredMap(BTreeMap::new(), PhantomData)
    }
}

impl<L: Keep, A: Keep> MetaWire<L, A> {
    fn into_meta(self) -> ObjectMeta {
        let some = |m: BTreeMap<String, String>| (!m.is_empty()).then_some(m);
        ObjectMeta {
            name: self.name,
            namespace: self.namespace,
            uid: self.uid,
            resource_version: self.resource_version,
            labels: some(self.labels.0),
            annotations: some(self.annotations.0),
            // Only its presence is read; the instant itself is not kept.
            deletion_timestamp: self.deletion_timestamp.map(|_| {
                k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
                )
            }),
            ..ObjectMeta::default()
        }
    }
}

fn slim_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    Ok(
        Option::<MetaWire<RuleLabels, OwnAnnotations>>::deserialize(d)?
            .map(MetaWire::into_meta)
            .unwrap_or_default(),
    )
}

pub(super) fn node_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    Ok(
        Option::<MetaWire<AllLabels, OwnAnnotations>>::deserialize(d)?
            .map(MetaWire::into_meta)
            .unwrap_or_default(),
    )
}

/// `null` and absent are the same to every field here.
pub(super) fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A Service as watched: metadata and the spec fields the rules read.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ServiceObject {
    /// Name, namespace, uid, resourceVersion, the proxy-name label, our annotations.
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    /// The spec fields read.
    #[serde(default, deserialize_with = "null_default")]
    pub spec: ServiceSpecWire,
}

/// The `spec` fields of a Service that SPEC 4.1 reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpecWire {
    /// `externalIPs`.
    #[serde(default, rename = "externalIPs", deserialize_with = "null_default")]
    pub external_ips: Vec<String>,
    /// `type`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// `clusterIP`.
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    /// `externalTrafficPolicy`.
    pub external_traffic_policy: Option<String>,
}

impl ServiceObject {
    /// The slim form.
    pub fn into_info(self) -> ServiceInfo {
        service_info(self.metadata, self.spec)
    }
}

pub(super) fn service_info(meta: ObjectMeta, spec: ServiceSpecWire) -> ServiceInfo {
    let mut seen = std::collections::HashSet::new();
    let external_ips: Arc<[ExternalIp]> = spec
        .external_ips
        .into_iter()
        .map(ExternalIp::from_text)
        .filter(|ip| seen.insert(ip.clone()))
        .collect();
    let labels = meta.labels.unwrap_or_default();
    ServiceInfo {
        uid: meta.uid.map(String::into_boxed_str),
        external_ips,
        external_name: spec.type_.as_deref() == Some("ExternalName"),
        headless: spec.cluster_ip.as_deref() == Some("None"),
        other_proxy: labels.contains_key(SERVICE_PROXY_NAME_LABEL),
        local_traffic_policy: spec.external_traffic_policy.as_deref() == Some("Local"),
        annotations: boxed_map(meta.annotations.unwrap_or_default()),
    }
}

fn boxed_map(map: BTreeMap<String, String>) -> BTreeMap<Box<str>, Box<str>> {
    map.into_iter()
        .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
        .collect()
}

/// An EndpointSlice as watched.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SliceObject {
    /// Name, namespace, resourceVersion, the service-name label.
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    /// `addressType`.
    #[serde(default)]
    pub address_type: String,
    /// `endpoints`.
    #[serde(default, deserialize_with = "null_default")]
    pub endpoints: Vec<EndpointWire>,
}

/// One endpoint as printed; only the fields SPEC 4.4 reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointWire {
    /// `addresses`.
    #[serde(default, deserialize_with = "null_default")]
    pub addresses: Vec<String>,
    /// `conditions`.
    #[serde(default, deserialize_with = "null_default")]
    pub conditions: ConditionsWire,
    /// `nodeName`.
    pub node_name: Option<String>,
}

/// `conditions` of an endpoint.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct ConditionsWire {
    /// `ready`.
    pub ready: Option<bool>,
    /// `serving`.
    pub serving: Option<bool>,
    /// `terminating`.
    pub terminating: Option<bool>,
}

impl SliceObject {
    /// The slim form.
    pub fn into_info(self) -> SliceInfo {
        slice_info(self.metadata, &self.address_type, self.endpoints)
    }
}

pub(super) fn slice_info(
    meta: ObjectMeta,
    address_type: &str,
    endpoints: Vec<EndpointWire>,
) -> SliceInfo {
    SliceInfo {
        service: meta
            .labels
            .and_then(|mut l| l.remove(SERVICE_NAME_LABEL))
            .map(String::into_boxed_str),
        family: AddressFamily::from_address_type(address_type),
        endpoints: endpoints
            .into_iter()
            .map(|e| EndpointInfo {
                // The API server validates addresses of IPv4 and IPv6 slices; one that
                // does not parse cannot be reached, so it is not an endpoint.
                addresses: e.addresses.iter().filter_map(|a| a.parse().ok()).collect(),
                node: e.node_name.map(|n| n.into()),
                // SPEC 4.4: missing conditions default to ready, serving, not terminating.
                ready: e.conditions.ready.unwrap_or(true),
                serving: e.conditions.serving.unwrap_or(true),
                terminating: e.conditions.terminating.unwrap_or(false),
            })
            .collect(),
    }
}

/// A Node as watched.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NodeObject {
    /// Name, all labels, our annotations, deletion timestamp.
    #[serde(default, deserialize_with = "node_meta")]
    pub metadata: ObjectMeta,
    /// `spec.taints`.
    #[serde(default, deserialize_with = "null_default")]
    pub spec: NodeSpecWire,
    /// `status.conditions`.
    #[serde(default, deserialize_with = "null_default")]
    pub status: NodeStatusWire,
}

/// The `spec` fields of a Node read here.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NodeSpecWire {
    /// `taints`.
    #[serde(default, deserialize_with = "null_default")]
    pub taints: Vec<KeyWire>,
}

/// A taint: its key.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct KeyWire {
    /// `key`.
    #[serde(default)]
    pub key: String,
}

/// The `status` fields of a Node read here.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NodeStatusWire {
    /// `conditions`.
    #[serde(default, deserialize_with = "null_default")]
    pub conditions: Vec<ConditionWire>,
}

/// A Node condition: type and status.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ConditionWire {
    /// `type`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// `status`.
    #[serde(default)]
    pub status: String,
}

impl NodeObject {
    /// The slim form.
    pub fn into_info(self) -> NodeInfo {
        node_info(self.metadata, self.spec, self.status)
    }
}

pub(super) fn node_info(meta: ObjectMeta, spec: NodeSpecWire, status: NodeStatusWire) -> NodeInfo {
    NodeInfo {
        uid: meta.uid.clone().map(String::into_boxed_str),
        deleting: meta.deletion_timestamp.is_some(),
        labels: meta.labels.unwrap_or_default(),
        annotations: boxed_map(meta.annotations.unwrap_or_default()),
        taints: spec
            .taints
            .into_iter()
            .map(|t| t.key.into_boxed_str())
            .collect(),
        network_unavailable: status
            .conditions
            .iter()
            .any(|c| c.type_ == "NetworkUnavailable" && c.status == "True"),
    }
}

/// A Namespace as watched: its name and labels.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NamespaceObject {
    /// Name and all labels.
    #[serde(default, deserialize_with = "node_meta")]
    pub metadata: ObjectMeta,
}

impl NamespaceObject {
    /// The slim form.
    pub fn into_info(self) -> NamespaceInfo {
        NamespaceInfo {
            labels: self.metadata.labels.unwrap_or_default(),
        }
    }
}

macro_rules! resource {
    ($ty:ty, $kind:literal, $group:literal, $version:literal, $plural:literal, $scope:ty) => {
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = $scope;
            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($group)
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($version)
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

resource!(
    ServiceObject,
    "Service",
    "",
    "v1",
    "services",
    k8s_openapi::NamespaceResourceScope
);
resource!(
    SliceObject,
    "EndpointSlice",
    "discovery.k8s.io",
    "v1",
    "endpointslices",
    k8s_openapi::NamespaceResourceScope
);
resource!(
    NodeObject,
    "Node",
    "",
    "v1",
    "nodes",
    k8s_openapi::ClusterResourceScope
);
resource!(
    NamespaceObject,
    "Namespace",
    "",
    "v1",
    "namespaces",
    k8s_openapi::ClusterResourceScope
);

/// From a full k8s-openapi object, through its JSON form: the same path as the wire, so
/// tests and `plan` that build full objects see what the daemon sees.
macro_rules! from_full {
    ($full:ty, $wire:ty, $info:ty) => {
        impl From<$full> for $info {
            fn from(full: $full) -> $info {
                serde_json::to_value(&full)
                    .ok()
                    .and_then(|v| <$wire>::deserialize(v).ok())
                    .unwrap_or_default()
                    .into_info()
            }
        }
    };
}

from_full!(
    k8s_openapi::api::core::v1::Service,
    ServiceObject,
    ServiceInfo
);
from_full!(
    k8s_openapi::api::discovery::v1::EndpointSlice,
    SliceObject,
    SliceInfo
);
from_full!(k8s_openapi::api::core::v1::Node, NodeObject, NodeInfo);
from_full!(
    k8s_openapi::api::core::v1::Namespace,
    NamespaceObject,
    NamespaceInfo
);
