//! The ToR of the failover rack: FRR with zebra, bfdd and bgpd. One eBGP neighbor per
//! node (hold time [`HOLD_TIME`]), multipath across the nodes' ASes so the externalIP's
//! kernel route has every node as a next hop, and, in a BFD mode, `neighbor X bfd profile`
//! with the mode's timers: bgpd takes a neighbor down when its BFD session goes Down.

use super::mode::{HOLD_TIME, Mode};
use crate::bfd_routers::{FrrBfd, Timers};
use crate::frr::{FrrConfig, FrrNeighbor};
use crate::rack::TOR_ASN;
use serde_json::Value;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

/// bfdd's timer profile.
const PROFILE: &str = "failover";

/// The bgpd configuration: `FrrConfig`'s, with the lab's hold time, multipath and, in a
/// BFD mode, BFD on every neighbor.
pub fn bgpd_conf(hostname: &str, router_id: Ipv4Addr, nodes: &[Ipv4Addr], mode: Mode) -> String {
    let neighbors = nodes
        .iter()
        .zip(1..)
        .map(|(address, n)| FrrNeighbor {
            address: IpAddr::V4(*address),
            remote_as: TOR_ASN + n,
            password: None,
            passive: false,
        })
        .collect();
    let mut c = FrrConfig {
        asn: TOR_ASN,
        router_id,
        neighbors,
        networks: Vec::new(),
    }
    .bgpd_conf(hostname);
    // A second `router bgp` block adds to the first.
    let _ = writeln!(c, "router bgp {TOR_ASN}");
    let _ = writeln!(c, " bgp bestpath as-path multipath-relax");
    for address in nodes {
        let hold = HOLD_TIME.as_secs();
        let _ = writeln!(c, " neighbor {address} timers {} {hold}", hold / 3);
        if mode.timers().is_some() {
            let _ = writeln!(c, " neighbor {address} bfd profile {PROFILE}");
        }
    }
    let _ = writeln!(c, " address-family ipv4 unicast");
    let _ = writeln!(c, "  maximum-paths 8");
    let _ = writeln!(c, " exit-address-family");
    c
}

/// bfdd's view of one node's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TorBfd {
    /// `up`, `down`, `init`, ...
    pub status: String,
    /// Times the session came Up.
    pub ups: u64,
    /// Times it went Down.
    pub downs: u64,
}

/// Reads bfdd's status and counters of one session (`show bfd peers json`,
/// `show bfd peers counters json`).
pub fn parse_tor_bfd(peer: &Value, counters: &Value) -> TorBfd {
    TorBfd {
        status: peer["status"].as_str().unwrap_or("?").to_string(),
        ups: counters["session-up"].as_u64().unwrap_or(0),
        downs: counters["session-down"].as_u64().unwrap_or(0),
    }
}

/// The running ToR.
pub struct Tor {
    frr: FrrBfd,
}

impl Tor {
    /// Starts FRR in `ns` for `nodes`.
    pub fn start(ns: &str, router_id: Ipv4Addr, nodes: &[Ipv4Addr], mode: Mode) -> Tor {
        // Without BFD bfdd still runs, unused: the ToR is the same but for the neighbors.
        let timers = mode.timers().unwrap_or(Timers {
            tx_ms: 300,
            rx_ms: 300,
            multiplier: 3,
        });
        let mut frr = FrrBfd::start_with_profile(ns, PROFILE, timers);
        frr.start_bgpd(&bgpd_conf(ns, router_id, nodes, mode));
        Tor { frr }
    }

    /// Whether bgpd's session with `node` is Established.
    pub fn established(&self, node: Ipv4Addr) -> Result<bool, String> {
        let n = self.frr.bgp_neighbor(IpAddr::V4(node))?;
        Ok(n["bgpState"].as_str() == Some("Established"))
    }

    /// bfdd's view of the session with `node`.
    pub fn bfd(&self, node: Ipv4Addr) -> Result<TorBfd, String> {
        let peer = IpAddr::V4(node);
        let status = self.frr.session_json(peer, "show bfd peers json")?;
        let counters = self
            .frr
            .session_json(peer, "show bfd peers counters json")?;
        Ok(parse_tor_bfd(&status, &counters))
    }

    /// The end of bfdd's log.
    pub fn log_tail(&self) -> String {
        self.frr.log_tail()
    }
}

#[cfg(test)]
mod tests;
