//! The same decision as [`super::decide`], kept up to date one Service at a time: a change
//! to one Service or EndpointSlice recomputes that Service and re-merges only the
//! addresses it touches, so a withdraw reaches the wire in microseconds of decision time
//! even with 10,000 Services. A change to the Node or a relist recomputes everything. The
//! per-Service rules are the pure [`super::decide_service`]; a property test checks that
//! this engine always agrees with the full decision.

use super::reason::Verdict;
use super::{
    AddressVerdict, NodeView, Route, ServiceOutcome, ServiceProblem, Settings, decide_service,
    merge,
};
use crate::cluster::{ClusterState, Dirty, ObjectKey};
use ipnet::IpNet;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// The decision, maintained incrementally.
#[derive(Debug, Default)]
pub struct Incremental {
    outcomes: BTreeMap<ObjectKey, ServiceOutcome>,
    wanters: HashMap<IpNet, BTreeSet<ObjectKey>>,
    routes: BTreeMap<IpNet, Route>,
    conflicts: BTreeMap<IpNet, Vec<ServiceProblem>>,
    node: NodeView,
    /// Services by the externalIPs they list, announced or not: why an address is not
    /// announced is found without a scan.
    by_address: HashMap<IpAddr, BTreeSet<ObjectKey>>,
    /// Refused externalIPs by reason code.
    refused: BTreeMap<&'static str, usize>,
    /// Some Service's problems (or a conflict) changed since [`Incremental::take_problems_changed`].
    problems_changed: bool,
}

impl Incremental {
    /// An empty decision.
    pub fn new() -> Incremental {
        Incremental::default()
    }

    /// The routes to announce.
    pub fn routes(&self) -> &BTreeMap<IpNet, Route> {
        &self.routes
    }

    /// The per-Service outcomes (verdicts, problems).
    pub fn outcomes(&self) -> &BTreeMap<ObjectKey, ServiceOutcome> {
        &self.outcomes
    }

    /// Whether the node is drained.
    pub fn node(&self) -> NodeView {
        self.node
    }

