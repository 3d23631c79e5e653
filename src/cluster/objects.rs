//! The cluster objects as the decision reads them, and nothing more. A Service as the API
//! server prints it is kilobytes (managedFields, the last-applied annotation, status); the
//! announce rules read a few fields of it. Keeping only those is what lets one node hold
//! 10,000 Services in a few MiB. [`super::wire`] deserializes straight into these.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// An IP family of an EndpointSlice (`addressType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// `IPv4`.
    V4,
    /// `IPv6`.
    V6,
    /// `FQDN` or anything else: never matches an externalIP.
    #[default]
    Other,
}

impl AddressFamily {
    /// From an EndpointSlice's `addressType`.
    pub fn from_address_type(address_type: &str) -> AddressFamily {
        match address_type {
            "IPv4" => AddressFamily::V4,
            "IPv6" => AddressFamily::V6,
            _ => AddressFamily::Other,
        }
    }

    /// The family of an address.
    pub fn of(ip: IpAddr) -> AddressFamily {
        match ip {
            IpAddr::V4(_) => AddressFamily::V4,
            IpAddr::V6(_) => AddressFamily::V6,
        }
    }
}

/// One externalIP as written in a Service. The usual spelling, the one an address prints
/// as, is kept as the address itself (no allocation, nothing to parse again); any other
/// spelling is kept as text, so `plan` and Events show what the owner wrote.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExternalIp {
    /// A canonically written address.
    Ip(IpAddr),
    /// Anything else: not an address at all, or a non-canonical spelling of one.
    Text(Box<str>),
}

impl ExternalIp {
    /// Reads one `spec.externalIPs` entry.
    pub fn from_text(text: String) -> ExternalIp {
        match text.parse::<IpAddr>() {
            Ok(ip) if ip.to_string() == text => ExternalIp::Ip(ip),
            _ => ExternalIp::Text(text.into_boxed_str()),
        }
    }

    /// The address, when the text is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            ExternalIp::Ip(ip) => Some(*ip),
            ExternalIp::Text(text) => text.parse().ok(),
        }
    }
}

impl std::fmt::Display for ExternalIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExternalIp::Ip(ip) => ip.fmt(f),
            ExternalIp::Text(text) => f.write_str(text),
        }
    }
}

/// A Service, reduced to what SPEC section 4 reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    /// `metadata.uid`, for Events about it.
    pub uid: Option<Box<str>>,
    /// `spec.externalIPs`, each once, in the order written; shared with the decision's
    /// outcome for this Service.
    pub external_ips: Arc<[ExternalIp]>,
    /// `spec.type: ExternalName`.
    pub external_name: bool,
    /// `spec.clusterIP: None` (headless).
    pub headless: bool,
    /// Labelled `service.kubernetes.io/service-proxy-name`: another proxy serves it.
    pub other_proxy: bool,
    /// `spec.externalTrafficPolicy: Local`.
    pub local_traffic_policy: bool,
    /// Its `kube-anycast.io/*` annotations (no other annotation is kept).
    pub annotations: BTreeMap<Box<str>, Box<str>>,
}

/// One endpoint of an EndpointSlice, reduced to what SPEC 4.4 reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInfo {
    /// Its addresses (usually one). The same address in two slices is one endpoint.
    pub addresses: Box<[IpAddr]>,
    /// `nodeName`, shared between all endpoints of the node.
    pub node: Option<NodeName>,
    /// `conditions.ready`, missing = true.
    pub ready: bool,
    /// `conditions.serving`, missing = true.
    pub serving: bool,
    /// `conditions.terminating`, missing = false.
    pub terminating: bool,
}

/// An EndpointSlice, reduced to what SPEC 4.4 reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SliceInfo {
    /// The Service it belongs to (label `kubernetes.io/service-name`, same namespace);
    /// `None` for slices of no Service, which are not kept.
    pub service: Option<Box<str>>,
    /// `addressType`.
    pub family: AddressFamily,
    /// `endpoints`.
    pub endpoints: Box<[EndpointInfo]>,
}

/// A node name, shared: thousands of endpoints name the same few nodes.
pub type NodeName = Arc<str>;

/// This node's Node, reduced to what the rules read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeInfo {
    /// `metadata.uid`, for Events about this node.
    pub uid: Option<Box<str>>,
    /// All labels (`node_selector` of peers and the exclusion label read them).
    pub labels: BTreeMap<String, String>,
    /// Its `kube-anycast.io/*` annotations.
    pub annotations: BTreeMap<Box<str>, Box<str>>,
    /// Keys of its taints.
    pub taints: Box<[Box<str>]>,
    /// Condition `NetworkUnavailable` is `True`.
    pub network_unavailable: bool,
    /// It has a deletion timestamp.
    pub deleting: bool,
}

/// A Namespace, reduced to what pools read: its labels (for `namespace_selector`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceInfo {
    /// All labels.
    pub labels: BTreeMap<String, String>,
}

/// Shares node names between endpoints, so 30,000 endpoints on three nodes hold three
/// strings. Entries whose last user went are dropped by [`NodeNames::prune`].
#[derive(Clone, Debug, Default)]
pub struct NodeNames {
    names: std::collections::HashSet<NodeName>,
}

impl NodeNames {
    /// The shared copy of `name`.
    pub fn intern(&mut self, name: &str) -> NodeName {
        if let Some(shared) = self.names.get(name) {
            return shared.clone();
        }
        let shared: NodeName = Arc::from(name);
        self.names.insert(shared.clone());
        shared
    }

    /// Forgets names no endpoint uses any more.
    pub fn prune(&mut self) {
        self.names.retain(|n| Arc::strong_count(n) > 1);
    }
}
