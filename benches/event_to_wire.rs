//! Event-to-wire latency and memory at scale, printed as numbers (no assertions).
//!
//! The real `kube-anycast run` binary (release build) watches the in-repo fake API server
//! (an API-compatible list+watch server; no real API server runs here) holding 10,000
//! Services of 3 endpoints each, and peers with two BGP receivers on loopback. Then one
//! EndpointSlice at a time turns not ready and ready again; each latency runs from the
//! change being written to the API server to the matching UPDATE arriving at the receiver
//! (on loopback, arrival is the write). Prints p50/p99 for withdrawals and announcements,
//! and the daemon's resident memory with 10,000 externalIPs announced to 2 peers.
//!
//! One change pair starts [`BETWEEN_CHANGES`] after the last ended, so each announcement
//! is measured as a lone change. One that follows an earlier announcement within the
//! speaker's coalescing window (`bgp::speaker::ANNOUNCE_COALESCE`) waits for the rest of
//! that window, which the bench does not measure.
//!
//! Run: `cargo bench --bench event_to_wire` (set `EVENT_TO_WIRE_SERVICES` / `_CHANGES` to
//! change the scale; `EVENT_TO_WIRE_SOURCE=manifests` for the manifests source: one file
//! per Service and its slice in a watched directory, each change a rename).

use bgp::Asn;
use bgp::wire::{BgpCodec, Capability, Message, Open};
use futures::{SinkExt, StreamExt};
use ipnet::IpNet;
use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::fake_apiserver::FakeApiServer;
use lab::objects::{Endpoint, Node, Service, Slice};
use serde_json::Value;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::codec::Framed;

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

/// The pause between one sample's announcement and the next sample's change: longer than
/// the announcement coalescing window.
const BETWEEN_CHANGES: Duration = Duration::from_millis(20);

#[derive(Debug)]
enum Seen {
    Announced(IpNet),
    Withdrawn(IpNet),
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ip_of(i: usize) -> String {
    format!("10.{}.{}.{}", 100 + i / 65536, (i / 256) % 256, i % 256)
}

fn service(i: usize) -> Value {
    Service::new("bench", &format!("svc-{i}"))
        .external_ips([ip_of(i)])
        .sequence(i)
        .build()
}

fn slice(i: usize, local_ready: bool) -> Value {
    let endpoints = (0..3).map(|n| {
        let (address, node) = (format!("172.16.{n}.{}", i % 250), format!("node-{n}"));
        if n != 0 || local_ready {
            Endpoint::ready(address, &node)
        } else {
            Endpoint::not_ready(address, &node)
        }
    });
    Slice::new("bench", &format!("svc-{i}"))
        .name(format!("svc-{i}-a"))
        .sequence(i)
        .endpoints(endpoints)
        .build()
}

/// Where the cluster lives: the fake API server, or manifest files (one per Service and
/// its slice, as a directory of a ConfigMap or a GitOps checkout holds them).
enum Cluster {
    Api(FakeApiServer),
    Files(std::path::PathBuf),
}

impl Cluster {
    async fn api(services: usize) -> Cluster {
        let api = FakeApiServer::start().await;
        api.apply(Node::new("node-0").build());
        for i in 0..services {
            api.apply(service(i));
            api.apply(slice(i, true));
        }
        Cluster::Api(api)
    }

    fn files(dir: std::path::PathBuf, services: usize) -> Cluster {
        std::fs::create_dir_all(&dir).unwrap();
        let node = serde_json::to_vec(&Node::new("node-0").build()).unwrap();
        std::fs::write(dir.join("node.json"), node).unwrap();
        let cluster = Cluster::Files(dir);
        for i in 0..services {
            cluster.set_ready(i, true);
        }
        cluster
    }

    fn name(&self) -> &'static str {
        match self {
            Cluster::Api(_) => "Kubernetes source",
            Cluster::Files(_) => "manifests source, a rename",
        }
    }

    /// The config's `source:`.
    fn source(&self) -> String {
        match self {
            Cluster::Api(_) => "{kubernetes: {}}".into(),
            Cluster::Files(dir) => format!("{{manifests: [\"{}\"]}}", dir.display()),
        }
    }

    fn env(&self) -> Vec<(String, String)> {
        match self {
            Cluster::Api(api) => vec![(
                "KUBECONFIG".into(),
                api.kubeconfig_path().display().to_string(),
            )],
            Cluster::Files(_) => Vec::new(),
        }
    }

    /// Service `i`'s local endpoint turns ready or not: an API write, or its file
    /// rewritten and renamed into place (never half a file).
    fn set_ready(&self, i: usize, ready: bool) {
        match self {
            Cluster::Api(api) => {
                api.apply(slice(i, ready));
            }
            Cluster::Files(dir) => {
                let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [service(i), slice(i, ready)]});
                let tmp = dir.join(format!(".svc-{i}.tmp"));
                std::fs::write(&tmp, serde_json::to_vec(&list).unwrap()).unwrap();
                std::fs::rename(&tmp, dir.join(format!("svc-{i}.json"))).unwrap();
            }
        }
    }
}

