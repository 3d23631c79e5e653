//! The incremental engine always agrees with the full decision.
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
        /// 0: none, 1: an allowed community, 2: BLACKHOLE (refused).
        community: u8,
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
        unhealthy: bool,
    },
    /// Labels namespace "ns" for the pool of 203.0.113.0/31 or not.
    Namespace(bool),
    Relist,
}

/// 203.0.113.1 is for namespaces labelled `pool: a`; the other addresses are in a
/// pool for every namespace by name.
fn pools() -> Vec<crate::config::Pool> {
    use crate::config::{NamespaceScope, Pool};
    vec![
        Pool {
            name: "a".into(),
            cidrs: vec!["203.0.113.0/31".parse().unwrap()],
            namespaces: NamespaceScope::Selector([("pool".into(), "a".into())].into()),
        },
        Pool {
            name: "rest".into(),
            cidrs: vec![
                "203.0.113.2/31".parse().unwrap(),
                "2001:db8:100::/64".parse().unwrap(),
            ],
            namespaces: NamespaceScope::Names(["ns".into(), "other".into()].into()),
        },
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..4usize,
            proptest::collection::vec(0..4usize, 0..3),
            proptest::option::of(0..3u32),
            any::<bool>(),
            any::<bool>(),
            0..3u8
        )
            .prop_map(|(n, ips, med, bad, off, community)| Op::Service {
                n,
                ips,
                med,
                bad: bad && n % 2 == 0,
                off: off && n == 3,
                community
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
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(excluded, drained, unhealthy)| {
            Op::Node {
                excluded,
                drained,
                unhealthy,
            }
        }),
        any::<bool>().prop_map(Op::Namespace),
        Just(Op::Relist),
    ]
}

/// Service 2 (and its slices) live in a namespace of their own, so cross-namespace
/// sharing happens.
fn namespace(n: usize) -> &'static str {
    if n == 2 { "other" } else { "ns" }
}

fn apply(cluster: &mut ClusterState, op: &Op) {
    let meta = |n: usize, name: String| ObjectMeta {
        name: Some(name),
        namespace: Some(namespace(n).into()),
        ..Default::default()
    };
    match op {
        Op::Service {
            n,
            ips,
            med,
            bad,
            off,
            community,
        } => {
            let mut m = meta(*n, format!("s{n}"));
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
            if *community > 0 {
                let value = if *community == 1 {
                    "65010:1"
                } else {
                    "65535:666"
                };
                annotations.insert("kube-anycast.io/communities".to_string(), value.to_string());
            }
            m.annotations = Some(annotations);
            let spec = ServiceSpec {
                external_ips: Some(ips.iter().map(|i| IPS[*i].to_string()).collect()),
                ..Default::default()
            };
            cluster.upsert_service(
                ObjectKey::new(namespace(*n), format!("s{n}")),
                Service {
                    metadata: m,
                    spec: Some(spec),
                    ..Default::default()
                },
            );
        }
        Op::RemoveService(n) => {
            cluster.remove_service(&ObjectKey::new(namespace(*n), format!("s{n}")));
        }
        Op::Slice {
            n,
            slice,
            family6,
            local,
            ready,
            terminating,
        } => {
            let name = format!("s{n}-{slice}");
            let mut m = meta(*n, name.clone());
            m.labels = Some([("kubernetes.io/service-name".to_string(), format!("s{n}"))].into());
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
            cluster.upsert_slice(ObjectKey::new(namespace(*n), name), s);
        }
        Op::RemoveSlice { n, slice } => {
            cluster.remove_slice(&ObjectKey::new(namespace(*n), format!("s{n}-{slice}")));
        }
        Op::Node {
            excluded,
            drained,
            unhealthy,
        } => {
            let mut m = ObjectMeta {
                name: Some("node-a".into()),
                ..Default::default()
            };
            if *excluded {
                m.labels =
                    Some([(crate::decide::EXCLUDE_NODE_LABEL.to_string(), String::new())].into());
            }
            if *drained {
                m.annotations =
                    Some([("kube-anycast.io/drain".to_string(), "true".to_string())].into());
            }
            if *unhealthy {
                m.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    Default::default(),
                ));
            }
            cluster.set_node(Some(Node {
                metadata: m,
                ..Default::default()
            }));
        }
        Op::Namespace(labelled) => {
            let labels = if *labelled {
                [("pool".to_string(), "a".to_string())].into()
            } else {
                Default::default()
            };
            cluster.upsert_namespace(
                "ns".into(),
                crate::cluster::objects::NamespaceInfo { labels },
            );
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
    fn incremental_decision_always_equals_the_full_decision(batches in proptest::collection::vec(proptest::collection::vec(op(), 1..4), 1..30), cross in any::<bool>(), pooled in any::<bool>()) {
        let announce = AnnounceConfig {
            allowed_cidrs: vec!["203.0.113.0/24".parse().unwrap(), "2001:db8:100::/64".parse().unwrap()],
            pools: if pooled { pools() } else { vec![] },
            services: ServiceSelection::All,
            namespaces: Default::default(),
            communities: vec![],
            large_communities: vec![],
            annotation_communities: vec![crate::annotation_communities::CommunityPattern::Asn(65010)],
            allow_cross_namespace_sharing: cross,
            weighted: crate::config::weighted::WeightedConfig { enabled: true, ..Default::default() },
        };
        let peers = Default::default();
        let settings = Settings { node_name: "node-a", local_asn: bgp::Asn(65001), announce: &announce, peer_names: &peers };
        let mut cluster = ClusterState::default();
        let mut engine = Incremental::new();
        let mut previous = BTreeMap::new();
        let mut previous_problems = Vec::new();
        // Several changes at once, as one file rename or one relist brings them: a
        // Service deleted while another starts listing its address is decided together.
        for op in &batches {
            for one in op {
                apply(&mut cluster, one);
            }
            let dirty = cluster.take_dirty();
            let mut streamed: Vec<IpNet> = Vec::new();
            let rest = engine.update_streaming(&cluster, dirty, settings, &mut |chunk| {
                assert!(chunk.len() <= WITHDRAWN_CHUNK);
                assert!(chunk.is_sorted(), "a chunk in order");
                streamed.extend_from_slice(chunk)
            });
            let full = decide(&cluster, settings);
            // What is handed over early is final: withdrawn in the full decision.
            for prefix in &streamed {
                prop_assert!(!full.routes.contains_key(prefix), "{} streamed but announced after {:?}", prefix, op);
                prop_assert!(!rest.contains(prefix), "{} both streamed and returned", prefix);
            }
            let mut changed = streamed;
            changed.extend(rest);
            changed.sort_unstable();
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
            prop_assert_eq!(changed, expected_changed, "changed addresses after {:?}", op);
            previous = full.routes.clone();
        }
    }
}

