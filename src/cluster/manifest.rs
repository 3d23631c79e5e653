//! Objects of a manifest file, of any kind, read in one pass: the union of the fields the
//! watch types read, decided by `kind` once the object is read, and `List`s whose items
//! are made slim while the list is read.

use super::ObjectKey;
use super::objects::{NamespaceInfo, NodeInfo, ServiceInfo, SliceInfo};
use super::wire::{
    EndpointWire, Keep, KeyWire, NodeSpecWire, NodeStatusWire, RuleLabels, ServiceSpecWire,
    node_info, node_meta, null_default, service_info, slice_info,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use std::fmt;

/// Any object of a manifest file: the union of the fields of the kinds above, plus
/// `items` of a `List`. Which fields count is decided by `kind` once the whole object is
/// read (kubectl prints keys sorted, so `endpoints` comes before `kind`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnyObject {
    /// `kind`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "node_meta")]
    metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_default")]
    spec: AnySpec,
    #[serde(default, deserialize_with = "null_default")]
    status: NodeStatusWire,
    #[serde(default)]
    address_type: String,
    #[serde(default, deserialize_with = "null_default")]
    endpoints: Vec<EndpointWire>,
    /// `items` of a `List`, each made slim as soon as it is read.
    #[serde(default, deserialize_with = "null_default")]
    pub items: Items,
}

/// The items of a `List`. A dump of 10,000 Services is one `List`: holding its items as
/// parsed objects until the list ends would cost more than everything kept afterwards, so
/// each item is reduced to its [`Manifest`] while the list is read.
#[derive(Debug, Default)]
pub struct Items(pub Vec<Manifest>);

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of objects")
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut seq: S,
            ) -> Result<Items, S::Error> {
                let mut items = Vec::new();
                while let Some(object) = seq.next_element::<AnyObject>()? {
                    items.push(object.into_item());
                }
                Ok(Items(items))
            }
        }
        d.deserialize_seq(ItemsVisitor)
    }
}

/// The union of the Service and Node spec fields read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnySpec {
    #[serde(default, rename = "externalIPs", deserialize_with = "null_default")]
    external_ips: Vec<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
    #[serde(rename = "clusterIP")]
    cluster_ip: Option<String>,
    external_traffic_policy: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    taints: Vec<KeyWire>,
}

/// One object of a manifest, by kind, with its key (`None`: it has no name).
#[derive(Debug)]
pub enum Manifest {
    /// A Service.
    Service(Option<ObjectKey>, ServiceInfo),
    /// An EndpointSlice.
    Slice(Option<ObjectKey>, SliceInfo),
    /// A Node (cluster-scoped: its key is its name).
    Node(Option<String>, NodeInfo),
    /// A `List` (or `ServiceList`, ...): its items.
    List(Vec<Manifest>),
    /// An item of a list whose kind only the list tells.
    Untyped(Box<AnyObject>),
    /// A Namespace.
    Namespace(Option<String>, NamespaceInfo),
    /// Any other kind, ignored.
    Other,
}

impl AnyObject {
    /// The object as an item of a list: as its kind says, or, without one, as the list
    /// will say (typed lists such as `kind: ServiceList` may leave the kind out of their
    /// items, and the list's `kind` may come after `items`).
    pub fn into_item(self) -> Manifest {
        match self.kind {
            None => Manifest::Untyped(Box::new(self)),
            Some(_) => self.into_manifest(),
        }
    }

    /// The object as its kind says. (Node labels are kept whole; for the other kinds only
    /// the labels their rules read survive.)
    pub fn into_manifest(self) -> Manifest {
        let keep_rule_labels = |mut meta: ObjectMeta| {
            if let Some(labels) = &mut meta.labels {
                labels.retain(|k, _| RuleLabels::keep(k));
            }
            meta
        };
        match self.kind.as_deref() {
            Some("Service") => {
                let meta = keep_rule_labels(self.metadata);
                let spec = ServiceSpecWire {
                    external_ips: self.spec.external_ips,
                    type_: self.spec.type_,
                    cluster_ip: self.spec.cluster_ip,
                    external_traffic_policy: self.spec.external_traffic_policy,
                };
                Manifest::Service(ObjectKey::of(&meta), service_info(meta, spec))
            }
            Some("EndpointSlice") => {
                let meta = keep_rule_labels(self.metadata);
                let key = ObjectKey::of(&meta);
                Manifest::Slice(key, slice_info(meta, &self.address_type, self.endpoints))
            }
            Some(
                kind
                @ ("List" | "ServiceList" | "EndpointSliceList" | "NodeList" | "NamespaceList"),
            ) => {
                let item_kind = (kind != "List").then(|| kind.trim_end_matches("List"));
                let items = self.items.0.into_iter().map(|item| match item {
                    Manifest::Untyped(mut object) => {
                        object.kind = item_kind.map(str::to_owned);
                        object.into_manifest()
                    }
                    other => other,
                });
                Manifest::List(items.collect())
            }
            Some("Node") => {
                let spec = NodeSpecWire {
                    taints: self.spec.taints,
                };
                let name = self.metadata.name.clone();
                Manifest::Node(name, node_info(self.metadata, spec, self.status))
            }
            Some("Namespace") => Manifest::Namespace(
                self.metadata.name,
                NamespaceInfo {
                    labels: self.metadata.labels.unwrap_or_default(),
                },
            ),
            _ => Manifest::Other,
        }
    }
}
