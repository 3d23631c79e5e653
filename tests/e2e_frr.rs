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
use lab::frr::Frr;
use lab::netns::NetnsPair;
use lab::prereq::{Router, lab_available};
use lab::rack::write_manifests;
use lab::speaker::NsRuntime;
use lab::{CONVERGE, holds_for, wait_until};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
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

/// Replaces the cluster file `path` of a manifests test with `objects` as a `kind: List`.
fn write_cluster(path: &Path, objects: Vec<Value>) {
    write_manifests(
        path,
        &json!({"apiVersion": "v1", "kind": "List", "items": objects}),
    );
}

fn node() -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"}})
}

/// The rack: FRR in namespace A, the node in namespace B, and the test's files.
struct Rack {
    frr: Frr,
    pair: NetnsPair,
    /// The daemon's directory (config, log, a manifests test's cluster file).
    dir: PathBuf,
}

impl Rack {
    fn new(test: &str) -> Rack {
        let pair = NetnsPair::new();
        let frr = lab::frr_ebgp::start(&pair.a.ns, ROUTER_ASN, pair.a.v4, &[(pair.b.v4, NODE_ASN)]);
        let dir = test_dir(test);
        Rack { frr, pair, dir }
    }

    fn config(&self, source: &str) -> String {
        format!(
            "node_name: node-a\nlocal_asn: {NODE_ASN}\nrouter_id: {}\nsource: {source}\nannounce: {{allowed_cidrs: [203.0.113.0/24]}}\npeers:\n  - {{name: tor, address: {}, asn: {ROUTER_ASN}, hold_time: 9s, connect_retry: 1s, families: [ipv4]}}\n",
            self.pair.b.v4, self.pair.a.v4
        )
    }

    /// Starts the daemon in the node's namespace, and waits until FRR has the session up.
    fn start_daemon(&self, config: &str, env: &[(&str, &str)]) -> DaemonUnderTest {
        let dir = self.dir.clone();
        let daemon = DaemonUnderTest::start_in(BINARY, Some(&self.pair.b.ns), dir, config, env);
        self.frr.wait_established(IpAddr::V4(self.pair.b.v4));
        daemon
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
        wait_until(what, CONVERGE, || self.has_exactly(expected));
    }

    fn holds(&self, what: &str, expected: &[&str], period: Duration) {
        holds_for(what, period, || self.has_exactly(expected));
    }

    /// Whether FRR has exactly the prefixes `expected` from us; if not, what it has.
    fn has_exactly(&self, expected: &[&str]) -> Result<(), String> {
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        let have = self.prefixes()?;
        if have == expected {
            Ok(())
        } else {
            Err(format!("FRR has {have:?}, want {expected:?}"))
        }
    }
}

/// The rack of `test`, its files in a directory named after it, when the lab can run it
/// (root, FRR installed).
fn rack(test: &str) -> Option<Rack> {
    lab_available(test, &[Router::Frr]).then(|| Rack::new(test))
}

#[test]
fn kubernetes_source_moves_routes_on_frr_and_survives_api_trouble() {
    let Some(rack) = rack("kubernetes_source_moves_routes_on_frr_and_survives_api_trouble") else {
        return;
    };
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
    let daemon = rack.start_daemon(
        &rack.config("{kubernetes: {}}"),
        &[("KUBECONFIG", &kubeconfig)],
    );
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

    // Each trouble in turn; after each, the routes stay as they were for 3 s.
    let troubles: [(&str, &dyn Fn()); 3] = [
        ("routes through a 410 Gone", &|| api.force_gone()),
        ("routes while the API server is down", &|| {
            let api = api.clone();
            ns_runtime.run(async move { api.stop().await })
        }),
        ("routes after the API server restarted", &|| {
            let api = api.clone();
            ns_runtime.run(async move { api.restart().await })
        }),
    ];
    for (what, trouble) in troubles {
        trouble();
        rack.holds(what, &["203.0.113.11/32"], Duration::from_secs(3));
    }

    api.delete("Service", "shop", "api");
    rack.wait_for("the deleted Service's route withdrawn", &[]);
    assert!(
        !daemon.log().contains("8.8.8.8/32"),
        "the refused address never became a route"
    );
}

#[test]
fn manifests_source_moves_routes_on_frr() {
    let Some(rack) = rack("manifests_source_moves_routes_on_frr") else {
        return;
    };
    let manifests = rack.dir.join("cluster.json");
    write_cluster(
        &manifests,
        vec![
            node(),
            service("web", "203.0.113.10"),
            slice("web", true),
            service("hijack", "8.8.8.8"),
            slice("hijack", true),
        ],
    );
    let config = rack.config(&format!("{{manifests: [{}]}}", manifests.display()));
    let _daemon = rack.start_daemon(&config, &[]);
    rack.wait_for("the first route at FRR", &["203.0.113.10/32"]);

    write_cluster(
        &manifests,
        vec![
            node(),
            service("web", "203.0.113.10"),
            slice("web", false),
            service("api", "203.0.113.11"),
            slice("api", true),
        ],
    );
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
    let Some(rack) = rack("pools_and_annotation_communities_hold_at_frr") else {
        return;
    };
    let manifests = rack.dir.join("cluster.json");
    let mut web = service("web", "203.0.113.10");
    web["metadata"]["annotations"] = json!({"kube-anycast.io/communities": "65535:666"});
    let intruder = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "intruder", "namespace": "other"},
        "spec": {"externalIPs": ["203.0.113.11"], "clusterIP": "10.96.0.11"}});
    let mut intruder_slice = slice("intruder", true);
    intruder_slice["metadata"]["namespace"] = json!("other");
    let objects = vec![node(), web, slice("web", true), intruder, intruder_slice];
    write_cluster(&manifests, objects);
    let config = rack
        .config(&format!("{{manifests: [{}]}}", manifests.display()))
        .replace(
            "announce: {allowed_cidrs: [203.0.113.0/24]}",
            "announce:\n  allowed_cidrs: [203.0.113.0/24]\n  communities: [\"65010:100\"]\n  annotation_communities: [\"65010:*\"]\n  pools: [{name: shop, cidrs: [203.0.113.0/28], namespaces: [shop]}]",
        );
    let _daemon = rack.start_daemon(&config, &[]);
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
