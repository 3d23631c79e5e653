//! What this node announces, and why (SPEC section 4). One pure function, [`decide`],
//! from (cluster state, config) to the routes this node should announce, with their
//! attributes and peers, and a verdict for every externalIP. `kube-anycast plan` prints
//! exactly its output; the daemon keeps the same decision up to date with
//! [`incremental::Incremental`] and feeds its routes to the peers. Nothing here does I/O,
//! reads a clock or remembers an earlier decision (SPEC 4.8).

pub mod address;
pub mod endpoints;
pub mod incremental;
mod listers;
mod merge;
pub mod pools;
pub mod reason;
pub mod weight;

use crate::annotations::{self, AnnounceFrom, ServiceAnnotations};
use crate::cluster::objects::{
    AddressFamily, ExternalIp, NamespaceInfo, NodeInfo, ServiceInfo, SliceInfo,
};
use crate::cluster::{ClusterState, ObjectKey};
use crate::config::{AnnounceConfig, ServiceSelection};
use crate::values::sorted_unique;
use bgp::rib_out::RouteAttributes;
use bgp::wire::Community;
use ipnet::IpNet;
use reason::{AnnouncedBecause, Reason, Verdict};
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Label that hands a Service to another proxy; such Services are not ours to announce.
pub const SERVICE_PROXY_NAME_LABEL: &str = "service.kubernetes.io/service-proxy-name";
/// Label that takes a node out of external load balancing.
pub const EXCLUDE_NODE_LABEL: &str = "node.kubernetes.io/exclude-from-external-load-balancers";
/// Taint the cluster autoscaler puts on a node it is about to remove.
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";

/// The parts of the config the decision reads.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// This node's name.
    pub node_name: &'a str,
    /// `local_asn` (the AS field of the link bandwidth community, `weight.rs`).
    pub local_asn: bgp::Asn,
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
    /// Only these (by name); shared by every route of the Service that names them.
    Only(Arc<BTreeSet<String>>),
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

/// A Service's name, shared by everything that refers to it (its routes, verdicts and
/// index entries), so 100,000 addresses of one Service do not hold 100,000 copies.
pub type ServiceRef = Arc<ObjectKey>;

/// The Services behind one address: almost always one, so it is stored inline.
pub type ServiceRefs = SmallVec<[ServiceRef; 1]>;

/// One route this node announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Attributes (merged over every Service sharing the address); shared by every route
    /// with the same attributes, which also lets the Adj-RIB-Out pack them cheaply.
    pub attributes: Arc<RouteAttributes>,
    /// Peers it goes to.
    pub peers: PeerSelection,
    /// The Services asking for it, in order.
    pub services: ServiceRefs,
}

/// The verdict for one externalIP of one Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressVerdict {
    /// The Service.
    pub service: ServiceRef,
    /// The externalIP as written in the Service.
    pub external_ip: Box<str>,
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
    /// Why kube-proxy's own health check would fail here, if it would.
    pub unhealthy: Option<NodeUnhealthy>,
}

/// Why a node must not attract traffic although it runs: the states in which kube-proxy's
/// health check fails too (KEP-3836), so a load balancer would drain the node as well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeUnhealthy {
    /// Condition `NetworkUnavailable=True`: the pod network is not set up.
    NetworkUnavailable,
    /// The Node has a deletion timestamp.
    Deleting,
    /// The cluster autoscaler tainted it `ToBeDeletedByClusterAutoscaler`.
    ToBeDeleted,
}

impl NodeView {
    /// Reads a Node (absent: neither excluded nor drained, and healthy).
    pub fn of(node: Option<&NodeInfo>) -> NodeView {
        NodeView {
            excluded: node.is_some_and(|n| n.labels.contains_key(EXCLUDE_NODE_LABEL)),
            drained: node.is_some_and(|n| annotations::node_drained(&n.annotations)),
            unhealthy: node.and_then(node_health),
        }
    }

    /// Why every address is withdrawn on this node, when one is.
    pub fn withdraws_all(&self) -> Option<Reason> {
        match (self.unhealthy, self.excluded) {
            (Some(unhealthy), _) => Some(Reason::NodeUnhealthy(unhealthy)),
            (None, true) => Some(Reason::NodeExcluded),
            (None, false) => None,
        }
    }
}

