//! What this node announces, and why (SPEC section 4). One pure function, [`decide`],
//! from (cluster state, config, last good annotations) to the routes this node should
//! announce, with their attributes and peers, and a verdict for every externalIP.
//! `kube-anycast plan` prints exactly its output; the daemon feeds its routes to the
//! peers. Nothing here does I/O or reads a clock.

pub mod address;
pub mod endpoints;
pub mod incremental;
mod merge;
pub mod reason;

use crate::annotations::{self, AnnounceFrom, ServiceAnnotations};
use crate::cluster::{ClusterState, ObjectKey};
use crate::config::{AnnounceConfig, ServiceSelection};
use bgp::rib_out::RouteAttributes;
use bgp::wire::Community;
use ipnet::IpNet;
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use reason::{AnnouncedBecause, Reason, Verdict};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Label that hands a Service to another proxy; such Services are not ours to announce.
pub const SERVICE_PROXY_NAME_LABEL: &str = "service.kubernetes.io/service-proxy-name";
/// Label that takes a node out of external load balancing.
pub const EXCLUDE_NODE_LABEL: &str = "node.kubernetes.io/exclude-from-external-load-balancers";

/// The parts of the config the decision reads.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// This node's name.
    pub node_name: &'a str,
    /// `announce:`.
    pub announce: &'a AnnounceConfig,
    /// Names of all configured peers (to validate the `peers` annotation).
    pub peer_names: &'a BTreeSet<String>,
}

/// Which peers a route goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerSelection {
    /// Every peer of this node.
    All,
    /// Only these (by name).
    Only(BTreeSet<String>),
}

impl PeerSelection {
    /// True when the route goes to the peer called `name`.
    pub fn includes(&self, name: &str) -> bool {
        match self {
            PeerSelection::All => true,
            PeerSelection::Only(names) => names.contains(name),
        }
    }
}

/// One route this node announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Attributes (merged over every Service sharing the address).
    pub attributes: RouteAttributes,
    /// Peers it goes to.
    pub peers: PeerSelection,
    /// The Services asking for it.
    pub services: BTreeSet<ObjectKey>,
}

/// The verdict for one externalIP of one Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressVerdict {
    /// The Service.
    pub service: ObjectKey,
    /// The externalIP as written in the Service.
    pub external_ip: String,
    /// Announced or not, and why.
    pub verdict: Verdict,
}

/// Something a Service owner should be told about (a Kubernetes Event and a log line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceProblem {
    /// The Service.
    pub service: ObjectKey,
    /// Stable short code (Event reason, metrics label).
    pub code: &'static str,
    /// What is wrong, for humans.
    pub message: String,
}

/// Everything [`decide`] concludes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Routes to announce, by host prefix.
    pub routes: BTreeMap<IpNet, Route>,
    /// One verdict per externalIP of every Service, in Service order.
    pub verdicts: Vec<AddressVerdict>,
    /// Refusals and bad annotations to report.
    pub problems: Vec<ServiceProblem>,
    /// The annotations in force per Service, to pass to the next decision: a Service whose
    /// annotations turn invalid keeps the last valid ones (SPEC section 5).
    pub last_good: HashMap<ObjectKey, ServiceAnnotations>,
    /// The node carries `kube-anycast.io/drain: "true"`: every route has GRACEFUL_SHUTDOWN.
    pub drained: bool,
}

impl Decision {
    /// How many externalIPs are refused, by reason code.
    pub fn refusal_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for v in &self.verdicts {
            if let Verdict::NotAnnounced(reason) = &v.verdict
                && reason.is_refusal()
            {
                *counts.entry(reason.code()).or_default() += 1;
            }
        }
        counts
    }
}

/// What this node's Node object says to every Service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeView {
    /// Labelled `node.kubernetes.io/exclude-from-external-load-balancers`.
    pub excluded: bool,
    /// Annotated `kube-anycast.io/drain: "true"`.
    pub drained: bool,
}

impl NodeView {
    /// Reads a Node (absent: neither excluded nor drained).
    pub fn of(node: Option<&Node>) -> NodeView {
        let meta = node.map(|n| &n.metadata);
        NodeView {
            excluded: meta
                .and_then(|m| m.labels.as_ref())
                .is_some_and(|l| l.contains_key(EXCLUDE_NODE_LABEL)),
            drained: meta
                .and_then(|m| m.annotations.as_ref())
                .is_some_and(annotations::node_drained),
        }
    }
}