/// A minimal passive BGP speaker that reports every prefix it hears of, timestamped.
async fn receiver(
    listener: tokio::net::TcpListener,
    asn: u32,
    seen: mpsc::UnboundedSender<(Instant, Seen)>,
) {
    let Ok((socket, _)) = listener.accept().await else {
        return;
    };
    let _ = socket.set_nodelay(true);
    let mut framed = Framed::new(socket, BgpCodec::default());
    let open = Open {
        version: 4,
        my_as: u16::try_from(asn).unwrap_or(23456),
        hold_time: 240,
        router_id: bgp::RouterId::new("192.0.2.1".parse().unwrap()).unwrap(),
        capabilities: vec![
            Capability::Multiprotocol {
                afi: bgp::Afi::Ipv4,
                safi: bgp::Safi::Unicast,
            },
            Capability::FourOctetAs(Asn(asn)),
        ],
    };
    if framed.send(Message::Open(open)).await.is_err()
        || framed.send(Message::Keepalive).await.is_err()
    {
        return;
    }
    while let Some(Ok(message)) = framed.next().await {
        let now = Instant::now();
        match message {
            Message::Update(update) => {
                for p in update.withdrawn_prefixes() {
                    let _ = seen.send((now, Seen::Withdrawn(p)));
                }
                for p in update.announced() {
                    let _ = seen.send((now, Seen::Announced(p)));
                }
            }
            Message::Keepalive | Message::Open(_)
                if framed.send(Message::Keepalive).await.is_err() =>
            {
                return;
            }
            _ => {}
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<(Instant, Seen)>,
    prefix: IpNet,
    withdrawn: bool,
) -> Instant {
    loop {
        let (at, seen) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("UPDATE within 60 s")
            .expect("receiver alive");
        match seen {
            Seen::Withdrawn(p) if withdrawn && p == prefix => return at,
            Seen::Announced(p) if !withdrawn && p == prefix => return at,
            _ => {}
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benches; this one only runs on `cargo bench`.
    }
    let services = env_usize("EVENT_TO_WIRE_SERVICES", 10_000);
    let changes = env_usize("EVENT_TO_WIRE_CHANGES", 200).min(services);
    let dir = test_dir("event-to-wire");
    let cluster = match std::env::var("EVENT_TO_WIRE_SOURCE").as_deref() {
        Ok("manifests") => Cluster::files(dir.join("cluster"), services),
        _ => Cluster::api(services).await,
    };

    let mut receivers = Vec::new();
    let mut peers = String::new();
    for (n, address) in ["127.0.0.1", "127.0.0.2"].into_iter().enumerate() {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::new(address.parse::<IpAddr>().unwrap(), 0))
                .await
                .unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(receiver(listener, 65000, tx));
        receivers.push(rx);
        peers.push_str(&format!("  - {{name: r{n}, address: {address}, port: {port}, asn: 65000, families: [ipv4], hold_time: 240s, connect_retry: 200ms}}\n"));
    }
    let config = format!(
        "node_name: node-0\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {}\nannounce: {{allowed_cidrs: [10.0.0.0/8]}}\npeers:\n{peers}",
        cluster.source()
    );
    let started = Instant::now();
    let mut env = vec![("RUST_LOG".to_string(), "warn".to_string())];
    env.extend(cluster.env());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let daemon = DaemonUnderTest::start(BINARY, dir, &config, &env);

    // Initial transfer: every route at both receivers.
    for rx in &mut receivers {
        let mut have = HashSet::new();
        while have.len() < services {
            let (_, seen) = tokio::time::timeout(Duration::from_secs(120), rx.recv())
                .await
                .expect("initial transfer")
                .expect("receiver");
            if let Seen::Announced(p) = seen {
                have.insert(p);
            }
        }
    }
    println!(
        "event_to_wire: {services} Services x 3 endpoints: all {services} routes at both peers {:.2} s after start",
        started.elapsed().as_secs_f64()
    );
    println!(
        "event_to_wire: daemon resident memory with {services} externalIPs announced to 2 peers: {:.1} MiB",
        rss_kib(daemon.child.id()) as f64 / 1024.0
    );

    let mut withdraws = Vec::new();
    let mut announces = Vec::new();
    for k in 0..changes {
        tokio::time::sleep(BETWEEN_CHANGES).await;
        let i = k * (services / changes);
        let prefix: IpNet = format!("{}/32", ip_of(i)).parse().unwrap();
        let t0 = Instant::now();
        cluster.set_ready(i, false);
        withdraws.push(wait_for(&mut receivers[0], prefix, true).await - t0);
        let t0 = Instant::now();
        cluster.set_ready(i, true);
        announces.push(wait_for(&mut receivers[0], prefix, false).await - t0);
    }
    withdraws.sort();
    announces.sort();
    for (what, samples) in [("withdraw", &withdraws), ("announce", &announces)] {
        println!(
            "event_to_wire: EndpointSlice change ({}) -> {what} UPDATE on the wire, {} samples: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            cluster.name(),
            samples.len(),
            percentile(samples, 0.5).as_secs_f64() * 1000.0,
            percentile(samples, 0.99).as_secs_f64() * 1000.0,
            samples.last().unwrap().as_secs_f64() * 1000.0
        );
    }
    println!(
        "event_to_wire: daemon resident memory after the changes: {:.1} MiB",
        rss_kib(daemon.child.id()) as f64 / 1024.0
    );
}
