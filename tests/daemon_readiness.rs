//! `/readyz`, `/status` and `/metrics` of the real binary when one configured peer cannot
//! be started (its password file is missing) and another one comes up: a router of this
//! project's `bgp` crate on loopback stands in for the ToR. With `ready_when: all-peers`
//! the node stays not ready and names the failed peer; with `any-peer` it is ready.

mod support;

use bgp::driver::{PeerConfig, PeerHandle, Speaker};
use bgp::session::SessionConfig;
use bgp::{Asn, Family, RouterId};
use std::net::SocketAddr;
use std::time::Duration;
use support::daemon::{Daemon, test_dir};

/// The daemon connects from this address; the router listens on 127.0.0.1.
const NODE_ADDR: &str = "127.0.0.2";

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
            local_asn: Asn(65000),
            peer_asn: Asn(65010),
            router_id: RouterId("10.0.0.1".parse().unwrap()),
            hold_time: 9,
            connect_retry: Duration::from_millis(200),
            connect_retry_max: Duration::from_secs(1),
            passive: true,
            families: vec![Family::Ipv4Unicast],
            graceful_restart: None,
            hostname: None,
            extended_message: false,
            send_hold_time: None,
        };
        let peer = {
            let _enter = runtime.enter();
            speaker
                .add_peer(PeerConfig {
                    name: "node-a".into(),
                    remote: SocketAddr::new(NODE_ADDR.parse().unwrap(), 179),
                    local_address: Some("127.0.0.1".parse().unwrap()),
                    md5_password: None,
                    ttl: None,
                    ttl_security: false,
                    next_hop_v4: None,
                    next_hop_v6: None,
                    session,
                })
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

/// A daemon with two peers: `tor-up` towards `router_port` on 127.0.0.1, and `tor-broken`,
/// whose password file does not exist.
fn start(name: &str, ready_when: &str, router_port: u16) -> Daemon {
    let dir = test_dir(&format!("readiness-{name}"));
    let manifests = dir.join("cluster.yaml");
    std::fs::write(
        &manifests,
        "kind: Service\nmetadata: {name: web, namespace: shop}\nspec: {externalIPs: [203.0.113.10]}\n",
    )
    .unwrap();
    let config = format!(
        "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\n\
         source: {{manifests: [{manifests}]}}\n\
         announce: {{allowed_cidrs: [203.0.113.0/24]}}\n\
         peers:\n\
         - {{name: tor-up, address: 127.0.0.1, port: {port}, asn: 65000, local_address: {NODE_ADDR}, families: [ipv4], connect_retry: 200ms, hold_time: 9s}}\n\
         - {{name: tor-broken, address: 127.0.0.3, asn: 65000, families: [ipv4], password_file: {missing}}}\n",
        manifests = manifests.display(),
        port = router_port,
        missing = dir.join("no-such-password").display(),
    );
    Daemon::start_with_http(dir, &config, &format!("ready_when: {ready_when}"), &[])
}

fn peer_state(daemon: &Daemon, name: &str) -> Option<String> {
    let status = daemon.status()?;
    status["peers"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["state"].as_str().map(str::to_owned))
}

fn readyz(daemon: &Daemon) -> Option<(u16, String)> {
    daemon.get("/readyz")
}

fn reconciles(daemon: &Daemon) -> Option<u64> {
    let body = daemon.get("/metrics")?.1;
    body.lines()
        .find_map(|l| l.strip_prefix("kube_anycast_reconciles_total "))
        .and_then(|n| n.trim().parse().ok())
}

fn metric(daemon: &Daemon, line: &str) -> bool {
    daemon
        .get("/metrics")
        .is_some_and(|(_, body)| body.contains(line))
}

#[test]
fn all_peers_is_not_ready_while_a_peer_failed_to_start() {
    let router = Router::start();
    let daemon = start("all", "all-peers", router.port);
    daemon.wait_for("tor-up to be established", |d| {
        peer_state(d, "tor-up").as_deref() == Some("established")
    });
    let (code, body) = readyz(&daemon).expect("/readyz answers");
    assert_eq!(code, 503, "{body}");
    assert_eq!(
        body,
        "not ready: peers not established: tor-broken (failed)\n"
    );

    let status = daemon.status().unwrap();
    assert_eq!(status["ready"], false);
    let broken = status["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "tor-broken")
        .expect("the failed peer is in /status")
        .clone();
    assert_eq!(broken["state"], "failed");
    assert!(
        broken["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("password_file")),
        "{broken}"
    );
    assert!(metric(
        &daemon,
        "kube_anycast_peer_start_failed{peer=\"tor-broken\"} 1"
    ));
    assert!(metric(
        &daemon,
        "kube_anycast_peer_start_failed{peer=\"tor-up\"} 0"
    ));
    assert!(metric(
        &daemon,
        "kube_anycast_peer_session_state{peer=\"tor-up\",state=\"established\"} 1"
    ));
    // Another reconcile retries the peer; the same failure is not logged again.
    let before = reconciles(&daemon).expect("/metrics answers");
    std::fs::write(
        daemon.dir.join("cluster.yaml"),
        "kind: Service\nmetadata: {name: web, namespace: shop}\nspec: {externalIPs: [203.0.113.11]}\n",
    )
    .unwrap();
    daemon.wait_for("another reconcile", |d| {
        reconciles(d).is_some_and(|n| n > before)
    });
    assert_eq!(
        daemon.log().matches("peer not started").count(),
        1,
        "the failure is logged once, not at every reconcile"
    );
}

#[test]
fn any_peer_is_ready_with_one_established_peer() {
    let router = Router::start();
    let daemon = start("any", "any-peer", router.port);
    daemon.wait_for("/readyz to answer ready", |d| {
        readyz(d).is_some_and(|(code, _)| code == 200)
    });
    assert_eq!(
        peer_state(&daemon, "tor-up").as_deref(),
        Some("established")
    );
    assert_eq!(peer_state(&daemon, "tor-broken").as_deref(), Some("failed"));
}

#[test]
fn any_peer_is_not_ready_when_no_peer_is_established() {
    // No router: tor-up keeps trying to connect, tor-broken cannot start.
    let daemon = start("none", "any-peer", support::daemon::free_port());
    daemon.wait_for("both peers in /status", |d| {
        peer_state(d, "tor-broken").is_some() && peer_state(d, "tor-up").is_some()
    });
    let (code, body) = readyz(&daemon).expect("/readyz answers");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.starts_with("not ready: no peer established: "),
        "{body}"
    );
    assert!(body.contains("tor-broken (failed)"), "{body}");
}