/// The first reason (in a fixed order) the node is unhealthy.
fn node_health(node: &NodeInfo) -> Option<NodeUnhealthy> {
    if node.deleting {
        Some(NodeUnhealthy::Deleting)
    } else if node.taints.iter().any(|t| &**t == TO_BE_DELETED_TAINT) {
        Some(NodeUnhealthy::ToBeDeleted)
    } else if node.network_unavailable {
        Some(NodeUnhealthy::NetworkUnavailable)
    } else {
        None
    }
}

/// The attributes and peers every announced address of one Service gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTemplate {
    /// Attributes.
    pub attributes: Arc<RouteAttributes>,
    /// Peers.
    pub peers: PeerSelection,
}

/// The decision for one Service: everything [`decide`] concludes, for it alone. Services
/// are independent except where they share an address, which the merge settles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceOutcome {
    /// Its externalIPs (shared with the Service object it was decided from, so the
    /// outcome still knows what it asked for after the object changed).
    pub external_ips: Arc<[ExternalIp]>,
    /// One verdict per externalIP, in the same order.
    pub verdicts: Box<[Verdict]>,
    /// Attributes and peers of its announced addresses, by family (IPv4, IPv6): the same
    /// shared attributes for both unless weighted anycast gives the families different
    /// endpoint counts. `None` for a family none of whose addresses is announced.
    pub templates: [Option<Arc<RouteTemplate>>; 2],
    /// Refusals and bad annotations.
    pub problems: Vec<ServiceProblem>,
}

impl ServiceOutcome {
    /// Each address (when it is one) with its verdict, in order.
    pub fn addresses(&self) -> impl Iterator<Item = (Option<IpNet>, &Verdict)> + '_ {
        self.external_ips
            .iter()
            .map(|ip| ip.ip().map(IpNet::from))
            .zip(self.verdicts.iter())
    }

    /// The addresses it asks this node to announce.
    pub fn wanted(&self) -> impl Iterator<Item = IpNet> + '_ {
        self.addresses()
            .filter(|(_, verdict)| matches!(verdict, Verdict::Announced(_)))
            .filter_map(|(prefix, _)| prefix)
    }

    /// The template of `prefix`'s family.
    pub fn template_for(&self, prefix: IpNet) -> Option<&Arc<RouteTemplate>> {
        self.templates[usize::from(prefix.addr().is_ipv6())].as_ref()
    }

    /// Its verdicts, with the addresses as written.
    pub fn address_verdicts<'a>(
        &'a self,
        service: &'a ServiceRef,
    ) -> impl Iterator<Item = AddressVerdict> + 'a {
        self.external_ips
            .iter()
            .zip(self.verdicts.iter())
            .map(|(ip, verdict)| AddressVerdict {
                service: service.clone(),
                external_ip: ip.to_string().into_boxed_str(),
                verdict: verdict.clone(),
            })
    }
}

