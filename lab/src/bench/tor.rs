//! The FRR top-of-rack router every originator announces into, in a fresh namespace pair
//! per run, and the cheap views of it the bench polls: the session state and received
//! prefix count from one summary (over a lasting vty connection to bgpd), the kernel FIB's
//! routes via the originator (from `/proc/<zebra>/net/route`, which the kernel prints
//! without any tool in between), FRR's message counters and the TCP socket's byte
//! counters.
//!
//! What the ToR sends back to the originator is part of the setup ([`Export`]): FRR by
//! default advertises every route to every eBGP peer, the originator included (which drops
//! them on its own ASN in the path), about a second after they arrive. A withdraw then also
//! costs the ToR retracting what it sent, so every run withdraws from the same, settled
//! state (see [`Summary::sent`]).

use crate::frr::{Frr, FrrConfig, FrrNeighbor};
use crate::netns::NetnsPair;
use crate::process::run;
use crate::vty::Vty;
use serde_json::Value;
use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr};

/// The ToR's ASN.
pub const TOR_ASN: u32 = 65000;
/// The originator's ASN (eBGP to the ToR).
pub const ORIGINATOR_ASN: u32 = 4_200_000_010;

/// What the ToR advertises to the originator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Export {
    /// FRR's default: everything it holds, so every route the originator announces
    /// goes back to it.
    #[default]
    All,
    /// Nothing (an outbound deny-all route-map), as a ToR facing servers is often set up.
    None,
}

/// The outbound route-map that denies everything.
const SEND_NOTHING: &str = "SEND-NOTHING";

/// A ToR and the (still empty) namespace of the originator under test. The router is
/// declared first so it stops before its namespace goes.
pub struct Tor {
    /// FRR in namespace A.
    pub frr: Frr,
    /// A: the ToR; B: the originator.
    pub pair: NetnsPair,
    /// What it advertises to the originator.
    pub export: Export,
    bgpd: RefCell<Option<Vty>>,
}

/// What FRR's summary says about the originator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// FRR's name of the session state (`Established`, `Active`, ...).
    pub state: String,
    /// Prefixes received (and accepted) from the originator.
    pub prefixes: u64,
    /// Prefixes in the ToR's Adj-RIB-Out toward the originator (`pfxSnt`).
    pub sent: u64,
    /// Messages the ToR has sent the originator (`msgSent`): it stops moving once the
    /// ToR has written what it queued.
    pub messages_sent: u64,
}

/// Counters of what the ToR received on the session so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// UPDATE messages (FRR's `updatesRecv`; End-of-RIB markers count too).
    pub updates: u64,
    /// TCP payload bytes (the socket's `bytes_received`; includes the OPEN and
    /// KEEPALIVEs, 19 bytes each).
    pub bytes: u64,
}

impl Tor {
    /// Fresh namespaces and a ToR that accepts the originator at B's address and
    /// advertises `export` to it.
    pub fn new(export: Export) -> Tor {
        let pair = NetnsPair::new();
        let config = FrrConfig {
            asn: TOR_ASN,
            router_id: pair.a.v4,
            neighbors: vec![FrrNeighbor {
                address: IpAddr::V4(pair.b.v4),
                remote_as: ORIGINATOR_ASN,
                password: None,
                passive: false,
            }],
            networks: vec![],
        };
        let mut conf = config.bgpd_conf(&pair.a.ns);
        if export == Export::None {
            conf.push_str(&send_nothing(pair.b.v4));
        }
        let frr = Frr::start_with_conf(&pair.a.ns, config, &conf);
        if export == Export::None {
            let applied = format!("neighbor {} route-map {SEND_NOTHING} out", pair.b.v4);
            let running = frr.vtysh("show running-config").unwrap_or_default();
            assert!(
                running.contains(&applied),
                "lab setup: the ToR did not take `{applied}`: {running}"
            );
        }
        Tor {
            frr,
            pair,
            export,
            bgpd: RefCell::new(None),
        }
    }

