//! Weighted anycast end to end (issue 12): two nodes announce the same /32 to one ToR,
//! each running the real `kube-anycast run` binary with the manifests source, each with a
//! small TCP responder on the anycast address standing in for its pods; a client behind
//! the ToR opens connections to the address.
//!
//! ```text
//!   client (10.81.3.2) --- ToR (10.81.{1,2,3}.1, AS 65000) --- node1 (10.81.1.2, AS 65001)
//!                                                          \-- node2 (10.81.2.2, AS 65002)
//! ```
//!
//! - FRR 8.4 ToR with zebra: node1 has 1 ready endpoint and node2 3, so the kernel route
//!   of the ToR has next hops weighted 1:3 and 1,000 connections split 25 % / 75 %
//!   (within [`TOLERANCE`]); node1 scaled to 3 endpoints moves the route to 1:1 without it
//!   ever leaving the kernel table; scaled back to 1, the route returns to 1:3 once the
//!   decrease hold is over.
//! - BIRD 2 ToR, which ignores the link bandwidth community: the route is installed as
//!   plain ECMP over both nodes.
//!
//! The ToR hashes on the L4 5-tuple (`fib_multipath_hash_policy=1`), so each connection's
//! random source port picks the next hop. Every namespace, process and file is removed on
//! drop, even when a test fails; processes are stopped by their recorded pids.

use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::frr::Frr;
use lab::kernel_route::RouteMonitor;
use lab::prereq::{Router, lab_available};
use lab::process::{Daemon as LabProcess, must};
use lab::rack::{RESPONDER_PORT, StarRack, TOR_ASN, TestFiles, anycast_service, write_manifests};
use lab::{CONVERGE, lab_dir, wait_until};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

const ANYCAST: &str = "203.0.113.10";
/// Connections the client opens for one measurement.
const CONNECTIONS: usize = 1000;
/// How far each node's share may be from its weight's share, in percentage points. With
/// 1,000 connections the binomial standard deviation at 25 % is 1.4 points; 5 points is
/// more than 3.5 of them, while a plain 50/50 split is 25 points away.
const TOLERANCE: f64 = 5.0;

/// The ToR, two nodes and a client on `10.81.0.0/16`, wired and addressed.
struct Fabric(StarRack);

impl std::ops::Deref for Fabric {
    type Target = StarRack;
    fn deref(&self) -> &StarRack {
        &self.0
    }
}

impl Fabric {
    fn new() -> Fabric {
        Fabric(StarRack::new("kw", 2, 81, ANYCAST.parse().unwrap()))
    }

    fn node_address(i: usize) -> Ipv4Addr {
        StarRack::node_address(81, i)
    }

    /// The next hops of the ToR's kernel route to the anycast address, with their weights.
    fn kernel_next_hops(&self) -> Result<BTreeMap<Ipv4Addr, u32>, String> {
        lab::kernel_route::next_hops(&self.tor, ANYCAST)
    }

    /// Waits until the kernel route has both nodes as next hops with weights in `ratio`
    /// (node2 / node1); returns the weights.
    fn wait_for_ratio(&self, what: &str, ratio: f64) -> (u32, u32) {
        wait_until(what, CONVERGE, || {
            let hops = self.kernel_next_hops()?;
            let w = |i| hops.get(&Fabric::node_address(i)).copied();
            match (w(0), w(1)) {
                (Some(a), Some(b)) if (f64::from(b) / f64::from(a) - ratio).abs() < 0.05 => {
                    Ok((a, b))
                }
                _ => Err(format!("kernel next hops {hops:?}")),
            }
        })
    }

    /// Opens `CONNECTIONS` connections from the client; how many each node answered.
    fn split(&self) -> BTreeMap<String, usize> {
        let outcome = lab::client::requests(
            &self.client,
            ANYCAST.parse().unwrap(),
            RESPONDER_PORT,
            CONNECTIONS,
        );
        assert!(
            outcome.failed.is_empty(),
            "every connection answered: {}",
            outcome.describe()
        );
        outcome
            .answers
            .into_iter()
            .map(|(node, n)| (node, usize::try_from(n).unwrap()))
            .collect()
    }
}

/// The responders standing in for each node's pods: answer the node's name on the
/// anycast address.
fn responders(fabric: &Fabric, dir: &Path) -> Vec<LabProcess> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testbed/responder.py");
    fabric.start_responders(&script, ANYCAST.parse().unwrap(), dir)
}

