//! The end-to-end rack's top-of-rack router: FRR or BIRD 2 installing every node's path
//! into the ToR namespace's kernel FIB (what the client's traffic follows), or GoBGP,
//! which has no FIB and is read from its RIB. One eBGP session per node, over IPv4,
//! carrying IPv4 and IPv6 unicast.

use crate::LabRouter;
use crate::bird::{Bird, BirdConfig, BirdPeer};
use crate::frr::{Frr, FrrConfig, FrrNeighbor};
use crate::gobgp::{Gobgp, GobgpConfig, GobgpNeighbor};
use crate::prereq::Router;
use crate::process::run;
use crate::rib::Rib;
use ipnet::IpNet;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};

/// The ToR's ASN; node `i` (node1 is 0) is `TOR_ASN + i + 1` (RFC 7938: one ASN per node).
pub const TOR_ASN: u32 = 65000;

/// The ASN of node `i` (node1 is 0).
pub fn node_asn(i: usize) -> u32 {
    TOR_ASN + u32::try_from(i + 1).unwrap_or(u32::MAX - TOR_ASN)
}

/// Where the ToR's side of each node's session is, and the node's.
#[derive(Clone, Debug)]
pub struct Session {
    /// The ToR's address on the node's link.
    pub tor: Ipv4Addr,
    /// The node's address.
    pub node: Ipv4Addr,
}

/// The running router.
pub enum Tor {
    /// FRR (zebra and bgpd), multipath across the nodes' ASNs.
    Frr(Frr),
    /// BIRD 2 with a kernel protocol per family merging equal paths.
    Bird(Bird),
    /// GoBGP: RIB only.
    Gobgp(Gobgp),
}

/// BIRD's kernel protocols: every BGP route into the FIB, equal paths merged into one
/// multipath route.
const BIRD_KERNEL: &str = "protocol kernel { ipv4 { import none; export all; }; merge paths on; }\n\
                           protocol kernel { ipv6 { import none; export all; }; merge paths on; }\n";

impl Tor {
    /// Starts `router` in namespace `ns`, with one session per entry of `sessions`.
    pub fn start(router: Router, ns: &str, sessions: &[Session]) -> Tor {
        let router_id = sessions.first().map_or(Ipv4Addr::LOCALHOST, |s| s.tor);
        match router {
            Router::Frr => {
                let frr = Frr::start(
                    ns,
                    FrrConfig {
                        asn: TOR_ASN,
                        router_id,
                        neighbors: sessions
                            .iter()
                            .enumerate()
                            .map(|(i, s)| FrrNeighbor {
                                address: IpAddr::V4(s.node),
                                remote_as: node_asn(i),
                                password: None,
                                passive: false,
                            })
                            .collect(),
                        networks: vec![],
                    },
                );
                // LAB-NOTES: without multipath-relax and maximum-paths the FIB gets one
                // next hop although the RIB has one path per node.
                let asn = format!("router bgp {TOR_ASN}");
                frr.configure(&[
                    &asn,
                    "bgp bestpath as-path multipath-relax",
                    "address-family ipv4 unicast",
                    "maximum-paths 16",
                    "exit-address-family",
                    "address-family ipv6 unicast",
                    "maximum-paths 16",
                ])
                .unwrap_or_else(|e| panic!("lab setup: FRR multipath: {e}"));
                Tor::Frr(frr)
            }
            Router::Bird => {
                let peers = sessions
                    .iter()
                    .enumerate()
                    .map(|(i, s)| BirdPeer {
                        name: format!("node{}", i + 1),
                        local: IpAddr::V4(s.tor),
                        local_as: TOR_ASN,
                        neighbor: IpAddr::V4(s.node),
                        remote_as: node_asn(i),
                        password: None,
                    })
                    .collect();
                let config = BirdConfig {
                    router_id,
                    peers,
                    originate: vec![],
                };
                Tor::Bird(Bird::start_with(ns, config, BIRD_KERNEL))
            }
            Router::Gobgp => Tor::Gobgp(Gobgp::start(
                ns,
                GobgpConfig {
                    asn: TOR_ASN,
                    router_id,
                    neighbors: sessions
                        .iter()
                        .enumerate()
                        .map(|(i, s)| GobgpNeighbor {
                            address: IpAddr::V4(s.node),
                            remote_as: node_asn(i),
                            password: None,
                        })
                        .collect(),
                    start_disabled: false,
                },
            )),
            Router::Exabgp => panic!("ExaBGP is no top-of-rack router: it installs nothing"),
        }
    }

    /// The router behind the flavour, for what every router answers alike.
    fn router(&self) -> &dyn LabRouter {
        match self {
            Tor::Frr(f) => f,
            Tor::Bird(b) => b,
            Tor::Gobgp(g) => g,
        }
    }

    /// Its name for messages.
    pub fn name(&self) -> &'static str {
        self.router().describe()
    }

    /// True when the router installs routes into the ToR's kernel, so the client's
    /// traffic follows what BGP says.
    pub fn has_fib(&self) -> bool {
        !matches!(self, Tor::Gobgp(_))
    }

    /// The routes inside `pools`, with their next hops: the kernel FIB of `ns` for FRR and
    /// BIRD, the RIB for GoBGP.
    pub fn routes(&self, ns: &str, pools: &[IpNet]) -> Result<Rib, String> {
        let rib = match self {
            Tor::Gobgp(g) => g.rib()?,
            Tor::Frr(_) | Tor::Bird(_) => {
                let mut rib = Rib::new();
                for pool in pools {
                    let family = if matches!(pool, IpNet::V6(_)) {
                        "-6"
                    } else {
                        "-4"
                    };
                    let out = run(
                        "ip",
                        &[
                            "-n",
                            ns,
                            "-j",
                            family,
                            "route",
                            "show",
                            "root",
                            &pool.to_string(),
                        ],
                    )?;
                    parse_kernel_routes(&out, &mut rib)?;
                }
                rib
            }
        };
        Ok(rib
            .into_iter()
            .filter(|(p, _)| pools.iter().any(|pool| pool.contains(p)))
            .collect())
    }

    /// The state of the session with node `i` (node1 is 0), as RFC 4271 names it.
    pub fn session_state(&self, i: usize, node: Ipv4Addr) -> Result<String, String> {
        match self {
            Tor::Frr(f) => f.neighbor_state(IpAddr::V4(node)),
            Tor::Bird(b) => b.protocol_state(&format!("node{}", i + 1)),
            Tor::Gobgp(g) => g.neighbor_state(IpAddr::V4(node)),
        }
    }

    /// The end of the router's log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.router().log_tail()
    }
}

/// Adds the routes of one `ip -j route show` output to `rib` (see
/// [`crate::rib::add_kernel_routes`]); an empty output holds no route.
pub fn parse_kernel_routes(json: &str, rib: &mut Rib) -> Result<(), String> {
    if json.trim().is_empty() {
        return Ok(());
    }
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("ip -j route: bad JSON ({e}): {json}"))?;
    crate::rib::add_kernel_routes(&v, rib)
}

#[cfg(test)]
mod tests;
