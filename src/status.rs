//! The daemon's observable state: what `/status` serves, `/readyz` judges and `/metrics`
//! exports, and what `kube-anycast status` prints.

use crate::decide::incremental::Incremental;
use crate::decide::{PeerSelection, Route};
use bgp::driver::PeerHandle;
use bgp::session::State;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::SystemTime;

/// One peer as the daemon runs it.
#[derive(Clone, Debug)]
pub struct ObservedPeer {
    /// Config name.
    pub name: String,
    /// Address and port.
    pub address: std::net::SocketAddr,
    /// The router's ASN.
    pub asn: u32,
    /// The driver's handle, to read live status.
    pub handle: PeerHandle,
}

/// Shared between the reconciler (writer) and the HTTP server (reader).
#[derive(Debug, Default)]
pub struct Observed {
    /// This node.
    pub node: String,
    /// Peers configured for this node (empty before the first decision).
    pub peers: Mutex<Vec<ObservedPeer>>,
    /// Sources synced.
    pub synced: std::sync::atomic::AtomicBool,
    /// The decision the daemon keeps up to date; `/status` reads its routes when asked
    /// instead of keeping a copy of 100,000 of them.
    pub decision: Mutex<Incremental>,
}

impl Observed {
    /// A snapshot for `/status`.
    pub fn snapshot(&self) -> Status {
        let peers: Vec<PeerView> = self
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(PeerView::of)
            .collect();
        let routes = self
            .decision
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sorted_routes()
            .iter()
            .map(|(prefix, route)| RouteView::of(prefix, route))
            .collect();
        let synced = self.synced.load(std::sync::atomic::Ordering::SeqCst);
        let ready = synced && peers.iter().all(|p| p.state == "established");
        Status {
            node: self.node.clone(),
            synced,
            ready,
            peers,
            routes,
        }
    }
}

/// What `/status` returns.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    /// Node name.
    pub node: String,
    /// Sources synced.
    pub synced: bool,
    /// Synced and every peer Established (what `/readyz` answers).
    pub ready: bool,
    /// Peers.
    pub peers: Vec<PeerView>,
    /// Announced routes.
    pub routes: Vec<RouteView>,
}

/// One peer in `/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerView {
    /// Name.
    pub name: String,
    /// Address and port.
    pub address: String,
    /// ASN.
    pub asn: u32,
    /// FSM state, lowercase.
    pub state: String,
    /// Seconds since Established.
    pub uptime_seconds: Option<u64>,
    /// Prefixes the router has from us.
    pub prefixes_sent: usize,
    /// Last error.
    pub last_error: Option<String>,
    /// UPDATEs sent.
    pub updates_sent: u64,
    /// UPDATEs received.
    pub updates_received: u64,
    /// NOTIFICATIONs sent.
    pub notifications_sent: u64,
    /// NOTIFICATIONs received.
    pub notifications_received: u64,
    /// Times the session left Established.
    pub flaps: u64,
    /// The router's host name, if it sent one.
    pub peer_hostname: Option<String>,
}

impl PeerView {
    fn of(peer: &ObservedPeer) -> PeerView {
        let s = peer.handle.status();
        PeerView {
            name: peer.name.clone(),
            address: peer.address.to_string(),
            asn: peer.asn,
            state: state_name(s.state).into(),
            uptime_seconds: s
                .established_since
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .map(|d| d.as_secs()),
            prefixes_sent: s.prefixes_sent,
            last_error: s.last_error.clone(),
            updates_sent: s.counters.updates_sent,
            updates_received: s.counters.updates_received,
            notifications_sent: s.counters.notifications_sent,
            notifications_received: s.counters.notifications_received,
            flaps: s.counters.flaps,
            peer_hostname: s.negotiated.as_ref().and_then(|n| n.peer_hostname.clone()),
        }
    }
}

/// One route in `/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouteView {
    /// Host prefix.
    pub prefix: String,
    /// Services asking for it.
    pub services: Vec<String>,
    /// Peers it goes to (`*`: all).
    pub peers: Vec<String>,
}

impl RouteView {
    fn of(prefix: &IpNet, route: &Route) -> RouteView {
        RouteView {
            prefix: prefix.to_string(),
            services: route.services.iter().map(ToString::to_string).collect(),
            peers: match &route.peers {
                PeerSelection::All => vec!["*".into()],
                PeerSelection::Only(names) => names.iter().cloned().collect(),
            },
        }
    }
}

/// Lowercase FSM state names, as routers print them.
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Idle => "idle",
        State::Connect => "connect",
        State::Active => "active",
        State::OpenSent => "opensent",
        State::OpenConfirm => "openconfirm",
        State::Established => "established",
    }
}

/// The human form of a status, for `kube-anycast status`.
pub fn render_text(status: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "node {}: sources {}, {}",
        status.node,
        if status.synced {
            "synced"
        } else {
            "NOT synced"
        },
        if status.ready { "ready" } else { "NOT ready" }
    );
    let _ = writeln!(
        out,
        "\n{:<16} {:<28} {:>10} {:<12} {:>10} {:>9} {:>6}  LAST ERROR",
        "PEER", "ADDRESS", "ASN", "STATE", "UPTIME", "PREFIXES", "FLAPS"
    );
    for p in &status.peers {
        let uptime = p
            .uptime_seconds
            .map(|s| format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{:<16} {:<28} {:>10} {:<12} {:>10} {:>9} {:>6}  {}",
            p.name,
            p.address,
            p.asn,
            p.state,
            uptime,
            p.prefixes_sent,
            p.flaps,
            p.last_error.as_deref().unwrap_or("-")
        );
    }
    let _ = writeln!(out, "\n{} route(s) announced", status.routes.len());
    for r in &status.routes {
        let _ = writeln!(
            out,
            "  {:<44} {}  -> {}",
            r.prefix,
            r.services.join(","),
            r.peers.join(",")
        );
    }
    out
}
