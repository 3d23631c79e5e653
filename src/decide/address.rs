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
mod tests;
