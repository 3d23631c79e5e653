//! Next hops of a session: configured ones, or chosen from the session's addresses.
//!
//! - The session's own family: the configured next hop, else the session's local address
//!   (a global one; an IPv6 session over link-local addresses has no global next hop).
//! - The other family: the configured next hop, else this host's first global address of
//!   that family on the interface that carries the session, so one IPv4 session can carry
//!   IPv6 routes of a dual-stack node and the router can reach the next hop on the link.
//! - RFC 2545 section 3 adds, for IPv6 routes on an IPv6 session to an on-link peer, the
//!   link-local address of the interface that carries the session. The peer is on-link
//!   when its address is link-local or inside a prefix of that interface. Without a match
//!   no link-local next hop is sent, which every router accepts.
//!
//! There is no extended next hop (RFC 8950): IPv4 routes with no IPv4 next hop are held
//! back by the Adj-RIB-Out.

use super::socket::{is_link_local_v6, normalize_ip};
pub use crate::rib_out::NextHops;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address of an interface, with its prefix length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceAddr {
    /// Interface name.
    pub interface: String,
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix_len: u8,
}

/// Chooses the next hops for a session between `local` and `remote` from the
/// configured values and the addresses of this host's interfaces.
pub fn choose(
    configured_v4: Option<Ipv4Addr>,
    configured_v6: Option<Ipv6Addr>,
    local: IpAddr,
    remote: IpAddr,
    interfaces: &[InterfaceAddr],
) -> NextHops {
    let local = normalize_ip(local);
    let remote = normalize_ip(remote);
    let session_interface = interfaces
        .iter()
        .find(|a| a.addr == local)
        .map(|a| a.interface.as_str());
    let on_session_interface = |a: &&InterfaceAddr| Some(a.interface.as_str()) == session_interface;
    let (auto_v4, auto_v6, link_local) = match (local, remote) {
        (IpAddr::V4(l), _) => {
            let v6 = interfaces
                .iter()
                .filter(on_session_interface)
                .find_map(|a| match a.addr {
                    IpAddr::V6(v6) if is_global_v6(&v6) => Some(v6),
                    _ => None,
                });
            (Some(l), v6, None)
        }
        (IpAddr::V6(l), remote) => {
            let v4 = interfaces
                .iter()
                .filter(on_session_interface)
                .find_map(|a| match a.addr {
                    IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_link_local() => Some(v4),
                    _ => None,
                });
            // The session's own address is what the peer reaches us on, loopback included
            // (a session over ::1); only a link-local one cannot be a global next hop.
            let global = (!is_link_local_v6(&l)).then_some(l);
            let link_local = match remote {
                IpAddr::V6(r) => on_link_link_local(l, r, interfaces),
                IpAddr::V4(_) => None,
            };
            (v4, global, link_local)
        }
    };
    NextHops {
        v4: configured_v4.or(auto_v4),
        v6: configured_v6.or(auto_v6),
        v6_link_local: link_local,
    }
}

fn is_global_v6(ip: &Ipv6Addr) -> bool {
    !is_link_local_v6(ip) && !ip.is_loopback() && !ip.is_unspecified()
}

/// The link-local address of the interface that holds `local`, when `remote` is on
/// that interface's link.
fn on_link_link_local(
    local: Ipv6Addr,
    remote: Ipv6Addr,
    interfaces: &[InterfaceAddr],
) -> Option<Ipv6Addr> {
    if is_link_local_v6(&local) {
        return Some(local);
    }
    let iface = interfaces.iter().find(|a| a.addr == IpAddr::V6(local))?;
    let same_interface = || interfaces.iter().filter(|a| a.interface == iface.interface);
    let on_link = is_link_local_v6(&remote)
        || same_interface().any(|a| match a.addr {
            IpAddr::V6(v6) => !is_link_local_v6(&v6) && same_prefix(v6, remote, a.prefix_len),
            IpAddr::V4(_) => false,
        });
    if !on_link {
        return None;
    }
    same_interface().find_map(|a| match a.addr {
        IpAddr::V6(v6) if is_link_local_v6(&v6) => Some(v6),
        _ => None,
    })
}

fn same_prefix(a: Ipv6Addr, b: Ipv6Addr, len: u8) -> bool {
    let len = u32::from(len.min(128));
    if len == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - len);
    (u128::from(a) & mask) == (u128::from(b) & mask)
}

/// The IPv4 and IPv6 addresses of this host's interfaces (empty on error: automatic next
/// hops beyond the session's own address are best effort).
pub fn interface_addrs() -> Vec<InterfaceAddr> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    addrs
        .filter_map(|ifa| {
            let address = ifa.address?;
            let mask = ifa.netmask;
            let (addr, prefix_len) = if let Some(v4) = address.as_sockaddr_in() {
                let len = mask
                    .as_ref()
                    .and_then(|m| m.as_sockaddr_in())
                    .map_or(32, |m| u32::from(m.ip()).count_ones());
                (IpAddr::V4(v4.ip()), len)
            } else if let Some(v6) = address.as_sockaddr_in6() {
                let len = mask
                    .as_ref()
                    .and_then(|m| m.as_sockaddr_in6())
                    .map_or(128, |m| u128::from(m.ip()).count_ones());
                (IpAddr::V6(v6.ip()), len)
            } else {
                return None;
            };
            Some(InterfaceAddr {
                interface: ifa.interface_name,
                addr,
                prefix_len: u8::try_from(prefix_len).unwrap_or(128),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
