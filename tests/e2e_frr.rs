//! The whole speaker against a real router: the real `kube-anycast run` binary in a node
//! namespace, a real FRR in a router namespace, and the cluster either in the fake
//! Kubernetes API server (an API-compatible list+watch server, run inside the node
//! namespace so the daemon's real kube client reaches it on loopback) or in manifest
//! files. Creating, changing and deleting Services and EndpointSlices moves the routes in
//! FRR's RIB; an address outside allowed_cidrs never reaches it; the API server answering
//! 410 or restarting never withdraws a route that is still wanted.

use ipnet::IpNet;
use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::fake_apiserver::FakeApiServer;
use lab::frr::{Frr, FrrConfig, FrrNeighbor};
use lab::netns::NetnsPair;
use lab::prereq::{Router, lab_available};
use lab::speaker::NsRuntime;
use lab::{CONVERGE, holds_for, wait_until};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

const ROUTER_ASN: u32 = 65000;
const NODE_ASN: u32 = 4_200_000_010;

fn service(name: &str, ip: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"externalIPs": [ip], "clusterIP": "10.96.0.10"}})
}

fn slice(service: &str, ready: bool) -> Value {
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-1"), "namespace": "shop", "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"], "nodeName": "node-a", "conditions": {"ready": ready}}]})
}

fn node() -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"}})
}

/// The rack: FRR in namespace A, the node in namespace B.
struct Rack {
    frr: Frr,
    pair: NetnsPair,
}

impl Rack {
    fn new() -> Rack {
        let pair = NetnsPair::new();
        let frr = Frr::start(
            &pair.a.ns,
            FrrConfig {
                asn: ROUTER_ASN,
                router_id: pair.a.v4,
                neighbors: vec![FrrNeighbor {
                    address: IpAddr::V4(pair.b.v4),
                    remote_as: NODE_ASN,
                    password: None,
                    passive: false,
                }],
                networks: vec![],
            },
        );
        Rack { frr, pair }
    }

    fn config(&self, source: &str) -> String {
        format!(
            "node_name: node-a\nlocal_asn: {NODE_ASN}\nrouter_id: {}\nsource: {source}\nannounce: {{allowed_cidrs: [203.0.113.0/24]}}\npeers:\n  - {{name: tor, address: {}, asn: {ROUTER_ASN}, hold_time: 9s, connect_retry: 1s, families: [ipv4]}}\n",
            self.pair.b.v4, self.pair.a.v4
        )
    }

    /// The prefixes FRR has from us, with their next hops checked to be the node.
    fn prefixes(&self) -> Result<BTreeSet<String>, String> {
        let rib = self.frr.rib()?;
        let node = IpAddr::V4(self.pair.b.v4);
        for (prefix, hops) in &rib {
            if !hops.contains(&node) {
                return Err(format!(
                    "{prefix} has next hops {hops:?}, not the node {node}"
                ));
            }
        }
        Ok(rib.keys().map(IpNet::to_string).collect())
    }

    fn wait_for(&self, what: &str, expected: &[&str]) {
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        wait_until(what, CONVERGE, || {
            let have = self.prefixes()?;
            if have == expected {
                Ok(())
            } else {
                Err(format!("FRR has {have:?}, want {expected:?}"))
            }
        });
    }

    fn holds(&self, what: &str, expected: &[&str], period: Duration) {
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        holds_for(what, period, || {
            let have = self.prefixes()?;
            if have == expected {
                Ok(())
            } else {
                Err(format!("FRR has {have:?}, want {expected:?}"))
            }
        });
    }
}

#[test]
fn kubernetes_source_moves_routes_on_frr_and_survives_api_trouble() {
    if !lab_available(
        "kubernetes_source_moves_routes_on_frr_and_survives_api_trouble",
        &[Router::Frr],
    ) {
        return;
    }
    let rack = Rack::new();
    // The fake API server binds inside the node namespace: its threads inherit the
    // namespace of the thread that starts it.
    let ns_runtime = NsRuntime::new(&rack.pair.b.ns);
    // Shared so that stop/restart can run on the namespace thread too (a restart binds the
    // port again, on the thread that calls it).
    let api = Arc::new(ns_runtime.run(async { FakeApiServer::start().await }));
    api.apply(node());
    api.apply(service("web", "203.0.113.10"));
    api.apply(slice("web", true));
    api.apply(service("hijack", "8.8.8.8"));
    api.apply(slice("hijack", true));
    let kubeconfig = api.kubeconfig_path().to_str().unwrap().to_owned();
    let daemon = DaemonUnderTest::start_in(
        BINARY,
        Some(&rack.pair.b.ns),
        test_dir("e2e-frr-kube"),
        &rack.config("{kubernetes: {}}"),
        &[("KUBECONFIG", &kubeconfig)],
    );
    rack.frr.wait_established(IpAddr::V4(rack.pair.b.v4));
    rack.wait_for("the first route at FRR", &["203.0.113.10/32"]);

    api.apply(service("api", "203.0.113.11"));
    api.apply(slice("api", true));
    rack.wait_for(
        "a new Service at FRR",
        &["203.0.113.10/32", "203.0.113.11/32"],
    );

    api.apply(slice("web", false));
    rack.wait_for(
        "the not-ready endpoint's route withdrawn",
        &["203.0.113.11/32"],
    );

    api.force_gone();
    rack.holds(
        "routes through a 410 Gone",
        &["203.0.113.11/32"],
        Duration::from_secs(3),
    );
    ns_runtime.run({
        let api = api.clone();
        async move { api.stop().await }
    });
    rack.holds(
        "routes while the API server is down",
        &["203.0.113.11/32"],
        Duration::from_secs(3),
    );
    ns_runtime.run({
        let api = api.clone();
        async move { api.restart().await }
    });
    rack.holds(
        "routes after the API server restarted",
        &["203.0.113.11/32"],
        Duration::from_secs(3),
    );

    api.delete("Service", "shop", "api");
    rack.wait_for("the deleted Service's route withdrawn", &[]);
    assert!(
        !daemon.log().contains("8.8.8.8/32"),
        "the refused address never became a route"
    );
}

