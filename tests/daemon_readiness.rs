//! `/readyz`, `/status` and `/metrics` of the real binary as `http.ready_when` and the
//! peers' fate vary. A router of this project's `bgp` crate on loopback stands in for a
//! ToR that comes up; a port nobody listens on for one that is down. A peer that cannot
//! be started at all (two peers on one address while the daemon listens for passive
//! ones) is provoked in a network namespace, where the daemon may bind port 179.

use bgp::driver::{PeerHandle, Speaker};
use bgp::session::SessionConfig;
use bgp::{Asn, Family};
use lab::daemon_under_test::{DaemonUnderTest, free_port, http_get, test_dir};
use lab::local_peer;
use lab::metrics::assert_shows;
use lab::netns::NetnsPair;
use lab::prereq::lab_available;
use lab::speaker::NsRuntime;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

/// The daemon connects from this address; the router listens on 127.0.0.1.
const NODE_ADDR: &str = "127.0.0.2";
const DEADLINE: Duration = Duration::from_secs(30);

/// A passive router on 127.0.0.1 that accepts the daemon's session.
struct Router {
    /// Runs the speaker's tasks; they end with it.
    _runtime: tokio::runtime::Runtime,
    _speaker: Speaker,
    _peer: PeerHandle,
    port: u16,
}

impl Router {
    fn start() -> Router {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let speaker = runtime
            .block_on(Speaker::bind(Some("127.0.0.1:0".parse().unwrap())))
            .unwrap();
        let port = speaker.local_addr().unwrap().port();
        let session = SessionConfig {
            families: vec![Family::Ipv4Unicast],
            ..local_peer::session(Asn(65000), Asn(65010), "10.0.0.1".parse().unwrap(), true)
        };
        let peer = {
            let _enter = runtime.enter();
            speaker
                .add_peer(local_peer::peer(
                    "node-a",
                    SocketAddr::new(NODE_ADDR.parse().unwrap(), 179),
                    Some("127.0.0.1".parse().unwrap()),
                    session,
                ))
                .unwrap()
        };
        Router {
            _runtime: runtime,
            _speaker: speaker,
            _peer: peer,
            port,
        }
    }
}

const CLUSTER: &str =
    "kind: Service\nmetadata: {name: web, namespace: shop}\nspec: {externalIPs: [203.0.113.10]}\n";

fn cluster_file(dir: &Path) -> String {
    let manifests = dir.join("cluster.yaml");
    std::fs::write(&manifests, CLUSTER).unwrap();
    manifests.display().to_string()
}

/// A daemon with two peers on loopback: `tor-up` towards `up_port` and `tor-down`
/// towards a port nobody listens on.
fn start(name: &str, ready_when: &str, up_port: u16) -> DaemonUnderTest {
    let dir = test_dir(&format!("readiness-{name}"));
    let config = format!(
        "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\n\
         source: {{manifests: [{manifests}]}}\n\
         announce: {{allowed_cidrs: [203.0.113.0/24]}}\n\
         peers:\n\
         - {{name: tor-up, address: 127.0.0.1, port: {up_port}, asn: 65000, local_address: {NODE_ADDR}, families: [ipv4], connect_retry: 200ms, hold_time: 9s}}\n\
         - {{name: tor-down, address: 127.0.0.1, port: {down_port}, asn: 65000, local_address: {NODE_ADDR}, families: [ipv4], connect_retry: 200ms, hold_time: 9s}}\n",
        manifests = cluster_file(&dir),
        down_port = free_port(),
    );
    DaemonUnderTest::start_with_http(
        BINARY,
        dir,
        &config,
        &format!("ready_when: {ready_when}"),
        &[],
    )
}

fn peer_field(status: &serde_json::Value, peer: &str, field: &str) -> Option<String> {
    status["peers"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == peer)
        .and_then(|p| p[field].as_str().map(str::to_owned))
}

fn peer_state(daemon: &DaemonUnderTest, peer: &str) -> Option<String> {
    peer_field(&daemon.status()?, peer, "state")
}