fn manifests(node1_endpoints: usize, node2_endpoints: usize) -> Value {
    let endpoint = |n: usize, node: &str| {
        json!({"addresses": [format!("10.244.{}.{n}", &node[4..])], "nodeName": node,
            "conditions": {"ready": true}})
    };
    let endpoints: Vec<Value> = (1..=node1_endpoints)
        .map(|n| endpoint(n, "node1"))
        .chain((1..=node2_endpoints).map(|n| endpoint(n, "node2")))
        .collect();
    anycast_service(ANYCAST, endpoints)
}

/// Starts `kube-anycast run` on both nodes, weighted or not, reading `manifests`.
fn start_nodes(fabric: &Fabric, manifests: &Path, weighted: bool) -> Vec<DaemonUnderTest> {
    (0..2)
        .map(|i| {
            let n = i + 1;
            let config = format!(
                "node_name: node{n}\nlocal_asn: {asn}\nrouter_id: 10.81.{n}.2\n\
                 source: {{manifests: [{m}]}}\n\
                 announce: {{allowed_cidrs: [203.0.113.0/24], weighted: {{enabled: {weighted}, bandwidth_per_endpoint: 8Mbps}}}}\n\
                 peers:\n  - {{name: tor, address: 10.81.{n}.1, asn: {TOR_ASN}, hold_time: 9s, connect_retry: 1s, families: [ipv4]}}\n",
                asn = StarRack::node_asn(i),
                m = manifests.display(),
            );
            DaemonUnderTest::start_in(
        BINARY,
        Some(&fabric.nodes[i]),
                test_dir(&format!("e2e-weighted-{}-node{n}", fabric.base())),
                &config,
                &[],
            )
        })
        .collect()
}

fn share(counts: &BTreeMap<String, usize>, node: &str) -> f64 {
    let total: usize = counts.values().sum();
    100.0 * counts.get(node).copied().unwrap_or(0) as f64 / total as f64
}

fn assert_split(counts: &BTreeMap<String, usize>, node1_percent: f64) {
    let total: usize = counts.values().sum();
    assert_eq!(total, CONNECTIONS, "every connection answered: {counts:?}");
    let (s1, s2) = (share(counts, "node1"), share(counts, "node2"));
    eprintln!(
        "split over {total} connections: node1 {s1:.1} %, node2 {s2:.1} % (expected {node1_percent} / {} +- {TOLERANCE})",
        100.0 - node1_percent
    );
    assert!(
        (s1 - node1_percent).abs() <= TOLERANCE
            && (s2 - (100.0 - node1_percent)).abs() <= TOLERANCE,
        "split {counts:?} is not {node1_percent} % / {} % within {TOLERANCE} points",
        100.0 - node1_percent
    );
}

/// FRR with zebra in the ToR namespace, peering with both nodes, multipath on.
fn frr_tor(fabric: &Fabric) -> Frr {
    // LAB-NOTES: multipath across the nodes' ASes; nothing more for weighted ECMP.
    lab::frr_ebgp::star_tor(fabric, &[])
}

/// When the lab can run `test` (root, FRR installed): the fabric with FRR as its ToR, the
/// test's files under `dir`, and the cluster (1 ready endpoint on node1, 3 on node2)
/// written to the returned path.
fn frr_fabric(test: &str, dir: &str) -> Option<(Fabric, TestFiles, Frr, PathBuf)> {
    if !lab_available(test, &[Router::Frr]) {
        return None;
    }
    let fabric = Fabric::new();
    let files = TestFiles(lab_dir(fabric.base(), dir));
    let frr = frr_tor(&fabric);
    let manifests_path = files.0.join("cluster.json");
    write_manifests(&manifests_path, &manifests(1, 3));
    Some((fabric, files, frr, manifests_path))
}

