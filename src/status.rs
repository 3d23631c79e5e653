//! The daemon's observable state: what `/status` serves, `/readyz` judges and `/metrics`
//! exports, and what `kube-anycast status` prints.

use crate::config::ReadyWhen;
use crate::decide::incremental::Incremental;
use crate::decide::{PeerSelection, RouteTemplate, ServiceRefs};
use crate::readiness::{PeerCondition, readiness};
use bgp::driver::PeerHandle;
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
    /// Running, or why it is not.
    pub run: PeerRun,
    /// Its BFD session's status, when `bfd.enabled` and running.
    pub bfd: Option<tokio::sync::watch::Receiver<bfd::driver::Status>>,
}

/// Whether a configured peer runs.
#[derive(Clone, Debug)]
pub enum PeerRun {
    /// The driver's handle, to read live status.
    Running(PeerHandle),
    /// It could not be started, and why (`/status` shows it as the peer's last error).
    StartFailed(std::sync::Arc<std::io::Error>),
}

impl ObservedPeer {
    /// Its condition, as readiness judges it.
    pub fn condition(&self) -> PeerCondition {
        match &self.run {
            PeerRun::Running(handle) => PeerCondition::Session(handle.status().state),
            PeerRun::StartFailed(_) => PeerCondition::StartFailed,
        }
    }
}

/// Shared between the reconciler (writer) and the HTTP server (reader).
#[derive(Debug, Default)]
pub struct Observed {
    /// This node.
    pub node: String,
    /// `http.ready_when`.
    pub ready_when: ReadyWhen,
    /// Peers configured for this node (empty before the first decision).
    pub peers: Mutex<Vec<ObservedPeer>>,
    /// Sources synced.
    pub synced: std::sync::atomic::AtomicBool,
    /// The decision the daemon keeps up to date; `/status` reads its routes when asked
    /// instead of keeping a copy of 100,000 of them.
    pub decision: Mutex<Incremental>,
    /// Weight decreases not sent yet (locked after `decision` when both are).
    pub weight_hold: Mutex<crate::daemon::weight_hold::WeightHold>,
}

impl Observed {
    /// A snapshot for `/status`.
    pub fn snapshot(&self) -> Status {
        let observed = self.peers.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let peers: Vec<PeerView> = observed.iter().map(PeerView::of).collect();
        let conditions: Vec<(&str, PeerCondition)> = observed
            .iter()
            .map(|p| (p.name.as_str(), p.condition()))
            .collect();
        let (routes, withdrawn) = {
            let decision = self.decision.lock().unwrap_or_else(|p| p.into_inner());
            let hold = self.weight_hold.lock().unwrap_or_else(|p| p.into_inner());
            // What the peers were sent: a held weight decrease shows its old weight.
            let routes = decision
                .sorted_routes()
                .into_iter()
                .map(|(prefix, route)| {
                    let decided = RouteTemplate {
                        attributes: route.attributes,
                        peers: route.peers,
                    };
                    let sent = hold.effective(&prefix, Some(&decided)).unwrap_or(&decided);
                    RouteView::of(&prefix, &route.services, sent)
                })
                .collect();
            (routes, decision.node_withdraws_all().map(|r| r.to_string()))
        };
        let synced = self.synced.load(std::sync::atomic::Ordering::SeqCst);
        let verdict = readiness(synced, &conditions, self.ready_when);
        Status {
            node: self.node.clone(),
            synced,
            ready: verdict.is_ok(),
            not_ready: verdict.err().map(|why| why.to_string()),
            withdrawn,
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
    /// What `/readyz` answers: synced, and the peers `http.ready_when` asks for
    /// Established.
    pub ready: bool,
    /// Why not ready.
    #[serde(default)]
    pub not_ready: Option<String>,
    /// Why this node withdraws every address (unhealthy or excluded), if it does.
    #[serde(default)]
    pub withdrawn: Option<String>,
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
    /// FSM state, lowercase in JSON; `failed` when the peer could not be started.
    pub state: PeerCondition,
    /// Seconds since Established.
    pub uptime_seconds: Option<u64>,
    /// Prefixes the router has from us.
    pub prefixes_sent: usize,
    /// Last error; for a peer that could not be started, why.
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
    /// Its BFD session, when enabled.
    #[serde(default)]
    pub bfd: Option<crate::bfd_status::BfdView>,
}

impl PeerView {
    pub(crate) fn of(peer: &ObservedPeer) -> PeerView {
        let handle = match &peer.run {
            PeerRun::Running(handle) => handle,
            PeerRun::StartFailed(error) => {
                return PeerView {
                    name: peer.name.clone(),
                    address: peer.address.to_string(),
                    asn: peer.asn,
                    state: PeerCondition::StartFailed,
                    uptime_seconds: None,
                    prefixes_sent: 0,
                    last_error: Some(error.to_string()),
                    updates_sent: 0,
                    updates_received: 0,
                    notifications_sent: 0,
                    notifications_received: 0,
                    flaps: 0,
                    peer_hostname: None,
                    bfd: None,
                };
            }
        };
        let s = handle.status();
        PeerView {
            name: peer.name.clone(),
            address: peer.address.to_string(),
            asn: peer.asn,
            state: PeerCondition::Session(s.state),
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
            bfd: peer
                .bfd
                .as_ref()
                .map(|rx| crate::bfd_status::BfdView::of(&rx.borrow())),
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
    /// The link bandwidth sent with it (weighted anycast), in bits per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
}

impl RouteView {
    /// The view of one route: the Services asking for it, and what the peers were sent.
    fn of(prefix: &IpNet, services: &ServiceRefs, route: &RouteTemplate) -> RouteView {
        RouteView {
            prefix: prefix.to_string(),
            services: services.iter().map(ToString::to_string).collect(),
            peers: match &route.peers {
                PeerSelection::All => vec!["*".into()],
                PeerSelection::Only(names) => names.iter().cloned().collect(),
            },
            weight: crate::decide::weight::display(&route.attributes),
        }
    }
}

/// The BFD table of the peers that have BFD.
pub fn render_text_bfd(out: &mut String, peers: &[PeerView]) {
    let with_bfd: Vec<_> = peers
        .iter()
        .filter_map(|p| p.bfd.as_ref().map(|b| (p.name.as_str(), b)))
        .collect();
    crate::bfd_status::render_text(out, &with_bfd);
}

/// The human form of a status, for `kube-anycast status`.
pub fn render_text(status: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let readiness = match (&status.not_ready, status.ready) {
        (_, true) => "ready".to_string(),
        (Some(why), false) => format!("NOT ready: {why}"),
        (None, false) => "NOT ready".to_string(),
    };
    let _ = writeln!(
        out,
        "node {}: sources {}, {readiness}",
        status.node,
        if status.synced {
            "synced"
        } else {
            "NOT synced"
        },
    );
    if let Some(why) = &status.withdrawn {
        let _ = writeln!(out, "every route withdrawn: {why}");
    }
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
    render_text_bfd(&mut out, &status.peers);
    let _ = writeln!(out, "\n{} route(s) announced", status.routes.len());
    for r in &status.routes {
        let weight = r
            .weight
            .as_deref()
            .map(|w| format!("  weight {w}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<44} {}  -> {}{weight}",
            r.prefix,
            r.services.join(","),
            r.peers.join(",")
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
