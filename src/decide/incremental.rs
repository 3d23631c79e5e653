//! The same decision as [`super::decide`], kept up to date one Service at a time: a change
//! to one Service or EndpointSlice recomputes that Service and re-merges only the
//! addresses it touches, so a withdraw reaches the wire in microseconds of decision time
//! even with 10,000 Services. A change to the Node or a relist recomputes everything. The
//! per-Service rules are the pure [`super::decide_service`]; a property test checks that
//! this engine always agrees with the full decision.
//!
//! Memory is per address, so it is kept to one index entry and one route per address:
//! Service names are shared ([`ServiceRef`]), attributes are shared per Service, and an
//! address's listers are stored inline for the usual single Service.

use super::reason::Verdict;
use super::{
    AddressVerdict, NodeView, Route, ServiceOutcome, ServiceProblem, ServiceRef, Settings,
    decide_service, merge,
};
use crate::cluster::objects::SliceInfo;
use crate::cluster::{ClusterState, Dirty, ObjectKey};
use ipnet::IpNet;
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

/// Everything kept about one listed address: the Services that list it, each with the
/// address's position in its `externalIPs` (so its verdict is found without a scan), and
/// the route, when it is announced. One hash map entry per address, nothing else.
#[derive(Debug, Default)]
struct AddressEntry {
    listers: SmallVec<[(ServiceRef, u32); 1]>,
    route: Option<Route>,
}

/// The decision, maintained incrementally.
#[derive(Debug, Default)]
pub struct Incremental {
    outcomes: HashMap<ServiceRef, ServiceOutcome>,
    /// Every address some Service lists, announced or not.
    addresses: HashMap<IpAddr, AddressEntry>,
    /// How many addresses have a route.
    route_count: usize,
    conflicts: BTreeMap<IpNet, Vec<ServiceProblem>>,
    node: NodeView,
    /// Refused externalIPs by reason code.
    refused: BTreeMap<&'static str, usize>,
    /// Some Service's problems (or a conflict) changed since [`Incremental::take_problems_changed`].
    problems_changed: bool,
    /// The routes the last [`Incremental::update`] replaced, when they carried a link
    /// bandwidth (weighted anycast): what the daemon's weight hold compares with.
    replaced: Vec<(IpNet, Route)>,
}

impl Incremental {
    /// An empty decision.
    pub fn new() -> Incremental {
        Incremental::default()
    }