    fn peer(&self) -> String {
        self.pair.b.v4.to_string()
    }

    /// The session state and prefix count, from `show bgp ipv4 unicast summary json`
    /// (its size does not grow with the table).
    pub fn summary(&self) -> Result<Summary, String> {
        let command = "show bgp ipv4 unicast summary json";
        let mut vty = self.bgpd.borrow_mut();
        if vty.is_none() {
            *vty = Some(self.frr.vty("bgpd")?);
        }
        let out = match vty.as_mut().map(|v| v.command(command)) {
            Some(Ok(out)) => out,
            Some(Err(e)) => {
                // Reconnect next time.
                *vty = None;
                return Err(e);
            }
            None => return Err("no vty".into()),
        };
        let v: Value =
            serde_json::from_str(&out).map_err(|e| format!("`{command}`: bad JSON ({e})"))?;
        parse_summary(&v, &self.peer())
    }

    /// How many routes via the originator the ToR's kernel IPv4 FIB holds.
    pub fn fib_routes(&self) -> Result<u64, String> {
        let pid = self.frr.zebra_pid().ok_or("zebra is not running")?;
        let path = format!("/proc/{pid}/net/route");
        let table = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        Ok(count_via(&table, self.pair.b.v4))
    }

    /// UPDATEs and bytes received from the originator so far.
    pub fn received(&self) -> Result<Received, String> {
        let peer = self.peer();
        let updates = self
            .frr
            .neighbor_stat(self.pair.b.addr(false), "updatesRecv")?;
        let out = run(
            "ip",
            &[
                "netns",
                "exec",
                &self.pair.a.ns,
                "ss",
                "-tniH",
                "state",
                "established",
                "dst",
                &peer,
            ],
        )?;
        Ok(Received {
            updates,
            bytes: parse_bytes_received(&out).unwrap_or(0),
        })
    }
}

/// bgpd.conf lines that give `peer` an outbound route-map denying everything.
fn send_nothing(peer: Ipv4Addr) -> String {
    format!(
        "route-map {SEND_NOTHING} deny 10
router bgp {TOR_ASN}
 address-family ipv4 unicast
  neighbor {peer} route-map {SEND_NOTHING} out
 exit-address-family
"
    )
}

/// Finds `peer` in a summary, whatever the nesting of the FRR version (`peers` at the top,
/// or under `ipv4Unicast`).
pub fn parse_summary(v: &Value, peer: &str) -> Result<Summary, String> {
    let peers = v
        .get("peers")
        .or_else(|| v.pointer("/ipv4Unicast/peers"))
        .ok_or_else(|| format!("no peers in the summary: {v}"))?;
    let p = peers
        .get(peer)
        .ok_or_else(|| format!("no peer {peer} in the summary"))?;
    let count = |field: &str| p.get(field).and_then(Value::as_u64).unwrap_or(0);
    Ok(Summary {
        state: p
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_string(),
        prefixes: count("pfxRcd"),
        sent: count("pfxSnt"),
        messages_sent: count("msgSent"),
    })
}

/// The routes of a `/proc/net/route` table whose gateway is `gateway`.
pub fn count_via(table: &str, gateway: Ipv4Addr) -> u64 {
    // The kernel prints the address as the hex of its in-memory (network order) u32.
    let hex = format!("{:08X}", u32::from_ne_bytes(gateway.octets()));
    table
        .lines()
        .skip(1)
        .filter(|l| l.split_whitespace().nth(2) == Some(hex.as_str()))
        .count() as u64
}

/// The sum of `bytes_received:N` over the sockets `ss -ti` listed.
pub fn parse_bytes_received(ss: &str) -> Option<u64> {
    let counts: Vec<u64> = ss
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("bytes_received:"))
        .filter_map(|n| n.parse().ok())
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

#[cfg(test)]
mod tests;