#[test]
fn all_peers_is_not_ready_while_one_peer_is_down() {
    let router = Router::start();
    let daemon = start("all", "all-peers", router.port);
    daemon.wait_for("tor-up to be established", |d| {
        peer_state(d, "tor-up").as_deref() == Some("established")
    });
    let (code, body) = daemon.get("/readyz").expect("/readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.starts_with("not ready: peers not established: tor-down ("),
        "{body}"
    );
    assert!(!body.contains("tor-up"), "{body}");
    assert_eq!(daemon.status().unwrap()["ready"], false);
}

#[test]
fn any_peer_is_ready_with_one_established_peer() {
    let router = Router::start();
    let daemon = start("any", "any-peer", router.port);
    daemon.wait_for("/readyz to answer ready", |d| {
        d.get("/readyz").is_some_and(|(code, _)| code == 200)
    });
    assert_eq!(
        peer_state(&daemon, "tor-up").as_deref(),
        Some("established")
    );
    assert_ne!(
        peer_state(&daemon, "tor-down").as_deref(),
        Some("established")
    );
    assert_eq!(daemon.status().unwrap()["ready"], true);
}

#[test]
fn any_peer_is_not_ready_when_no_peer_is_established() {
    let daemon = start("none", "any-peer", free_port());
    daemon.wait_for("both peers in /status", |d| {
        peer_state(d, "tor-up").is_some() && peer_state(d, "tor-down").is_some()
    });
    let (code, body) = daemon.get("/readyz").expect("/readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.starts_with("not ready: no peer established: "),
        "{body}"
    );
}

/// GETs from inside the daemon's namespace.
struct NsHttp {
    runtime: NsRuntime,
    http: String,
}

impl NsHttp {
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let (http, path) = (self.http.clone(), path.to_owned());
        self.runtime.run(async move { http_get(&http, &path) })
    }

    fn status(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.get("/status")?.1).ok()
    }

    fn metrics(&self) -> String {
        self.get("/metrics")
            .map(|(_, body)| body)
            .unwrap_or_default()
    }

    fn reconciles(&self) -> Option<u64> {
        self.metrics()
            .lines()
            .find_map(|l| l.strip_prefix("kube_anycast_reconciles_total "))
            .and_then(|n| n.trim().parse().ok())
    }

    fn wait_for(&self, what: &str, done: impl Fn(&NsHttp) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_peer_that_cannot_start_is_reported_and_counts_as_down() {
    if !lab_available(
        "a_peer_that_cannot_start_is_reported_and_counts_as_down",
        &[],
    ) {
        return;
    }
    let pair = NetnsPair::new();
    let dir = test_dir("readiness-failed");
    // A passive peer makes the daemon listen on port 179; the listener then admits one
    // peer per address, so the second peer on the router's address cannot start.
    let config = format!(
        "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\n\
         source: {{manifests: [{manifests}]}}\n\
         announce: {{allowed_cidrs: [203.0.113.0/24]}}\n\
         peers:\n\
         - {{name: tor-a, address: {router}, asn: 65000, passive: true, families: [ipv4]}}\n\
         - {{name: tor-b, address: {router}, port: 1179, asn: 65000, families: [ipv4]}}\n",
        manifests = cluster_file(&dir),
        router = pair.a.v4,
    );
    let daemon = DaemonUnderTest::start_in(BINARY, Some(&pair.b.ns), dir, &config, &[]);
    let http = NsHttp {
        runtime: NsRuntime::new(&pair.b.ns),
        http: daemon.http.clone(),
    };
    http.wait_for("tor-b to be reported as failed", |h| {
        h.status()
            .and_then(|s| peer_field(&s, "tor-b", "state"))
            .as_deref()
            == Some("failed")
    });
    let status = http.status().unwrap();
    assert_eq!(status["ready"], false);
    let error = peer_field(&status, "tor-b", "last_error").unwrap_or_default();
    assert!(error.contains("already exists"), "{error}");

    let (code, body) = http.get("/readyz").expect("/readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("tor-b (failed)"), "{body}");

    let metrics = http.metrics();
    assert_shows(
        &metrics,
        &[
            "kube_anycast_peer_start_failed{peer=\"tor-b\"} 1",
            "kube_anycast_peer_start_failed{peer=\"tor-a\"} 0",
        ],
    );
    assert!(
        !metrics.contains("kube_anycast_peer_session_state{peer=\"tor-b\",state=\"idle\"} 1"),
        "a peer that never started is in no FSM state: {metrics}"
    );

    // Another reconcile retries it; the same failure is not logged again.
    let before = http.reconciles().expect("/metrics answers");
    std::fs::write(
        daemon.dir.join("cluster.yaml"),
        CLUSTER.replace("203.0.113.10", "203.0.113.11"),
    )
    .unwrap();
    http.wait_for("another reconcile", |h| {
        h.reconciles().is_some_and(|n| n > before)
    });
    assert_eq!(
        daemon.log().matches("peer not started").count(),
        1,
        "the failure is logged once, not at every reconcile"
    );
}
