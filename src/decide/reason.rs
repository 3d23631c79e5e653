//! Why an externalIP is or is not announced by this node: one value per decision, shown
//! by `kube-anycast plan`, in logs, and (for refusals) as Kubernetes Events.

use super::NodeUnhealthy;
use super::address::AddressRefusal;
use super::pools::PoolRefusal;
use std::fmt;

/// The outcome for one externalIP of one Service on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Announced.
    Announced(AnnouncedBecause),
    /// Not announced.
    NotAnnounced(Reason),
}

/// Why an announced address is announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncedBecause {
    /// A ready endpoint runs on this node.
    LocalReadyEndpoint,
    /// Only terminating endpoints are left anywhere, and one runs here (SPEC 4.4 fallback).
    LocalTerminatingFallback,
    /// `announce-from: cluster`, and an endpoint is usable somewhere.
    AnnounceFromCluster,
}

/// Why an address is not announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The Service is of type ExternalName.
    ExternalName,
    /// The Service is headless (`clusterIP: None`).
    Headless,
    /// Another proxy handles the Service (`service.kubernetes.io/service-proxy-name`).
    OtherServiceProxy,
    /// The namespace is not in `announce.namespaces`.
    NamespaceNotAllowed,
    /// `announce.services: annotated` and the Service is not annotated `announce: "true"`.
    NotOptedIn,
    /// `kube-anycast.io/announce: "false"`.
    AnnotationOff,
    /// The externalIP is refused.
    Address(AddressRefusal),
    /// The externalIP is not in a pool the Service's namespace may use.
    Pool(PoolRefusal),
    /// This node carries `node.kubernetes.io/exclude-from-external-load-balancers`.
    NodeExcluded,
    /// This node is unhealthy: every address is withdrawn.
    NodeUnhealthy(NodeUnhealthy),
    /// No usable endpoint on this node (there may be elsewhere).
    NoLocalEndpoints,
    /// No usable endpoint anywhere, of this address family.
    NoEndpoints,
}

/// The codes of every refusal reason (see [`Reason::is_refusal`]).
pub const REFUSAL_CODES: [&str; 5] = [
    "outside_allowed_cidrs",
    "special_range",
    "invalid_ip",
    "outside_pools",
    "pool_not_for_namespace",
];

/// The codes of the reasons a whole node withdraws (see [`super::NodeView::withdraws_all`]).
pub const NODE_WITHDRAW_CODES: [&str; 4] = [
    "node_excluded",
    "node_network_unavailable",
    "node_deleting",
    "node_to_be_deleted",
];

impl Reason {
    /// True for refusals that a Service owner must hear of (a Kubernetes Event), as
    /// opposed to normal states such as "no local endpoints".
    pub fn is_refusal(&self) -> bool {
        matches!(self, Reason::Address(_) | Reason::Pool(_))
    }

    /// A short stable identifier, used as the Event reason and the metrics label.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::ExternalName => "external_name",
            Reason::Headless => "headless",
            Reason::OtherServiceProxy => "other_service_proxy",
            Reason::NamespaceNotAllowed => "namespace_not_allowed",
            Reason::NotOptedIn => "not_opted_in",
            Reason::AnnotationOff => "annotation_off",
            Reason::Address(AddressRefusal::Unparsable) => "invalid_ip",
            Reason::Address(AddressRefusal::SpecialRange(_)) => "special_range",
            Reason::Address(AddressRefusal::OutsideAllowedCidrs) => "outside_allowed_cidrs",
            Reason::Pool(PoolRefusal::OutsidePools) => "outside_pools",
            Reason::Pool(PoolRefusal::NotForNamespace(_)) => "pool_not_for_namespace",
            Reason::NodeExcluded => "node_excluded",
            Reason::NodeUnhealthy(NodeUnhealthy::NetworkUnavailable) => "node_network_unavailable",
            Reason::NodeUnhealthy(NodeUnhealthy::Deleting) => "node_deleting",
            Reason::NodeUnhealthy(NodeUnhealthy::ToBeDeleted) => "node_to_be_deleted",
            Reason::NoLocalEndpoints => "no_local_endpoints",
            Reason::NoEndpoints => "no_endpoints",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint) => f.write_str("announced: ready endpoint on this node"),
            Verdict::Announced(AnnouncedBecause::LocalTerminatingFallback) => {
                f.write_str("announced: no ready endpoint anywhere, terminating endpoint on this node still serving")
            }
            Verdict::Announced(AnnouncedBecause::AnnounceFromCluster) => {
                f.write_str("announced: announce-from cluster, endpoints exist in the cluster")
            }
            Verdict::NotAnnounced(reason) => write!(f, "not announced: {reason}"),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ExternalName => f.write_str("Service type is ExternalName"),
            Reason::Headless => f.write_str("Service is headless (clusterIP: None)"),
            Reason::OtherServiceProxy => {
                f.write_str("Service has label service.kubernetes.io/service-proxy-name")
            }
            Reason::NamespaceNotAllowed => f.write_str("namespace not in announce.namespaces"),
            Reason::NotOptedIn => f.write_str(
                "announce.services is annotated and kube-anycast.io/announce is not \"true\"",
            ),
            Reason::AnnotationOff => f.write_str("kube-anycast.io/announce is \"false\""),
            Reason::Address(AddressRefusal::Unparsable) => f.write_str("not an IP address"),
            Reason::Address(AddressRefusal::SpecialRange(range)) => {
                write!(f, "special-purpose address ({range})")
            }
            Reason::Address(AddressRefusal::OutsideAllowedCidrs) => {
                f.write_str("outside announce.allowed_cidrs")
            }
            Reason::Pool(PoolRefusal::OutsidePools) => f.write_str("in no pool of announce.pools"),
            Reason::Pool(PoolRefusal::NotForNamespace(pool)) => {
                write!(f, "pool {pool} of announce.pools is not for this namespace")
            }
            Reason::NodeExcluded => f.write_str(
                "node is labelled node.kubernetes.io/exclude-from-external-load-balancers",
            ),
            Reason::NodeUnhealthy(NodeUnhealthy::NetworkUnavailable) => {
                f.write_str("node has condition NetworkUnavailable=True")
            }
            Reason::NodeUnhealthy(NodeUnhealthy::Deleting) => {
                f.write_str("node is being deleted (deletion timestamp set)")
            }
            Reason::NodeUnhealthy(NodeUnhealthy::ToBeDeleted) => {
                f.write_str("node is tainted ToBeDeletedByClusterAutoscaler")
            }
            Reason::NoLocalEndpoints => f.write_str("no usable endpoint on this node"),
            Reason::NoEndpoints => {
                f.write_str("no usable endpoint of this address family in the cluster")
            }
        }
    }
}