#[test]
fn manifests_source_moves_routes_on_frr() {
    if !lab_available("manifests_source_moves_routes_on_frr", &[Router::Frr]) {
        return;
    }
    let rack = Rack::new();
    let dir = test_dir("e2e-frr-manifests");
    let manifests = dir.join("cluster.json");
    let write = |objects: Vec<Value>| {
        let tmp = dir.join(".cluster.json.tmp");
        std::fs::write(
            &tmp,
            json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string(),
        )
        .unwrap();
        std::fs::rename(&tmp, &manifests).unwrap();
    };
    write(vec![
        node(),
        service("web", "203.0.113.10"),
        slice("web", true),
        service("hijack", "8.8.8.8"),
        slice("hijack", true),
    ]);
    let config = rack.config(&format!("{{manifests: [{}]}}", manifests.display()));
    let _daemon =
        DaemonUnderTest::start_in(BINARY, Some(&rack.pair.b.ns), dir.clone(), &config, &[]);
    rack.frr.wait_established(IpAddr::V4(rack.pair.b.v4));
    rack.wait_for("the first route at FRR", &["203.0.113.10/32"]);

    write(vec![
        node(),
        service("web", "203.0.113.10"),
        slice("web", false),
        service("api", "203.0.113.11"),
        slice("api", true),
    ]);
    rack.wait_for("the routes to follow the file", &["203.0.113.11/32"]);

    std::fs::write(&manifests, "{ this is not json").unwrap();
    rack.holds(
        "the last good state through a broken file",
        &["203.0.113.11/32"],
        Duration::from_secs(2),
    );
}

#[test]
fn pools_and_annotation_communities_hold_at_frr() {
    if !lab_available(
        "pools_and_annotation_communities_hold_at_frr",
        &[Router::Frr],
    ) {
        return;
    }
    let rack = Rack::new();
    let dir = test_dir("e2e-frr-tenancy");
    let manifests = dir.join("cluster.json");
    let mut web = service("web", "203.0.113.10");
    web["metadata"]["annotations"] = json!({"kube-anycast.io/communities": "65535:666"});
    let intruder = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "intruder", "namespace": "other"},
        "spec": {"externalIPs": ["203.0.113.11"], "clusterIP": "10.96.0.11"}});
    let mut intruder_slice = slice("intruder", true);
    intruder_slice["metadata"]["namespace"] = json!("other");
    let objects = vec![node(), web, slice("web", true), intruder, intruder_slice];
    std::fs::write(
        &manifests,
        json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string(),
    )
    .unwrap();
    let config = rack
        .config(&format!("{{manifests: [{}]}}", manifests.display()))
        .replace(
            "announce: {allowed_cidrs: [203.0.113.0/24]}",
            "announce:\n  allowed_cidrs: [203.0.113.0/24]\n  communities: [\"65010:100\"]\n  annotation_communities: [\"65010:*\"]\n  pools: [{name: shop, cidrs: [203.0.113.0/28], namespaces: [shop]}]",
        );
    let _daemon =
        DaemonUnderTest::start_in(BINARY, Some(&rack.pair.b.ns), dir.clone(), &config, &[]);
    rack.frr.wait_established(IpAddr::V4(rack.pair.b.v4));
    rack.wait_for("the shop's route at FRR", &["203.0.113.10/32"]);
    rack.holds(
        "the other namespace's address never announced",
        &["203.0.113.10/32"],
        Duration::from_secs(2),
    );
    let route = rack
        .frr
        .vtysh("show bgp ipv4 unicast 203.0.113.10/32")
        .expect("vtysh");
    assert!(
        route.contains("65010:100"),
        "the config's community applies: {route}"
    );
    assert!(
        !route.contains("65535:666") && !route.to_lowercase().contains("blackhole"),
        "the tenant's BLACKHOLE never reaches the router: {route}"
    );
}