/// The decision for one Service: everything [`decide`] concludes, for it alone. Services
/// are independent except where they share an address, which [`assemble`] settles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceOutcome {
    /// One verdict per externalIP.
    pub verdicts: Vec<AddressVerdict>,
    /// The routes this Service asks for.
    pub wanted: Vec<(IpNet, RouteAttributes, PeerSelection)>,
    /// Refusals and bad annotations.
    pub problems: Vec<ServiceProblem>,
    /// The annotations in force, to keep for the next decision.
    pub last_good: Option<ServiceAnnotations>,
}

/// Decides what this node announces. Pure: same inputs, same output.
pub fn decide(
    cluster: &ClusterState,
    settings: Settings<'_>,
    last_good: &HashMap<ObjectKey, ServiceAnnotations>,
) -> Decision {
    let node = NodeView::of(cluster.node());
    let outcomes: BTreeMap<ObjectKey, ServiceOutcome> = cluster
        .services()
        .iter()
        .map(|(key, service)| {
            let slices: Vec<&EndpointSlice> = cluster.slices_of(key).collect();
            (
                key.clone(),
                decide_service(key, service, &slices, node, settings, last_good.get(key)),
            )
        })
        .collect();
    assemble(&outcomes, node)
}

/// Puts per-Service outcomes together: verdicts and problems in Service order, and one
/// route per address, merged where Services share it (SPEC 4.6).
pub fn assemble(outcomes: &BTreeMap<ObjectKey, ServiceOutcome>, node: NodeView) -> Decision {
    let mut decision = Decision {
        drained: node.drained,
        ..Decision::default()
    };
    let mut wanted = Vec::new();
    for (key, outcome) in outcomes {
        decision.verdicts.extend(outcome.verdicts.iter().cloned());
        decision.problems.extend(outcome.problems.iter().cloned());
        if let Some(kept) = &outcome.last_good {
            decision.last_good.insert(key.clone(), kept.clone());
        }
        wanted.extend(
            outcome
                .wanted
                .iter()
                .map(|(prefix, attrs, peers)| (*prefix, key.clone(), attrs.clone(), peers.clone())),
        );
    }
    let (routes, conflicts) = merge::merge(wanted);
    decision.routes = routes;
    decision.problems.extend(conflicts);
    decision
}

/// Decides one Service from its object, its slices and this node.
pub fn decide_service(
    key: &ObjectKey,
    service: &Service,
    slices: &[&EndpointSlice],
    node: NodeView,
    settings: Settings<'_>,
    last_good: Option<&ServiceAnnotations>,
) -> ServiceOutcome {
    let mut outcome = ServiceOutcome::default();
    let external_ips = unique_external_ips(service);
    if external_ips.is_empty() {
        return outcome;
    }
    let service_verdict = judge_service(key, service, settings, last_good, &mut outcome);
    for ip_text in external_ips {
        let verdict = match &service_verdict {
            Err(reason) => Verdict::NotAnnounced(reason.clone()),
            Ok(effective) => match address::check(&ip_text, &settings.announce.allowed_cidrs) {
                Err(refusal) => {
                    let reason = Reason::Address(refusal);
                    outcome.problems.push(ServiceProblem {
                        service: key.clone(),
                        code: reason.code(),
                        message: format!("externalIP {ip_text} refused: {reason}"),
                    });
                    Verdict::NotAnnounced(reason)
                }
                Ok(_) if node.excluded => Verdict::NotAnnounced(Reason::NodeExcluded),
                Ok(prefix) => {
                    let verdict = judge_endpoints(effective, slices, &prefix, settings.node_name);
                    if matches!(verdict, Verdict::Announced(_)) {
                        let attrs = route_attributes(settings.announce, effective, node.drained);
                        let peers = effective
                            .peers
                            .clone()
                            .map_or(PeerSelection::All, PeerSelection::Only);
                        outcome.wanted.push((prefix, attrs, peers));
                    }
                    verdict
                }
            },
        };
        outcome.verdicts.push(AddressVerdict {
            service: key.clone(),
            external_ip: ip_text,
            verdict,
        });
    }
    outcome
}

/// The externalIPs of a Service, each once, in the order written.
fn unique_external_ips(service: &Service) -> Vec<String> {
    let mut seen = BTreeSet::new();
    service
        .spec
        .as_ref()
        .and_then(|s| s.external_ips.as_ref())
        .into_iter()
        .flatten()
        .filter(|ip| seen.insert(ip.as_str()))
        .cloned()
        .collect()
}

