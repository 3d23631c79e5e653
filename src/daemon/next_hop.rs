//! `next_hop: auto` for the family a session does not run over (SPEC section 3): this
//! host's global address of that family on the interface that carries the session. The
//! driver fills in the session's own family from the connection's local address; the
//! other family needs the host's interfaces, found here when the peer starts.

use crate::config::PeerConfig;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// One address of one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAddr {
    /// Interface name.
    pub interface: String,
    /// The address.
    pub addr: IpAddr,
}

/// The IPv6 next hop for IPv6 routes sent over an IPv4 session (`None` when the session
/// runs over IPv6: the driver uses the session's address then).
pub fn auto_v6_over_v4(peer: &PeerConfig) -> Option<Ipv6Addr> {
    if !peer.address.is_ipv4() {
        return None;
    }
    match other_family_address(session_local_address(peer)?, &host_addrs())? {
        IpAddr::V6(a) => Some(a),
        IpAddr::V4(_) => None,
    }
}

/// The IPv4 next hop for IPv4 routes sent over an IPv6 session (`None` when the session
/// runs over IPv4).
pub fn auto_v4_over_v6(peer: &PeerConfig) -> Option<Ipv4Addr> {
    if !peer.address.is_ipv6() {
        return None;
    }
    match other_family_address(session_local_address(peer)?, &host_addrs())? {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

/// The local address the session will use: the configured one, else the source address
/// the kernel picks for the peer (a connected UDP socket sends nothing but learns it).
fn session_local_address(peer: &PeerConfig) -> Option<IpAddr> {
    if let Some(local) = peer.local_address {
        return Some(local);
    }
    let unspecified: SocketAddr = match peer.address {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(unspecified).ok()?;
    socket.connect((peer.address, peer.port)).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

/// The address of the other family than `local`'s on the interface holding `local`:
/// global scope only (no loopback, link-local, unspecified or multicast), the lowest one
/// so that the choice is stable across restarts.
pub fn other_family_address(local: IpAddr, addrs: &[HostAddr]) -> Option<IpAddr> {
    let interface = &addrs.iter().find(|a| a.addr == local)?.interface;
    addrs
        .iter()
        .filter(|a| &a.interface == interface && a.addr.is_ipv4() != local.is_ipv4())
        .map(|a| a.addr)
        .filter(is_global_unicast)
        .min()
}

fn is_global_unicast(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            !(a.is_loopback() || a.is_link_local() || a.is_unspecified() || a.is_multicast())
        }
        IpAddr::V6(a) => {
            // fe80::/10 is link-local (RFC 4291 section 2.4).
            let link_local = (a.segments()[0] & 0xffc0) == 0xfe80;
            !(a.is_loopback() || link_local || a.is_unspecified() || a.is_multicast())
        }
    }
}

/// Every address of every interface of this host (empty on error).
fn host_addrs() -> Vec<HostAddr> {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    list.filter_map(|ifa| {
        let storage = ifa.address?;
        let addr = if let Some(v4) = storage.as_sockaddr_in() {
            IpAddr::V4(v4.ip())
        } else {
            IpAddr::V6(storage.as_sockaddr_in6()?.ip())
        };
        Some(HostAddr {
            interface: ifa.interface_name,
            addr,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> Vec<HostAddr> {
        let a = |i: &str, s: &str| HostAddr {
            interface: i.into(),
            addr: s.parse().unwrap(),
        };
        vec![
            a("lo", "127.0.0.1"),
            a("lo", "::1"),
            a("lo", "203.0.113.10"),
            a("eth0", "10.11.0.11"),
            a("eth0", "fe80::11"),
            a("eth0", "fd00:11::11"),
            a("eth0", "fd00:11::9"),
            a("eth1", "10.12.0.11"),
            a("eth1", "fd00:12::11"),
        ]
    }

    #[test]
    fn ipv6_next_hop_over_ipv4_is_the_session_interfaces_global_address() {
        let local: IpAddr = "10.11.0.11".parse().unwrap();
        assert_eq!(
            other_family_address(local, &addrs()),
            Some("fd00:11::9".parse().unwrap()),
            "lowest global address of eth0; never its link-local one, never eth1's"
        );
        let local: IpAddr = "10.12.0.11".parse().unwrap();
        assert_eq!(
            other_family_address(local, &addrs()),
            Some("fd00:12::11".parse().unwrap())
        );
    }

    #[test]
    fn ipv4_next_hop_over_ipv6_is_the_session_interfaces_ipv4_address() {
        let local: IpAddr = "fd00:12::11".parse().unwrap();
        assert_eq!(
            other_family_address(local, &addrs()),
            Some("10.12.0.11".parse().unwrap())
        );
    }

    #[test]
    fn no_next_hop_without_a_global_address_of_the_other_family() {
        let only_link_local = vec![
            HostAddr {
                interface: "eth0".into(),
                addr: "10.11.0.11".parse().unwrap(),
            },
            HostAddr {
                interface: "eth0".into(),
                addr: "fe80::11".parse().unwrap(),
            },
        ];
        let local: IpAddr = "10.11.0.11".parse().unwrap();
        assert_eq!(other_family_address(local, &only_link_local), None);
        let unknown: IpAddr = "10.99.0.1".parse().unwrap();
        assert_eq!(other_family_address(unknown, &addrs()), None);
    }

    #[test]
    fn session_local_address_is_the_kernels_source_address_for_the_peer() {
        // The kernel picks 127.0.0.1 to reach 127.0.0.2.
        let peer = PeerConfig {
            name: "t".into(),
            address: "127.0.0.2".parse().unwrap(),
            asn: bgp::Asn(65000),
            port: 179,
            local_address: None,
            password_file: None,
            hold_time: std::time::Duration::from_secs(9),
            connect_retry: std::time::Duration::from_secs(1),
            passive: false,
            ebgp_multihop: 1,
            ttl_security: false,
            families: vec![bgp::Family::Ipv6Unicast],
            next_hop_v4: crate::config::NextHopChoice::Auto,
            next_hop_v6: crate::config::NextHopChoice::Auto,
            node_selector: Default::default(),
        };
        assert_eq!(
            session_local_address(&peer),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(auto_v4_over_v6(&peer), None, "the session runs over IPv4");
    }
}
