//! Which externalIPs may be announced at all (SPEC section 4.2). This is the fence that
//! keeps a tenant from hijacking an address on the fabric: only host routes inside the
//! operator's `allowed_cidrs`, never a special-purpose address.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an externalIP string cannot be announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressRefusal {
    /// Not an IP address.
    Unparsable,
    /// A special-purpose address; the string names the range.
    SpecialRange(&'static str),
    /// Outside every allowed CIDR (or none is configured).
    OutsideAllowedCidrs,
}

/// Checks one externalIP: parses it and returns its host prefix, or why it is refused.
/// Leading zeros and other ambiguous spellings fail to parse and are refused.
pub fn check(text: &str, allowed: &[IpNet]) -> Result<IpNet, AddressRefusal> {
    let ip: IpAddr = text.parse().map_err(|_| AddressRefusal::Unparsable)?;
    check_ip(ip, allowed)
}

/// [`check`] for an address already parsed.
pub fn check_ip(ip: IpAddr, allowed: &[IpNet]) -> Result<IpNet, AddressRefusal> {
    if let Some(range) = special_range(ip) {
        return Err(AddressRefusal::SpecialRange(range));
    }
    if !allowed.iter().any(|net| net.contains(&ip)) {
        return Err(AddressRefusal::OutsideAllowedCidrs);
    }
    Ok(IpNet::from(ip))
}

/// The special-purpose range `ip` lies in, if any: addresses no host route should ever
/// attract traffic for.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let first = ip.octets()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if first == 0 {
        Some("\"this network\" 0.0.0.0/8")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() {
        Some("broadcast")
    } else if first >= 240 {
        Some("reserved 240.0.0.0/4")
    } else {
        None
    }
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if seg[0] & 0xffc0 == 0xfec0 {
        Some("deprecated site-local fec0::/10")
    } else if ip.to_ipv4_mapped().is_some() {
        // An IPv4-mapped address is an IPv4 address in disguise: announcing it as an
        // IPv6 route would dodge the IPv4 allowed_cidrs.
        Some("IPv4-mapped ::ffff:0:0/96")
    } else if seg[..6].iter().all(|s| *s == 0) {
        Some("IPv4-compatible ::/96")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<IpNet> {
        vec![
            "203.0.113.0/24".parse().unwrap(),
            "2001:db8:100::/64".parse().unwrap(),
        ]
    }

    #[test]
    fn addresses_inside_allowed_cidrs_become_host_routes() {
        assert_eq!(
            check("203.0.113.10", &allowed()),
            Ok("203.0.113.10/32".parse().unwrap())
        );
        assert_eq!(
            check("2001:db8:100::10", &allowed()),
            Ok("2001:db8:100::10/128".parse().unwrap())
        );
    }

    #[test]
    fn addresses_outside_allowed_cidrs_are_refused() {
        assert_eq!(
            check("8.8.8.8", &allowed()),
            Err(AddressRefusal::OutsideAllowedCidrs)
        );
        assert_eq!(
            check("2001:db8:101::1", &allowed()),
            Err(AddressRefusal::OutsideAllowedCidrs)
        );
    }

    #[test]
    fn empty_allowed_cidrs_announce_nothing() {
        assert_eq!(
            check("203.0.113.10", &[]),
            Err(AddressRefusal::OutsideAllowedCidrs)
        );
    }

    #[test]
    fn unparsable_and_ambiguous_spellings_are_refused() {
        assert_eq!(
            check("not-an-ip", &allowed()),
            Err(AddressRefusal::Unparsable)
        );
        assert_eq!(
            check("203.0.113.010", &allowed()),
            Err(AddressRefusal::Unparsable)
        );
        assert_eq!(
            check("203.0.113.0/24", &allowed()),
            Err(AddressRefusal::Unparsable)
        );
    }

    #[test]
    fn special_ranges_are_refused_even_when_allowed() {
        let everything: Vec<IpNet> = vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()];
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "169.254.1.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "ff02::1",
            "fec0::1",
            "::ffff:203.0.113.1",
            "::203.0.113.1",
        ] {
            assert!(
                matches!(check(ip, &everything), Err(AddressRefusal::SpecialRange(_))),
                "{ip} must be refused as special"
            );
        }
        assert!(check("203.0.113.1", &everything).is_ok());
        assert!(check("2001:db8::1", &everything).is_ok());
    }
}