/// The Service-wide rules (SPEC 4.1): `Ok` with the annotations in force, or why none of
/// its addresses can be announced. Records the annotations to keep and any problem.
fn judge_service(
    key: &ObjectKey,
    service: &Service,
    settings: Settings<'_>,
    last_good: Option<&ServiceAnnotations>,
    outcome: &mut ServiceOutcome,
) -> Result<ServiceAnnotations, Reason> {
    let spec = service.spec.as_ref();
    if spec.and_then(|s| s.type_.as_deref()) == Some("ExternalName") {
        return Err(Reason::ExternalName);
    }
    if spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None") {
        return Err(Reason::Headless);
    }
    if service
        .metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(SERVICE_PROXY_NAME_LABEL))
    {
        return Err(Reason::OtherServiceProxy);
    }
    if !settings.announce.namespaces.is_empty()
        && !settings.announce.namespaces.contains(&key.namespace)
    {
        return Err(Reason::NamespaceNotAllowed);
    }
    let empty = BTreeMap::new();
    let raw = service.metadata.annotations.as_ref().unwrap_or(&empty);
    let mut effective = match annotations::parse(raw, settings.peer_names) {
        Ok(parsed) => parsed,
        Err(problems) => {
            let kept = last_good.cloned();
            for problem in problems {
                outcome.problems.push(ServiceProblem {
                    service: key.clone(),
                    code: "invalid_annotation",
                    message: format!(
                        "{problem}; {}",
                        if kept.is_some() {
                            "keeping the last valid annotations"
                        } else {
                            "not announced until fixed"
                        }
                    ),
                });
            }
            kept.ok_or(Reason::InvalidAnnotations)?
        }
    };
    outcome.last_good = Some(effective.clone());
    let local_policy = spec.and_then(|s| s.external_traffic_policy.as_deref()) == Some("Local");
    if effective.announce_from == AnnounceFrom::Cluster && local_policy {
        // SPEC 5: refused, since other nodes would drop the traffic; announcing from the
        // nodes with local endpoints is always safe, so that is what happens instead.
        outcome.problems.push(ServiceProblem {
            service: key.clone(),
            code: "announce_from_cluster_refused",
            message: "announce-from: cluster needs externalTrafficPolicy: Cluster; announcing from nodes with local endpoints".into(),
        });
        effective.announce_from = AnnounceFrom::Local;
    }
    match (effective.announce, settings.announce.services) {
        (Some(false), _) => Err(Reason::AnnotationOff),
        (None, ServiceSelection::Annotated) => Err(Reason::NotOptedIn),
        _ => Ok(effective),
    }
}

/// The endpoint rules (SPEC 4.4 and 4.5) for one address.
fn judge_endpoints(
    effective: &ServiceAnnotations,
    slices: &[&EndpointSlice],
    prefix: &IpNet,
    node_name: &str,
) -> Verdict {
    let address_type = match prefix {
        IpNet::V4(_) => "IPv4",
        IpNet::V6(_) => "IPv6",
    };
    let summary = endpoints::summarize(slices.iter().copied(), address_type, node_name);
    if effective.announce_from == AnnounceFrom::Cluster {
        return if summary.usable_anywhere() {
            Verdict::Announced(AnnouncedBecause::AnnounceFromCluster)
        } else {
            Verdict::NotAnnounced(Reason::NoEndpoints)
        };
    }
    if summary.local_ready {
        Verdict::Announced(AnnouncedBecause::LocalReadyEndpoint)
    } else if summary.locally_usable() {
        Verdict::Announced(AnnouncedBecause::LocalTerminatingFallback)
    } else if summary.usable_anywhere() {
        Verdict::NotAnnounced(Reason::NoLocalEndpoints)
    } else {
        Verdict::NotAnnounced(Reason::NoEndpoints)
    }
}

/// Route attributes of one Service's address: the config's communities on every route,
/// the Service's own on top, GRACEFUL_SHUTDOWN (RFC 8326) while the node is drained.
fn route_attributes(
    announce: &AnnounceConfig,
    effective: &ServiceAnnotations,
    drained: bool,
) -> RouteAttributes {
    let mut communities: Vec<Community> = announce
        .communities
        .iter()
        .chain(&effective.communities)
        .copied()
        .collect();
    if drained {
        communities.push(Community::GRACEFUL_SHUTDOWN);
    }
    communities.sort();
    communities.dedup();
    let mut large_communities: Vec<_> = announce
        .large_communities
        .iter()
        .chain(&effective.large_communities)
        .copied()
        .collect();
    large_communities.sort();
    large_communities.dedup();
    RouteAttributes {
        origin: bgp::wire::Origin::Igp,
        as_path_prepend: effective.as_path_prepend,
        med: effective.med,
        local_pref: effective.local_preference,
        communities,
        large_communities,
    }
}

#[cfg(test)]
mod tests;