    /// Refused externalIPs by reason code (codes with none are absent).
    pub fn refused(&self) -> &BTreeMap<&'static str, usize> {
        &self.refused
    }

    /// Why `address` is not announced: the verdicts of the Services that list it.
    pub fn verdicts_for(&self, address: IpAddr) -> Vec<&AddressVerdict> {
        self.by_address
            .get(&address)
            .into_iter()
            .flatten()
            .filter_map(|key| self.outcomes.get(key))
            .flat_map(|o| o.verdicts.iter())
            .filter(|v| v.external_ip.parse::<IpAddr>().ok() == Some(address))
            .collect()
    }

    /// True once after any problem appeared, changed or went away: reporting needs to look
    /// at [`Incremental::problems`] only then.
    pub fn take_problems_changed(&mut self) -> bool {
        std::mem::take(&mut self.problems_changed)
    }

    /// Every current problem: per Service, then shared-address conflicts.
    pub fn problems(&self) -> Vec<ServiceProblem> {
        self.outcomes
            .values()
            .flat_map(|o| o.problems.iter())
            .chain(self.conflicts.values().flatten())
            .cloned()
            .collect()
    }

    /// Brings the decision up to date with `cluster`, given what changed; returns the
    /// addresses whose route appeared, disappeared or changed.
    pub fn update(
        &mut self,
        cluster: &ClusterState,
        dirty: Dirty,
        settings: Settings<'_>,
    ) -> Vec<IpNet> {
        let node = NodeView::of(cluster.node());
        let keys: BTreeSet<ObjectKey> = match dirty {
            Dirty::Services(keys) if node == self.node => keys,
            _ => self
                .outcomes
                .keys()
                .chain(cluster.services().keys())
                .cloned()
                .collect(),
        };
        self.node = node;
        let mut touched: BTreeSet<IpNet> = BTreeSet::new();
        for key in keys {
            let old = self.outcomes.remove(&key);
            if let Some(old) = &old {
                self.forget(&key, old);
            }
            for (prefix, _, _) in old.iter().flat_map(|o| o.wanted.iter()) {
                touched.insert(*prefix);
                if let Some(set) = self.wanters.get_mut(prefix) {
                    set.remove(&key);
                    if set.is_empty() {
                        self.wanters.remove(prefix);
                    }
                }
            }
            let Some(service) = cluster.services().get(&key) else {
                if old.is_some_and(|o| !o.problems.is_empty()) {
                    self.problems_changed = true;
                }
                continue;
            };
            let slices: Vec<&EndpointSlice> = cluster.slices_of(&key).collect();
            let last_good = old.as_ref().and_then(|o| o.last_good.as_ref());
            let outcome = decide_service(&key, service, &slices, node, settings, last_good);
            if old.as_ref().map(|o| &o.problems) != Some(&outcome.problems)
                && !(old.is_none() && outcome.problems.is_empty())
            {
                self.problems_changed = true;
            }
            self.remember(&key, &outcome);
            for (prefix, _, _) in &outcome.wanted {
                touched.insert(*prefix);
                self.wanters.entry(*prefix).or_default().insert(key.clone());
            }
            self.outcomes.insert(key, outcome);
        }
        touched
            .into_iter()
            .filter(|prefix| self.remerge(*prefix))
            .collect()
    }

    /// Indexes an outcome's addresses and refusals.
    fn remember(&mut self, key: &ObjectKey, outcome: &ServiceOutcome) {
        for v in &outcome.verdicts {
            if let Ok(address) = v.external_ip.parse::<IpAddr>() {
                self.by_address
                    .entry(address)
                    .or_default()
                    .insert(key.clone());
            }
            if let Verdict::NotAnnounced(reason) = &v.verdict
                && reason.is_refusal()
            {
                *self.refused.entry(reason.code()).or_default() += 1;
            }
        }
    }

    /// Undoes [`Incremental::remember`].
    fn forget(&mut self, key: &ObjectKey, outcome: &ServiceOutcome) {
        for v in &outcome.verdicts {
            if let Ok(address) = v.external_ip.parse::<IpAddr>()
                && let Some(set) = self.by_address.get_mut(&address)
            {
                set.remove(key);
                if set.is_empty() {
                    self.by_address.remove(&address);
                }
            }
            if let Verdict::NotAnnounced(reason) = &v.verdict
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
        let wanted: Vec<_> =
            self.wanters
                .get(&prefix)
                .into_iter()
                .flatten()
                .filter_map(|key| Some((key, self.outcomes.get(key)?)))
                .flat_map(|(key, outcome)| {
                    outcome.wanted.iter().filter(|(p, _, _)| *p == prefix).map(
                        move |(p, attrs, peers)| (*p, key.clone(), attrs.clone(), peers.clone()),
                    )
                })
                .collect();
        let (mut routes, conflicts) = merge::merge(wanted);
        let old_conflicts = if conflicts.is_empty() {
            self.conflicts.remove(&prefix)
        } else {
            self.conflicts.insert(prefix, conflicts.clone())
        };
        if old_conflicts.unwrap_or_default() != conflicts {
            self.problems_changed = true;
        }
        let new = routes.remove(&prefix);
        let changed = self.routes.get(&prefix) != new.as_ref();
        match new {
            Some(route) => self.routes.insert(prefix, route),
            None => self.routes.remove(&prefix),
        };
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AnnounceConfig, ServiceSelection};
    use crate::decide::decide;
    use k8s_openapi::api::core::v1::{Node, Service, ServiceSpec};
    use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions};
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
                    addresses: vec![if *family6 {
                        format!("fd00::{n}")
                    } else {
                        format!("10.0.0.{n}")
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
            };
            let peers = Default::default();
            let settings = Settings { node_name: "node-a", announce: &announce, peer_names: &peers };
            let mut cluster = ClusterState::default();
            let mut engine = Incremental::new();
            let mut full_last_good = HashMap::new();
            let mut previous = BTreeMap::new();
            let mut previous_problems = Vec::new();
            for op in &ops {
                apply(&mut cluster, op);
                let dirty = cluster.take_dirty();
                let changed = engine.update(&cluster, dirty, settings);
                let full = decide(&cluster, settings, &full_last_good);
                prop_assert_eq!(engine.routes(), &full.routes, "after {:?}", op);
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
                prop_assert_eq!(changed, expected_changed, "changed addresses after {:?}", op);
                previous = full.routes.clone();
                full_last_good = full.last_good;
            }
        }
    }
}
