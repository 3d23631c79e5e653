//! Next hops of a session: configured ones, or the session's own local address.
//!
//! - IPv4 routes: `next_hop_v4`, else the local address when the session runs over IPv4.
//! - IPv6 routes: `next_hop_v6`, else the local address when the session runs over IPv6
//!   with a global address. RFC 2545 section 3 adds the link-local address of the
//!   interface that carries the session when the peer is on the same link; it is found
//!   on a best-effort basis with `getifaddrs`: the interface holding our local address,
//!   if the peer's address is link-local or inside one of that interface's prefixes.
//!   Without a match no link-local next hop is sent, which every router accepts.
//!
//! There is no extended next hop (RFC 8950): IPv4 routes on an IPv6-only session need
//! `next_hop_v4`, else the Adj-RIB-Out holds them back.

use super::socket::{is_link_local_v6, normalize_ip};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One IPv6 address of an interface, with its prefix length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceAddr {
    /// Interface name.
    pub interface: String,
    /// The address.
    pub addr: Ipv6Addr,
    /// Its prefix length.
    pub prefix_len: u8,
}

/// The next hops to give the Adj-RIB-Out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NextHops {
    /// For IPv4 routes.
    pub v4: Option<Ipv4Addr>,
    /// Global IPv6 next hop.
    pub v6: Option<Ipv6Addr>,
    /// Link-local IPv6 next hop (RFC 2545).
    pub v6_link_local: Option<Ipv6Addr>,
}

/// Chooses the next hops for a session between `local` and `remote` from the
/// configured values and the IPv6 addresses of this host's interfaces.
pub fn choose(
    configured_v4: Option<Ipv4Addr>,
    configured_v6: Option<Ipv6Addr>,
    local: IpAddr,
    remote: IpAddr,
    interfaces: &[InterfaceAddr],
) -> NextHops {
    let local = normalize_ip(local);
    let remote = normalize_ip(remote);
    let auto_v4 = match local {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    };
    let (auto_v6, link_local) = match (local, remote) {
        (IpAddr::V6(l), IpAddr::V6(r)) => {
            let global = (!is_link_local_v6(&l)).then_some(l);
            (global, on_link_link_local(l, r, interfaces))
        }
        _ => (None, None),
    };
    NextHops {
        v4: configured_v4.or(auto_v4),
        v6: configured_v6.or(auto_v6),
        v6_link_local: link_local,
    }
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
    let iface = interfaces.iter().find(|a| a.addr == local)?;
    let on_link = is_link_local_v6(&remote)
        || interfaces
            .iter()
            .filter(|a| a.interface == iface.interface && !is_link_local_v6(&a.addr))
            .any(|a| same_prefix(a.addr, remote, a.prefix_len));
    if !on_link {
        return None;
    }
    interfaces
        .iter()
        .find(|a| a.interface == iface.interface && is_link_local_v6(&a.addr))
        .map(|a| a.addr)
}

fn same_prefix(a: Ipv6Addr, b: Ipv6Addr, len: u8) -> bool {
    let len = u32::from(len.min(128));
    if len == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - len);
    (u128::from(a) & mask) == (u128::from(b) & mask)
}

/// The IPv6 addresses of this host's interfaces (empty on error: the link-local next hop
/// is best effort).
pub fn interface_addrs() -> Vec<InterfaceAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a non-null node of the list getifaddrs returned, alive until
        // freeifaddrs.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr of the family it names.
        if i32::from(unsafe { (*ifa.ifa_addr).sa_family }) != libc::AF_INET6 {
            continue;
        }
        // SAFETY: the family is AF_INET6, so the sockaddr is a sockaddr_in6.
        let addr = unsafe { &*(ifa.ifa_addr.cast::<libc::sockaddr_in6>()) };
        let prefix_len = if ifa.ifa_netmask.is_null() {
            128
        } else {
            // SAFETY: the netmask of an AF_INET6 address is a sockaddr_in6 too.
            let mask = unsafe { &*(ifa.ifa_netmask.cast::<libc::sockaddr_in6>()) };
            u128::from_be_bytes(mask.sin6_addr.s6_addr).count_ones() as u8
        };
        // SAFETY: ifa_name is a non-null NUL-terminated string owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        out.push(InterfaceAddr {
            interface: name.to_string_lossy().into_owned(),
            addr: Ipv6Addr::from(addr.sin6_addr.s6_addr),
            prefix_len,
        });
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ifaces() -> Vec<InterfaceAddr> {
        let a = |i: &str, s: &str, l| InterfaceAddr {
            interface: i.into(),
            addr: s.parse().unwrap(),
            prefix_len: l,
        };
        vec![
            a("eth0", "fd00::2", 64),
            a("eth0", "fe80::fc:ff:fe00:1", 64),
            a("eth1", "fd01::2", 64),
            a("eth1", "fe80::1:1", 64),
            a("lo", "::1", 128),
        ]
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_session_uses_its_local_address_for_ipv4_only() {
        let n = choose(None, None, ip("10.0.0.2"), ip("10.0.0.1"), &ifaces());
        assert_eq!(
            n,
            NextHops {
                v4: Some("10.0.0.2".parse().unwrap()),
                v6: None,
                v6_link_local: None
            }
        );
    }

    #[test]
    fn ipv4_mapped_local_address_counts_as_ipv4() {
        let n = choose(
            None,
            None,
            ip("::ffff:10.0.0.2"),
            ip("::ffff:10.0.0.1"),
            &[],
        );
        assert_eq!(n.v4, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(n.v6, None);
    }

    #[test]
    fn configured_next_hops_win_over_the_session_address() {
        let n = choose(
            Some("192.0.2.9".parse().unwrap()),
            Some("fd00::9".parse().unwrap()),
            ip("10.0.0.2"),
            ip("10.0.0.1"),
            &[],
        );
        assert_eq!(n.v4, Some("192.0.2.9".parse().unwrap()));
        assert_eq!(n.v6, Some("fd00::9".parse().unwrap()));
    }

    #[test]
    fn ipv6_on_link_peer_gets_the_link_local_of_the_session_interface() {
        let n = choose(None, None, ip("fd01::2"), ip("fd01::1"), &ifaces());
        assert_eq!(n.v6, Some("fd01::2".parse().unwrap()));
        assert_eq!(n.v6_link_local, Some("fe80::1:1".parse().unwrap()));
        assert_eq!(n.v4, None);
    }

    #[test]
    fn ipv6_multihop_peer_gets_no_link_local() {
        let n = choose(None, None, ip("fd00::2"), ip("fd99::1"), &ifaces());
        assert_eq!(n.v6, Some("fd00::2".parse().unwrap()));
        assert_eq!(n.v6_link_local, None);
    }

    #[test]
    fn session_over_link_local_sends_it_as_link_local_only() {
        let n = choose(None, None, ip("fe80::1:1"), ip("fe80::9"), &ifaces());
        assert_eq!(n.v6, None);
        assert_eq!(n.v6_link_local, Some("fe80::1:1".parse().unwrap()));
    }

    #[test]
    fn interface_addrs_lists_ipv6_loopback() {
        let all = interface_addrs();
        assert!(
            all.iter()
                .any(|a| a.addr == Ipv6Addr::LOCALHOST && a.prefix_len == 128),
            "{all:?}"
        );
    }
}