    /// The routes to announce, in no particular order.
    pub fn routes(&self) -> impl Iterator<Item = (IpNet, &Route)> + '_ {
        self.addresses
            .iter()
            .filter_map(|(addr, entry)| Some((IpNet::from(*addr), entry.route.as_ref()?)))
    }

    /// The route of one address, if announced.
    pub fn route(&self, prefix: &IpNet) -> Option<&Route> {
        self.addresses.get(&prefix.addr())?.route.as_ref()
    }

    /// How many routes are announced.
    pub fn route_count(&self) -> usize {
        self.route_count
    }

    /// The routes, ordered by prefix (for display and comparison).
    pub fn sorted_routes(&self) -> BTreeMap<IpNet, Route> {
        self.routes().map(|(p, r)| (p, r.clone())).collect()
    }

    /// Refused externalIPs by reason code (codes with none are absent).
    pub fn refused(&self) -> &BTreeMap<&'static str, usize> {
        &self.refused
    }

    /// Why `address` is or is not announced: the verdicts of the Services that list it.
    pub fn verdicts_for(&self, address: IpAddr) -> Vec<AddressVerdict> {
        self.addresses
            .get(&address)
            .into_iter()
            .flat_map(|entry| entry.listers.iter())
            .filter_map(|(service, index)| {
                let outcome = self.outcomes.get(service)?;
                let verdict = outcome.addresses.get(*index as usize)?.verdict.clone();
                Some(AddressVerdict {
                    service: service.clone(),
                    external_ip: address.to_string().into(),
                    verdict,
                })
            })
            .collect()
    }

    /// True once after any problem appeared, changed or went away: reporting needs to look
    /// at [`Incremental::problems`] only then.
    pub fn take_problems_changed(&mut self) -> bool {
        std::mem::take(&mut self.problems_changed)
    }

    /// Every current problem: per Service in Service order, then shared-address conflicts.
    pub fn problems(&self) -> Vec<ServiceProblem> {
        let mut keys: Vec<&ServiceRef> = self.outcomes.keys().collect();
        keys.sort();
        keys.into_iter()
            .flat_map(|k| self.outcomes[k].problems.iter())
            .chain(self.conflicts.values().flatten())
            .cloned()
            .collect()
    }

    /// Takes the weighted routes the last [`Incremental::update`] replaced or removed, as
    /// they were (see `daemon::weight_hold`); taken, so a relist's worth of them is not
    /// kept until the next change.
    pub fn take_replaced(&mut self) -> Vec<(IpNet, Route)> {
        std::mem::take(&mut self.replaced)
    }

    /// Brings the decision up to date with `cluster`, given what changed; returns the
    /// addresses whose route appeared, disappeared or changed, in order.
    pub fn update(
        &mut self,
        cluster: &ClusterState,
        dirty: Dirty,
        settings: Settings<'_>,
    ) -> Vec<IpNet> {
        self.replaced.clear();
        let node = NodeView::of(cluster.node());
        let keys: BTreeSet<ObjectKey> = match dirty {
            Dirty::Services(keys) if node == self.node => keys,
            _ => self
                .outcomes
                .keys()
                .map(|k| (**k).clone())
                .chain(cluster.services().keys().cloned())
                .collect(),
        };
        self.node = node;
        // A start or relist inserts every address at once: sizing the map first spares the
        // doubling steps, whose old and new tables together would be the peak of memory.
        let new_addresses: usize = keys
            .iter()
            .filter(|k| !self.outcomes.contains_key(*k))
            .filter_map(|k| cluster.services().get(k))
            .map(|s| s.external_ips.len())
            .sum();
        self.addresses.reserve(new_addresses);
        let mut touched: Vec<IpNet> = Vec::new();
        for key in keys {
            let old = self.outcomes.remove_entry(&key);
            let service_ref = match &old {
                Some((service_ref, old)) => {
                    touched.extend(old.wanted());
                    self.forget(service_ref, old);
                    service_ref.clone()
                }
                None => Arc::new(key.clone()),
            };
            let old = old.map(|(_, o)| o);
            let Some(service) = cluster.services().get(&key) else {
                if old.is_some_and(|o| !o.problems.is_empty()) {
                    self.problems_changed = true;
                }
                continue;
            };
            let slices: Vec<&SliceInfo> = cluster.slices_of(&key).collect();
            let outcome = decide_service(&key, service, &slices, node, settings);
            if old.as_ref().map(|o| &o.problems) != Some(&outcome.problems)
                && !(old.is_none() && outcome.problems.is_empty())
            {
                self.problems_changed = true;
            }
            touched.extend(outcome.wanted());
            self.remember(&service_ref, &outcome);
            self.outcomes.insert(service_ref, outcome);
        }
        touched.sort_unstable();
        touched.dedup();
        touched
            .into_iter()
            .filter(|prefix| self.remerge(*prefix))
            .collect()
    }

    /// Indexes an outcome's addresses and refusals.
    fn remember(&mut self, service: &ServiceRef, outcome: &ServiceOutcome) {
        for (index, a) in outcome.addresses.iter().enumerate() {
            if let Some(prefix) = a.prefix {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                self.addresses
                    .entry(prefix.addr())
                    .or_default()
                    .listers
                    .push((service.clone(), index));
            }
            if let Verdict::NotAnnounced(reason) = &a.verdict
                && reason.is_refusal()
            {
                *self.refused.entry(reason.code()).or_default() += 1;
            }
        }
    }

    /// Undoes [`Incremental::remember`].
    fn forget(&mut self, service: &ServiceRef, outcome: &ServiceOutcome) {
        for a in outcome.addresses.iter() {
            if let Some(prefix) = a.prefix
                && let Some(entry) = self.addresses.get_mut(&prefix.addr())
            {
                // The entry stays while it has a route: the re-merge that follows
                // withdraws it and then drops the entry.
                entry.listers.retain(|(s, _)| !Arc::ptr_eq(s, service));
                if entry.listers.is_empty() && entry.route.is_none() {
                    self.addresses.remove(&prefix.addr());
                }
            }
            if let Verdict::NotAnnounced(reason) = &a.verdict
                && reason.is_refusal()
                && let Some(n) = self.refused.get_mut(reason.code())
            {
                *n -= 1;
                if *n == 0 {
                    self.refused.remove(reason.code());
                }
            }
        }
    }

    /// Recomputes the route of one address from the Services that want it; true when it
    /// changed.
    fn remerge(&mut self, prefix: IpNet) -> bool {
        let wanted: Vec<_> = self
            .addresses
            .get(&prefix.addr())
            .into_iter()
            .flat_map(|entry| entry.listers.iter())
            .filter_map(|(service, index)| {
                let outcome = self.outcomes.get(service)?;
                let address = outcome.addresses.get(*index as usize)?;
                let announced = matches!(address.verdict, Verdict::Announced(_));
                let template = outcome.template_for(prefix).filter(|_| announced)?;
                Some((prefix, service.clone(), template.clone()))
            })
            .collect();
        let (new, conflicts) = match <[_; 1]>::try_from(wanted) {
            // The usual case, one Service: its route is its template, nothing to merge.
            Ok([(_, service, template)]) => (
                Some(Route {
                    attributes: template.attributes,
                    peers: template.peers,
                    services: smallvec::smallvec![service],
                }),
                Vec::new(),
            ),
            Err(wanted) => {
                let (mut routes, conflicts) = merge::merge(wanted);
                (routes.remove(&prefix), conflicts)
            }
        };
        let old_conflicts = if conflicts.is_empty() {
            self.conflicts.remove(&prefix)
        } else {
            self.conflicts.insert(prefix, conflicts.clone())
        };
        if old_conflicts.unwrap_or_default() != conflicts {
            self.problems_changed = true;
        }
        let Some(entry) = self.addresses.get_mut(&prefix.addr()) else {
            return false; // Nobody lists it and it had no route.
        };
        let changed = entry.route != new;
        match (entry.route.is_some(), new.is_some()) {
            (false, true) => self.route_count += 1,
            (true, false) => self.route_count -= 1,
            _ => {}
        }
        let old = std::mem::replace(&mut entry.route, new);
        if let Some(old) =
            old.filter(|o| changed && super::weight::bytes_per_second(&o.attributes).is_some())
        {
            self.replaced.push((prefix, old));
        }
        if entry.route.is_none() && entry.listers.is_empty() {
            self.addresses.remove(&prefix.addr());
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AnnounceConfig, ServiceSelection};
    use crate::decide::decide;
    use k8s_openapi::api::core::v1::{Node, Service, ServiceSpec};
    use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use proptest::prelude::*;

    const IPS: [&str; 4] = ["203.0.113.1", "203.0.113.2", "8.8.8.8", "2001:db8:100::1"];

    /// One change a source could make.
    #[derive(Clone, Debug)]
    enum Op {
        Service {
            n: usize,
            ips: Vec<usize>,
            med: Option<u32>,
            bad: bool,
            off: bool,
        },
        RemoveService(usize),
        Slice {
            n: usize,
            slice: usize,
            family6: bool,
            local: bool,
            ready: bool,
            terminating: bool,
        },
        RemoveSlice {
            n: usize,
            slice: usize,
        },
        Node {
            excluded: bool,
            drained: bool,
        },
        Relist,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (
                0..4usize,
                proptest::collection::vec(0..4usize, 0..3),
                proptest::option::of(0..3u32),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(n, ips, med, bad, off)| Op::Service {
                    n,
                    ips,
                    med,
                    bad: bad && n % 2 == 0,
                    off: off && n == 3
                }),
            (0..4usize).prop_map(Op::RemoveService),
            (
                0..4usize,
                0..2usize,
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(n, slice, family6, local, ready, terminating)| Op::Slice {
                    n,
                    slice,
                    family6,
                    local,
                    ready,
                    terminating
                }),
            (0..4usize, 0..2usize).prop_map(|(n, slice)| Op::RemoveSlice { n, slice }),
            (any::<bool>(), any::<bool>())
                .prop_map(|(excluded, drained)| Op::Node { excluded, drained }),
            Just(Op::Relist),
        ]
    }

    fn apply(cluster: &mut ClusterState, op: &Op) {
        let meta = |name: String| ObjectMeta {
            name: Some(name),
            namespace: Some("ns".into()),
            ..Default::default()
        };
        match op {
            Op::Service {
                n,
                ips,
                med,
                bad,
                off,
            } => {
                let mut m = meta(format!("s{n}"));
                let mut annotations = std::collections::BTreeMap::new();
                if let Some(med) = med {
                    annotations.insert("kube-anycast.io/med".to_string(), med.to_string());
                }
                if *bad {
                    annotations.insert(
                        "kube-anycast.io/as-path-prepend".to_string(),
                        "eleven".to_string(),
                    );
                }
                if *off {
                    annotations.insert("kube-anycast.io/announce".to_string(), "false".to_string());
                }
                m.annotations = Some(annotations);
                let spec = ServiceSpec {
                    external_ips: Some(ips.iter().map(|i| IPS[*i].to_string()).collect()),
                    ..Default::default()
                };
                cluster.upsert_service(
                    ObjectKey::new("ns", format!("s{n}")),
                    Service {
                        metadata: m,
                        spec: Some(spec),
                        ..Default::default()
                    },
                );
            }
            Op::RemoveService(n) => cluster.remove_service(&ObjectKey::new("ns", format!("s{n}"))),
            Op::Slice {
                n,
                slice,
                family6,
                local,
                ready,
                terminating,
            } => {
                let name = format!("s{n}-{slice}");
                let mut m = meta(name.clone());
                m.labels =
                    Some([("kubernetes.io/service-name".to_string(), format!("s{n}"))].into());
                let endpoint = Endpoint {
                    // One address per slice, so two slices make two endpoints (weights 1, 2).
                    addresses: vec![if *family6 {
                        format!("fd00::{slice}:{n}")
                    } else {
                        format!("10.0.{slice}.{n}")
                    }],
                    node_name: Some(if *local { "node-a" } else { "node-b" }.into()),
                    conditions: Some(EndpointConditions {
                        ready: Some(*ready),
                        serving: Some(true),
                        terminating: Some(*terminating),
                    }),
                    ..Default::default()
                };
                let s = EndpointSlice {
                    metadata: m,
                    address_type: if *family6 { "IPv6" } else { "IPv4" }.into(),
                    endpoints: vec![endpoint],
                    ports: None,
                };
                cluster.upsert_slice(ObjectKey::new("ns", name), s);
            }
            Op::RemoveSlice { n, slice } => {
                cluster.remove_slice(&ObjectKey::new("ns", format!("s{n}-{slice}")))
            }
            Op::Node { excluded, drained } => {
                let mut m = ObjectMeta {
                    name: Some("node-a".into()),
                    ..Default::default()
                };
                if *excluded {
                    m.labels = Some(
                        [(crate::decide::EXCLUDE_NODE_LABEL.to_string(), String::new())].into(),
                    );
                }
                if *drained {
                    m.annotations =
                        Some([("kube-anycast.io/drain".to_string(), "true".to_string())].into());
                }
                cluster.set_node(Some(Node {
                    metadata: m,
                    ..Default::default()
                }));
            }
            Op::Relist => {
                let services = cluster.services().clone();
                cluster.replace_services(services);
            }
        }
    }

    fn sorted(mut problems: Vec<ServiceProblem>) -> Vec<(String, &'static str, String)> {
        let mut v: Vec<_> = problems
            .drain(..)
            .map(|p| (p.service.to_string(), p.code, p.message))
            .collect();
        v.sort();
        v
    }

    proptest! {
        #[test]
        fn incremental_decision_always_equals_the_full_decision(ops in proptest::collection::vec(op(), 1..40)) {
            let announce = AnnounceConfig {
                allowed_cidrs: vec!["203.0.113.0/24".parse().unwrap(), "2001:db8:100::/64".parse().unwrap()],
                services: ServiceSelection::All,
                namespaces: Default::default(),
                communities: vec![],
                large_communities: vec![],
                // Weighted, so endpoint counts reach the attributes and are checked too.
                weighted: crate::config::weighted::WeightedConfig { enabled: true, ..Default::default() },
            };
            let peers = Default::default();
            let settings = Settings { node_name: "node-a", local_asn: bgp::Asn(65001), announce: &announce, peer_names: &peers };
            let mut cluster = ClusterState::default();
            let mut engine = Incremental::new();
            let mut previous = BTreeMap::new();
            let mut previous_problems = Vec::new();
            for op in &ops {
                apply(&mut cluster, op);
                let dirty = cluster.take_dirty();
                let changed = engine.update(&cluster, dirty, settings);
                let full = decide(&cluster, settings);
                prop_assert_eq!(&engine.sorted_routes(), &full.routes, "after {:?}", op);
                prop_assert_eq!(engine.route_count(), full.routes.len());
                let problems_now = sorted(full.problems.clone());
                prop_assert_eq!(sorted(engine.problems()), problems_now.clone());
                prop_assert_eq!(engine.take_problems_changed(), problems_now != previous_problems, "problems_changed after {:?}", op);
                previous_problems = problems_now;
                let refused: BTreeMap<&'static str, usize> = full.refusal_counts();
                prop_assert_eq!(engine.refused(), &refused);
                let expected_changed: Vec<IpNet> = previous
                    .keys()
                    .chain(full.routes.keys())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .filter(|p| previous.get(*p) != full.routes.get(*p))
                    .copied()
                    .collect();
                // The weighted routes replaced or removed, as they were (for the weight hold).
                let expected_replaced: BTreeMap<IpNet, Route> = expected_changed
                    .iter()
                    .filter_map(|p| Some((*p, previous.get(p)?.clone())))
                    .filter(|(_, r)| super::super::weight::bytes_per_second(&r.attributes).is_some())
                    .collect();
                let replaced: BTreeMap<IpNet, Route> = engine.take_replaced().into_iter().collect();
                prop_assert_eq!(replaced, expected_replaced, "replaced routes after {:?}", op);
                prop_assert_eq!(changed, expected_changed, "changed addresses after {:?}", op);
                previous = full.routes.clone();
            }
        }
    }
}