fn service(n: usize, ips: Vec<usize>) -> Op {
    Op::Service {
        n,
        ips,
        med: None,
        bad: false,
        off: false,
        community: 0,
    }
}

fn local_ready_slice(n: usize) -> Op {
    Op::Slice {
        n,
        slice: 0,
        family6: false,
        local: true,
        ready: true,
        terminating: false,
    }
}

/// Runs `body` with node-a's settings: the decision tests' announce config, no peers.
fn with_node_a_settings(body: impl FnOnce(Settings<'_>)) {
    let announce = crate::decide::tests::announce_config();
    let peers = Default::default();
    body(Settings {
        node_name: "node-a",
        local_asn: bgp::Asn(65001),
        announce: &announce,
        peer_names: &peers,
    })
}

/// The cluster after `ops`, a decision that took it in, and how many routes it announced.
fn decided(ops: &[Op], settings: Settings<'_>) -> (ClusterState, Incremental, usize) {
    let mut cluster = ClusterState::default();
    for op in ops {
        apply(&mut cluster, op);
    }
    let mut engine = Incremental::new();
    let dirty = cluster.take_dirty();
    let announced = engine.update(&cluster, dirty, settings).len();
    (cluster, engine, announced)
}

/// s0 listing the first two addresses and s1 listing `s1_ips`, each with a ready endpoint
/// on node-a.
fn s0_with_two_addresses_and_s1_with(s1_ips: &[usize]) -> [Op; 4] {
    [
        service(0, vec![0, 1]),
        local_ready_slice(0),
        service(1, s1_ips.to_vec()),
        local_ready_slice(1),
    ]
}

#[test]
fn an_address_another_service_takes_over_in_the_same_update_is_not_withdrawn_early() {
    with_node_a_settings(|settings| {
        let ops = s0_with_two_addresses_and_s1_with(&[]);
        let (mut cluster, mut engine, announced) = decided(&ops, settings);
        assert_eq!(announced, 2);
        // s0 goes; in the same update s1 starts listing the first of its two addresses.
        apply(&mut cluster, &Op::RemoveService(0));
        apply(&mut cluster, &service(1, vec![0]));
        let mut streamed = Vec::new();
        let dirty = cluster.take_dirty();
        let rest = engine.update_streaming(&cluster, dirty, settings, &mut |chunk| {
            streamed.extend_from_slice(chunk)
        });
        let second: IpNet = "203.0.113.2/32".parse().unwrap();
        let first: IpNet = "203.0.113.1/32".parse().unwrap();
        assert_eq!(streamed, [second], "only the address nobody lists any more");
        assert!(engine.route(&first).is_some(), "s1 announces the first");
        assert!(!rest.contains(&second));
    });
}

#[test]
fn removals_alone_withdraw_early_and_leave_shared_addresses_to_the_others() {
    with_node_a_settings(|settings| {
        let ops = s0_with_two_addresses_and_s1_with(&[0]);
        let (mut cluster, mut engine, announced) = decided(&ops, settings);
        assert_eq!(announced, 2);
        // s0 goes and nothing else changes: the state records a removal only.
        apply(&mut cluster, &Op::RemoveService(0));
        let dirty = cluster.take_dirty();
        assert!(matches!(dirty, crate::cluster::Dirty::Removed(ref keys) if keys.len() == 1));
        let mut streamed = Vec::new();
        let rest = engine.update_streaming(&cluster, dirty, settings, &mut |chunk| {
            streamed.extend_from_slice(chunk)
        });
        let [shared, only_s0]: [IpNet; 2] =
            ["203.0.113.1/32", "203.0.113.2/32"].map(|p| p.parse().unwrap());
        assert_eq!(streamed, [only_s0], "withdrawn while deciding");
        assert!(
            rest.is_empty(),
            "the shared address keeps its route: {rest:?}"
        );
        assert!(engine.route(&shared).is_some(), "s1 still announces it");
        assert_eq!(engine.route_count(), 1);
    });
}
