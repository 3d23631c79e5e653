//! FRR as the plain eBGP router most daemon tests stand a ToR up with: one neighbor per
//! node, each in its own AS, no password, FRR connecting too, nothing originated. A rack
//! whose anycast route must reach the kernel with every node as a next hop adds
//! [`multipath`].

use crate::frr::{Frr, FrrConfig, FrrNeighbor};
use crate::rack::{StarRack, TOR_ASN};
use std::net::{IpAddr, Ipv4Addr};

/// Starts FRR in `ns` as AS `asn` with identifier `router_id`, an eBGP neighbor of every
/// `(address, asn)` of `nodes`.
pub fn start(ns: &str, asn: u32, router_id: Ipv4Addr, nodes: &[(Ipv4Addr, u32)]) -> Frr {
    let neighbors = nodes
        .iter()
        .map(|&(address, remote_as)| FrrNeighbor {
            address: IpAddr::V4(address),
            remote_as,
            password: None,
            passive: false,
        })
        .collect();
    let config = FrrConfig {
        asn,
        router_id,
        neighbors,
        networks: vec![],
    };
    Frr::start(ns, config)
}

/// Puts the IPv4 paths of the nodes' different ASes into one ECMP group (multipath-relax,
/// up to 8 paths): without it the FIB gets one next hop although the RIB has one path per
/// node. `also` are further `router bgp` lines, given first (e.g. `bgp graceful-restart`).
pub fn multipath(frr: &Frr, asn: u32, also: &[&str]) -> Result<String, String> {
    let router = format!("router bgp {asn}");
    let mut lines = vec![router.as_str()];
    lines.extend_from_slice(also);
    lines.extend([
        "bgp bestpath as-path multipath-relax",
        "address-family ipv4 unicast",
        "maximum-paths 8",
    ]);
    frr.configure(&lines)
}

/// The ToR of a [`StarRack`]: FRR as AS [`TOR_ASN`], identified by its address on node1's
/// link, a neighbor of every node, with [`multipath`] and `also` (further `router bgp`
/// lines).
pub fn star_tor(rack: &StarRack, also: &[&str]) -> Frr {
    let frr = start(&rack.tor, TOR_ASN, rack.gateway(0), &rack.tor_neighbors());
    if let Err(e) = multipath(&frr, TOR_ASN, also) {
        panic!("multipath on the ToR: {e}");
    }
    frr
}
