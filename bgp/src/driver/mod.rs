//! The tokio driver: sockets, one task per peer, and a handle to talk to it.
//!
//! Each peer task owns a [`Session`](crate::session::Session) and an
//! [`AdjRibOut`](crate::rib_out::AdjRibOut), turns socket reads, timer expiries and
//! handle commands into session events, and carries out the session's actions. All
//! protocol decisions stay in the sans-IO core; this layer only moves bytes and time.

pub mod socket;

use crate::rib_out::RouteAttributes;
use crate::session::{SessionConfig, State};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Transport settings and per-peer adjustments of one peer.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// A name for logs and status.
    pub name: String,
    /// The peer's address and port (usually 179).
    pub remote: SocketAddr,
    /// Source address for outbound connections; also the address the session must be
    /// accepted on.
    pub local_address: Option<IpAddr>,
    /// TCP-MD5 key (RFC 2385), set on both the listening and the connecting socket.
    pub md5_password: Option<Vec<u8>>,
    /// IP TTL / hop limit of our packets: 1 for directly connected eBGP, more for multihop.
    /// `None` leaves the system default (what iBGP uses).
    pub ttl: Option<u8>,
    /// GTSM (RFC 5082): send with TTL 255 and accept only packets that arrive with at least
    /// 255 - (ttl - 1).
    pub ttl_security: bool,
    /// Next hop for IPv4 routes; `None`: the session's local address if IPv4, else unset.
    pub next_hop_v4: Option<Ipv4Addr>,
    /// Next hop for IPv6 routes; `None`: the session's local address if IPv6, else unset.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// The protocol settings.
    pub session: SessionConfig,
}

/// A change to the routes a peer should have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteChange {
    /// Announce (or re-announce with new attributes).
    Announce(IpNet, Arc<RouteAttributes>),
    /// Withdraw.
    Withdraw(IpNet),
}

/// Counters of one peer, monotonic over the life of the handle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerCounters {
    /// Messages sent, by any type.
    pub messages_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// UPDATEs sent.
    pub updates_sent: u64,
    /// UPDATEs received (never installed; counted).
    pub updates_received: u64,
    /// NOTIFICATIONs sent.
    pub notifications_sent: u64,
    /// NOTIFICATIONs received.
    pub notifications_received: u64,
    /// Times the session left Established.
    pub flaps: u64,
}

/// A snapshot of one peer.
#[derive(Clone, Debug)]
pub struct PeerStatus {
    /// FSM state.
    pub state: State,
    /// When the session last reached Established, if it is now.
    pub established_since: Option<std::time::SystemTime>,
    /// Negotiation results while Established.
    pub negotiated: Option<crate::session::Negotiated>,
    /// Prefixes the peer has from us now.
    pub prefixes_sent: usize,
    /// The last error, human readable.
    pub last_error: Option<String>,
    /// Counters.
    pub counters: PeerCounters,
}

/// Owns the optional listening socket and the peer tasks. Inbound connections are handed
/// to the peer whose address they come from; others are refused.
#[derive(Debug)]
pub struct Speaker {}

impl Speaker {
    /// Starts a speaker; `listen` is the address to accept connections on (e.g.
    /// `[::]:179`), or `None` to only connect out.
    pub async fn bind(listen: Option<SocketAddr>) -> std::io::Result<Speaker> {
        let _ = listen;
        todo!("driver::Speaker::bind")
    }

    /// The address actually listened on (useful with port 0 in tests).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        todo!("driver::Speaker::local_addr")
    }

    /// Starts a task for this peer and returns its handle. The session starts at once.
    pub fn add_peer(&self, config: PeerConfig) -> std::io::Result<PeerHandle> {
        let _ = config;
        todo!("driver::Speaker::add_peer")
    }
}

/// Talks to one peer task. Cloning is cheap; the task ends after [`PeerHandle::shutdown`].
#[derive(Clone, Debug)]
pub struct PeerHandle {}

/// How to end a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShutdownMode {
    /// Withdraw every route, wait `drain`, then Cease / Administrative Shutdown.
    Withdraw {
        /// Time between the last withdraw written and the Cease.
        drain: std::time::Duration,
    },
    /// Close without withdrawing so a peer that negotiated graceful restart keeps our
    /// routes until we come back (RFC 4724). Falls back to `Withdraw` with no drain when
    /// the peer did not negotiate it.
    KeepRoutes,
}

impl PeerHandle {
    /// Applies route changes. Waits only when the task's bounded queue is full.
    pub async fn update(&self, changes: Vec<RouteChange>) {
        let _ = changes;
        todo!("driver::PeerHandle::update")
    }

    /// Replaces the whole desired route set.
    pub async fn replace(&self, routes: Vec<(IpNet, Arc<RouteAttributes>)>) {
        let _ = routes;
        todo!("driver::PeerHandle::replace")
    }

    /// The current status.
    pub fn status(&self) -> PeerStatus {
        todo!("driver::PeerHandle::status")
    }

    /// A receiver that sees every status change (state transitions, counters).
    pub fn watch(&self) -> tokio::sync::watch::Receiver<PeerStatus> {
        todo!("driver::PeerHandle::watch")
    }

    /// Ends the session as `mode` says, sending a Cease carrying `reason` (RFC 9003),
    /// and waits for the task to finish.
    pub async fn shutdown(&self, mode: ShutdownMode, reason: &str) {
        let _ = (mode, reason);
        todo!("driver::PeerHandle::shutdown")
    }
}