#[test]
fn frr_tor_splits_traffic_by_ready_endpoints() {
    let Some((fabric, files, _frr, manifests_path)) =
        frr_fabric("frr_tor_splits_traffic_by_ready_endpoints", "weighted-frr")
    else {
        return;
    };
    let _responders = responders(&fabric, &files.0);
    let nodes = start_nodes(&fabric, &manifests_path, true);
    fabric.wait_for_responders();

    // 1 ready endpoint on node1, 3 on node2: next hops 1:3.
    let (w1, w2) = fabric.wait_for_ratio("the ToR's kernel route weighted 1:3", 3.0);
    eprintln!(
        "1:3 kernel route: {}",
        must("ip", &["-n", &fabric.tor, "route", "show", ANYCAST]).trim()
    );
    eprintln!("weights node1 {w1}, node2 {w2}");
    assert_split(&fabric.split(), 25.0);

    // node1 scaled to 3 endpoints: 1:1, and the route never leaves the kernel meanwhile.
    let monitor = RouteMonitor::start(&fabric.tor, files.0.join("ip-monitor.log"), false);
    write_manifests(&manifests_path, &manifests(3, 3));
    wait_until("the ToR's kernel route weighted 1:1", CONVERGE, || {
        let hops = fabric.kernel_next_hops()?;
        // Polled too: at no point may the route lose a node while the weights move.
        assert_eq!(hops.len(), 2, "a next hop disappeared: {hops:?}");
        let w: Vec<u32> = hops.values().copied().collect();
        if w[0] == w[1] {
            Ok(())
        } else {
            Err(format!("kernel next hops {hops:?}"))
        }
    });
    let events = monitor.finish();
    assert!(
        !events
            .lines()
            .any(|l| l.starts_with("Deleted") && l.contains(ANYCAST)),
        "the route was deleted while its weights changed:\n{events}"
    );
    assert!(
        events.contains(ANYCAST),
        "ip monitor saw the route change:\n{events}"
    );
    eprintln!(
        "1:1 kernel route: {}",
        must("ip", &["-n", &fabric.tor, "route", "show", ANYCAST]).trim()
    );
    assert_split(&fabric.split(), 50.0);

    // Scaled back down: the decrease is held a few seconds (daemon::weight_hold), then
    // the route returns to 1:3.
    write_manifests(&manifests_path, &manifests(1, 3));
    fabric.wait_for_ratio("the ToR's kernel route back to 1:3 after the hold", 3.0);
    let log = nodes[0].log();
    assert!(
        log.contains("weight decreases sent after their hold"),
        "node1 sent its decrease through the hold:\n{log}"
    );
}

#[test]
fn frr_tor_without_weighting_keeps_plain_ecmp() {
    let Some((fabric, _files, _frr, manifests_path)) = frr_fabric(
        "frr_tor_without_weighting_keeps_plain_ecmp",
        "unweighted-frr",
    ) else {
        return;
    };
    let _nodes = start_nodes(&fabric, &manifests_path, false);
    // Same endpoints as the weighted test, weighting off: equal next hops.
    let (w1, w2) = fabric.wait_for_ratio("FRR's kernel route: plain ECMP over both nodes", 1.0);
    assert_eq!(w1, w2);
}

/// BIRD 2 with its kernel protocol merging equal BGP paths into ECMP.
fn bird_config(log: &Path) -> String {
    let mut c = format!(
        "log \"{}\" all;\nrouter id 10.81.1.1;\nprotocol device {{ }}\n\
         protocol kernel {{ ipv4 {{ export all; }}; merge paths on; }}\n",
        log.display()
    );
    for i in 0..2 {
        let n = i + 1;
        c.push_str(&format!(
            "protocol bgp node{n} {{ local 10.81.{n}.1 as {TOR_ASN}; neighbor 10.81.{n}.2 as {}; \
             connect retry time 1; ipv4 {{ import all; export none; }}; }}\n",
            StarRack::node_asn(i)
        ));
    }
    c
}

#[test]
fn bird_tor_ignores_the_weight_and_installs_plain_ecmp() {
    if !lab_available(
        "bird_tor_ignores_the_weight_and_installs_plain_ecmp",
        &[Router::Bird],
    ) {
        return;
    }
    let fabric = Fabric::new();
    let files = TestFiles(lab_dir(fabric.base(), "weighted-bird"));
    let conf = files.0.join("bird.conf");
    std::fs::write(&conf, bird_config(&files.0.join("bird.log"))).unwrap();
    let conf = conf.display().to_string();
    must("bird", &["-p", "-c", &conf]);
    let sock = files.0.join("bird.ctl").display().to_string();
    let pid = files.0.join("bird.pid").display().to_string();
    let _bird = LabProcess::spawn_in(
        &fabric.tor,
        "bird",
        &files.0.join("bird.out"),
        "bird",
        &["-f", "-s", &sock, "-P", &pid, "-c", &conf],
    );
    let manifests_path = files.0.join("cluster.json");
    write_manifests(&manifests_path, &manifests(1, 3));
    let _responders = responders(&fabric, &files.0);
    // Weighted: BIRD receives the community, does not use it, and nothing breaks.
    let _nodes = start_nodes(&fabric, &manifests_path, true);
    fabric.wait_for_responders();
    let (w1, w2) = fabric.wait_for_ratio("BIRD's kernel route: plain ECMP over both nodes", 1.0);
    assert_eq!(w1, w2);
    eprintln!(
        "BIRD kernel route: {}",
        must("ip", &["-n", &fabric.tor, "route", "show", ANYCAST]).trim()
    );
    assert_split(&fabric.split(), 50.0);
}
