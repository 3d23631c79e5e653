//! FRR as the plain eBGP router most daemon tests stand a ToR up with: one neighbor per
//! node, each in its own AS, no password, FRR connecting too, nothing originated. A rack
//! whose anycast route must reach the kernel with every node as a next hop adds
//! [`multipath`].

use crate::frr::{Frr, FrrConfig, FrrNeighbor};
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
