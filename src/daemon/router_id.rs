//! The BGP Identifier: the configured `router_id`, else this host's first global IPv4
//! address (stable across restarts as long as the address is).

use crate::config::Config;
use bgp::RouterId;
use std::net::{IpAddr, Ipv4Addr};

/// The router ID to use, or an error telling the operator to set `router_id`.
pub fn choose(config: &Config) -> anyhow::Result<RouterId> {
    if let Some(id) = config.router_id {
        return Ok(id);
    }
    let from_peers = config
        .peers
        .iter()
        .find_map(|p| match p.transport.local_address {
            Some(IpAddr::V4(a)) => Some(a),
            _ => None,
        });
    from_peers
        .or_else(first_host_ipv4)
        .and_then(|a| RouterId::new(a).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "router_id: this host has no IPv4 address to derive it from; set router_id"
            )
        })
}

fn first_host_ipv4() -> Option<Ipv4Addr> {
    let addrs = nix::ifaddrs::getifaddrs().ok()?;
    let mut candidates: Vec<Ipv4Addr> = addrs
        .filter_map(|a| a.address.and_then(|s| s.as_sockaddr_in().map(|s| s.ip())))
        .filter(|ip| !ip.is_loopback() && !ip.is_link_local() && !ip.is_unspecified())
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}