/// Decides what this node announces. Pure: same inputs, same output.
pub fn decide(cluster: &ClusterState, settings: Settings<'_>) -> Decision {
    let node = NodeView::of(cluster.node());
    let mut decision = Decision {
        drained: node.drained,
        ..Decision::default()
    };
    let mut outcomes: Vec<(ServiceRef, ServiceOutcome)> = Vec::new();
    // Every listed address, with the Services (index into `outcomes`, index of the
    // address) that list it.
    let mut listers: BTreeMap<IpNet, SmallVec<[(usize, usize); 1]>> = BTreeMap::new();
    for (key, service) in cluster.services() {
        let slices: Vec<&SliceInfo> = cluster.slices_of(key).collect();
        let namespace = cluster.namespace(key.namespace());
        let mut outcome = decide_service(key, service, &slices, namespace, node, settings);
        let service_ref = Arc::new(key.clone());
        decision
            .verdicts
            .extend(outcome.address_verdicts(&service_ref));
        decision.problems.append(&mut outcome.problems);
        for (index, (prefix, _)) in outcome.addresses().enumerate() {
            if let Some(prefix) = prefix {
                listers
                    .entry(prefix)
                    .or_default()
                    .push((outcomes.len(), index));
            }
        }
        outcomes.push((service_ref, outcome));
    }
    let defaults = default_template(settings.announce, node.drained);
    let rules = sharing_rules(settings, &defaults);
    for (prefix, list) in listers {
        let sharers: SmallVec<[merge::Sharer<'_>; 1]> = list
            .iter()
            .map(|&(service, index)| {
                let (service, outcome) = &outcomes[service];
                merge::Sharer {
                    service,
                    verdict: &outcome.verdicts[index],
                    template: outcome.template_for(prefix),
                }
            })
            .collect();
        let (settled, problems) = merge::settle(prefix, &sharers, rules);
        if let Some(settled) = settled {
            let route = Route {
                attributes: settled.template.attributes.clone(),
                peers: settled.template.peers.clone(),
                services: settled.services.into_iter().cloned().collect(),
            };
            decision.routes.insert(prefix, route);
        }
        decision.problems.extend(problems);
    }
    decision
}

/// The route of an address whose sharing Services disagree: the config's attributes, to
/// every peer.
pub fn default_template(announce: &AnnounceConfig, drained: bool) -> Arc<RouteTemplate> {
    Arc::new(RouteTemplate {
        attributes: Arc::new(route_attributes(
            announce,
            &ServiceAnnotations::default(),
            drained,
        )),
        peers: PeerSelection::All,
    })
}

fn sharing_rules<'a>(
    settings: Settings<'_>,
    defaults: &'a Arc<RouteTemplate>,
) -> merge::SharingRules<'a> {
    merge::SharingRules {
        allow_cross_namespace: settings.announce.allow_cross_namespace_sharing,
        defaults,
    }
}

/// Decides one Service from its object, its slices, its Namespace and this node.
pub fn decide_service(
    key: &ObjectKey,
    service: &ServiceInfo,
    slices: &[&SliceInfo],
    namespace: Option<&NamespaceInfo>,
    node: NodeView,
    settings: Settings<'_>,
) -> ServiceOutcome {
    let mut outcome = ServiceOutcome {
        external_ips: service.external_ips.clone(),
        ..ServiceOutcome::default()
    };
    if service.external_ips.is_empty() {
        return outcome;
    }
    let service_verdict = judge_service(key, service, settings, &mut outcome.problems);
    let mut summaries: [Option<endpoints::EndpointSummary>; 2] = [None, None];
    let mut announced_any = false;
    outcome.verdicts = service
        .external_ips
        .iter()
        .map(|external_ip| {
            let checked = match external_ip.ip() {
                Some(ip) => address::check_ip(ip, &settings.announce.allowed_cidrs),
                None => Err(address::AddressRefusal::Unparsable),
            };
            let checked = checked.map_err(Reason::Address).and_then(|prefix| {
                let pools = &settings.announce.pools;
                pools::check(prefix.addr(), key.namespace(), namespace, pools)
                    .map_err(Reason::Pool)
                    .map(|()| prefix)
            });
            let verdict = match (&service_verdict, checked) {
                (Err(reason), _) => Verdict::NotAnnounced(reason.clone()),
                (Ok(_), Err(reason)) => {
                    outcome.problems.push(ServiceProblem {
                        service: key.clone(),
                        code: reason.code(),
                        message: format!("externalIP {external_ip} refused: {reason}"),
                    });
                    Verdict::NotAnnounced(reason)
                }
                (Ok(effective), Ok(prefix)) => match node.withdraws_all() {
                    Some(reason) => Verdict::NotAnnounced(reason),
                    None => {
                        // One summary per family: a Service with 100,000 addresses reads
                        // its slices twice at most, not once per address.
                        let family = AddressFamily::of(prefix.addr());
                        let slot = usize::from(family == AddressFamily::V6);
                        let summary = *summaries[slot].get_or_insert_with(|| {
                            endpoints::summarize(slices.iter().copied(), family, settings.node_name)
                        });
                        judge_endpoints(effective, summary)
                    }
                },
            };
            announced_any |= matches!(verdict, Verdict::Announced(_));
            verdict
        })
        .collect();
    // In a fixed order, so reordering externalIPs is not a change to report.
    outcome
        .problems
        .sort_by(|a, b| (a.code, &a.message).cmp(&(b.code, &b.message)));
    if let (true, Ok(effective)) = (announced_any, &service_verdict) {
        let base = Arc::new(route_attributes(settings.announce, effective, node.drained));
        let peers = effective.peers.clone().map_or(PeerSelection::All, |names| {
            PeerSelection::Only(Arc::new(names))
        });
        // Weighted anycast: one link bandwidth per family, from that family's endpoints.
        let bandwidth = |summary: endpoints::EndpointSummary| {
            weight::link_bandwidth(
                &settings.announce.weighted,
                effective.weight,
                settings.local_asn,
                summary.local_ready_count,
            )
        };
        let [v4, v6] = summaries.map(|s| s.map(bandwidth));
        let v4_attrs = v4.map(|c| weight::with_link_bandwidth(&base, c));
        let v6_attrs = match (v6, &v4_attrs) {
            // Equal weights (or none): both families share one attribute set.
            (Some(c), Some(shared)) if Some(c) == v4 => Some(shared.clone()),
            (c, _) => c.map(|c| weight::with_link_bandwidth(&base, c)),
        };
        outcome.templates = [v4_attrs, v6_attrs].map(|attributes| {
            Some(Arc::new(RouteTemplate {
                attributes: attributes?,
                peers: peers.clone(),
            }))
        });
    }
    outcome
}

