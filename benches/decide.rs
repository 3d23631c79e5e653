//! How long one decision takes at scale: 10,000 Services with one externalIP and three
//! endpoints each (one on this node). The daemon recomputes on every cluster change, so
//! this bounds the decision's share of the event-to-wire latency.

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::core::v1::{Service, ServiceSpec};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube_anycast::cluster::{ClusterState, ObjectKey};
use kube_anycast::config::{AnnounceConfig, ServiceSelection};
use kube_anycast::decide::incremental::Incremental;
use kube_anycast::decide::{Settings, decide};
use std::collections::BTreeSet;
use std::hint::black_box;

const SERVICES: usize = 10_000;

fn cluster() -> ClusterState {
    let mut state = ClusterState::default();
    for i in 0..SERVICES {
        let name = format!("svc-{i}");
        let ip = format!("10.{}.{}.{}", 100 + i / 65536, (i / 256) % 256, i % 256);
        state.upsert_service(
            ObjectKey::new("bench", &name),
            Service {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some("bench".into()),
                    ..Default::default()
                },
                spec: Some(ServiceSpec {
                    external_ips: Some(vec![ip]),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let endpoints = (0..3)
            .map(|n| Endpoint {
                addresses: vec![format!("172.16.{}.{}", n, i % 250)],
                node_name: Some(format!("node-{n}")),
                conditions: Some(EndpointConditions {
                    ready: Some(true),
                    serving: Some(true),
                    terminating: Some(false),
                }),
                ..Default::default()
            })
            .collect();
        state.upsert_slice(
            ObjectKey::new("bench", format!("{name}-a")),
            EndpointSlice {
                metadata: ObjectMeta {
                    name: Some(format!("{name}-a")),
                    namespace: Some("bench".into()),
                    labels: Some([("kubernetes.io/service-name".to_string(), name)].into()),
                    ..Default::default()
                },
                address_type: "IPv4".into(),
                endpoints,
                ports: None,
            },
        );
    }
    state
}

/// Every Service in 10.0.0.0/8 announced, nothing else set.
fn announce_config() -> AnnounceConfig {
    AnnounceConfig {
        allowed_cidrs: vec!["10.0.0.0/8".parse().unwrap()],
        services: ServiceSelection::All,
        namespaces: BTreeSet::new(),
        communities: vec![],
        large_communities: vec![],
        pools: vec![],
        annotation_communities: vec![],
        allow_cross_namespace_sharing: false,
        weighted: Default::default(),
    }
}

/// The settings of node-0 in AS 65001.
fn settings<'a>(announce: &'a AnnounceConfig, peers: &'a BTreeSet<String>) -> Settings<'a> {
    Settings {
        node_name: "node-0",
        local_asn: bgp::Asn(65001),
        announce,
        peer_names: peers,
    }
}

fn bench(c: &mut Criterion) {
    let state = cluster();
    let (announce, peers) = (announce_config(), BTreeSet::new());
    let settings = settings(&announce, &peers);
    let decision = decide(&state, settings);
    println!(
        "decide: {SERVICES} Services x 3 endpoints -> {} routes announced by node-0",
        decision.routes.len()
    );
    c.bench_function("decide 10k services", |b| {
        b.iter(|| decide(black_box(&state), settings))
    });
}

/// One Service with `ROUTES` externalIPs and a ready endpoint on node-0 (workload B), as
/// a cluster prints them.
fn one_big_service() -> ClusterState {
    const ROUTES: u32 = 100_000;
    let ips = (0..ROUTES).map(|i| std::net::Ipv4Addr::from(0x0a40_0000 + i));
    let service = lab::objects::Service::new("bench", "big")
        .external_ips(ips)
        .build();
    let slice = lab::objects::Slice::new("bench", "big")
        .endpoint(lab::objects::Endpoint::ready("172.16.0.1", "node-0"))
        .build();
    let mut state = ClusterState::default();
    let slice: EndpointSlice = serde_json::from_value(slice).expect("a printed slice parses");
    let slice_name = slice.metadata.name.clone().unwrap_or_default();
    state.upsert_service(
        ObjectKey::new("bench", "big"),
        serde_json::from_value::<Service>(service).expect("a printed Service parses"),
    );
    state.upsert_slice(ObjectKey::new("bench", slice_name), slice);
    state
}

/// The incremental decision when a Service with 100,000 announced addresses goes: the
/// decision's share of a bulk withdraw.
fn bulk_withdraw(c: &mut Criterion) {
    let (announce, peers) = (announce_config(), BTreeSet::new());
    let settings = settings(&announce, &peers);
    let mut group = c.benchmark_group("incremental");
    group.sample_size(10);
    group.bench_function("withdraw one Service of 100k addresses", |b| {
        b.iter_batched(
            || {
                let mut state = one_big_service();
                let mut engine = Incremental::new();
                let dirty = state.take_dirty();
                let announced = engine.update(&state, dirty, settings).len();
                assert_eq!(announced, 100_000);
                state.remove_service(&ObjectKey::new("bench", "big"));
                (state, engine)
            },
            |(mut state, mut engine)| {
                let dirty = state.take_dirty();
                let withdrawn = engine.update(&state, dirty, settings);
                assert_eq!(withdrawn.len(), 100_000);
                (withdrawn, engine)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// Workload A: 10,000 Services x 10 externalIPs, each with a slice of 3 endpoints (one
/// ready on node-0), as a cluster prints them.
fn workload_a() -> ClusterState {
    let spec = lab::workload::Spec::workload_a(100_000, "node-0");
    let namespace = lab::workload::NAMESPACE;
    let mut state = ClusterState::default();
    for i in 0..spec.services {
        let service: Service =
            serde_json::from_value(spec.service(i).build()).expect("a printed Service parses");
        state.upsert_service(ObjectKey::new(namespace, spec.service_name(i)), service);
        let slice: EndpointSlice =
            serde_json::from_value(spec.slice(i).build()).expect("a printed slice parses");
        let name = slice.metadata.name.clone().unwrap_or_default();
        state.upsert_slice(ObjectKey::new(namespace, name), slice);
    }
    state
}

/// The incremental decision when the 10,000 Services of workload A go: at once, as the
/// manifests source deletes them, and one at a time, as the Kubernetes source sees the
/// deletions arrive. The decision's share of workload A's bulk withdraw.
fn bulk_withdraw_many(c: &mut Criterion) {
    let announce = AnnounceConfig {
        allowed_cidrs: vec![lab::workload::EXTERNAL_POOL.parse().expect("a prefix")],
        ..announce_config()
    };
    let peers = BTreeSet::new();
    let settings = settings(&announce, &peers);
    let mut group = c.benchmark_group("incremental");
    group.sample_size(10);
    let announced = || {
        let mut state = workload_a();
        let mut engine = Incremental::new();
        let dirty = state.take_dirty();
        assert_eq!(engine.update(&state, dirty, settings).len(), 100_000);
        let keys: Vec<ObjectKey> = state.services().keys().cloned().collect();
        (state, engine, keys)
    };
    for (step, how) in [(10_000, "at once"), (1, "one at a time")] {
        let name = format!("withdraw 10k Services of 10 addresses, {how}");
        group.bench_function(name, |b| {
            b.iter_batched(
                announced,
                |(mut state, mut engine, keys)| {
                    let mut withdrawn = 0;
                    for keys in keys.chunks(step) {
                        for key in keys {
                            state.remove_service(key);
                        }
                        let dirty = state.take_dirty();
                        withdrawn += engine.update(&state, dirty, settings).len();
                    }
                    assert_eq!(withdrawn, 100_000);
                    (state, engine)
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench, bulk_withdraw, bulk_withdraw_many);
criterion_main!(benches);