/// The Service-wide rules (SPEC 4.1): `Ok` with the annotations in force, or why none of
/// its addresses can be announced. Bad annotation values are reported in `problems`; each
/// takes its default (SPEC 5), so they never decide on their own.
fn judge_service(
    key: &ObjectKey,
    service: &ServiceInfo,
    settings: Settings<'_>,
    problems: &mut Vec<ServiceProblem>,
) -> Result<ServiceAnnotations, Reason> {
    if service.external_name {
        return Err(Reason::ExternalName);
    }
    if service.headless {
        return Err(Reason::Headless);
    }
    if service.other_proxy {
        return Err(Reason::OtherServiceProxy);
    }
    if !settings.announce.namespaces.is_empty()
        && !settings.announce.namespaces.contains(key.namespace())
    {
        return Err(Reason::NamespaceNotAllowed);
    }
    let (mut effective, mut bad) = annotations::parse(&service.annotations, settings.peer_names);
    bad.extend(crate::annotation_communities::enforce(
        &mut effective,
        &settings.announce.annotation_communities,
    ));
    problems.extend(bad.into_iter().map(|problem| ServiceProblem {
        service: key.clone(),
        code: "invalid_annotation",
        message: format!("{problem}; ignored, its default applies"),
    }));
    if effective.announce_from == AnnounceFrom::Cluster && service.local_traffic_policy {
        // SPEC 5: refused, since other nodes would drop the traffic; announcing from the
        // nodes with local endpoints is always safe, so that is what happens instead.
        problems.push(ServiceProblem {
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

/// The endpoint rules (SPEC 4.4 and 4.5) for one address, given its family's summary.
fn judge_endpoints(effective: &ServiceAnnotations, summary: endpoints::EndpointSummary) -> Verdict {
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
    let graceful_shutdown = drained.then_some(Community::GRACEFUL_SHUTDOWN);
    let communities = combined(
        &announce.communities,
        &effective.communities,
        graceful_shutdown,
    );
    let large_communities = combined(
        &announce.large_communities,
        &effective.large_communities,
        None,
    );
    RouteAttributes {
        origin: bgp::wire::Origin::Igp,
        as_path_prepend: effective.as_path_prepend,
        med: effective.med,
        local_pref: effective.local_preference,
        communities,
        large_communities,
        extended_communities: Vec::new(),
    }
}

/// The config's values, the Service's own and `extra`, in order and each once.
fn combined<T: Ord + Copy>(config: &[T], service: &[T], extra: Option<T>) -> Vec<T> {
    sorted_unique(config.iter().chain(service).copied().chain(extra).collect())
}

#[cfg(test)]
mod tests;
