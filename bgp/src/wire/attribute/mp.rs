//! MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760 sections 3 and 4) for IPv4 and IPv6
//! unicast.
//!
//! Next hops: IPv6 routes carry a 16-octet global address, or 32 octets with a link-local
//! address after it (RFC 2545 section 3). IPv4 routes carry a 4-octet address, or an IPv6
//! one in the same two forms (RFC 8950 section 3). Any other next-hop length makes the
//! NLRI impossible to locate, which RFC 7606 section 7.11 answers with a session reset.
//! A 16-octet next hop is taken as the global address whatever its scope: some speakers
//! send a lone link-local address there.
//!
//! Families: an AFI/SAFI this crate does not speak is not an error here. The session
//! layer knows what was negotiated; this layer only cannot parse the NLRI of other
//! families, so the attribute is kept as raw bytes (see [`super::decode`]) and takes no
//! part in the UPDATE's meaning. An IPv6 MP_REACH_NLRI on a session that negotiated only
//! IPv4 is decoded as usual (RFC 4760 section 6 leaves the reaction to the receiver).

use super::{MpReach, MpUnreach, NextHop};
use crate::types::{Afi, Family, Safi};
use crate::wire::error::EncodeError;
use crate::wire::update::nlri::{self, nlri_len};
use bytes::{BufMut, BytesMut};
use ipnet::IpNet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why an MP attribute is malformed, for logs.
pub type Malformed = &'static str;

fn family_of(afi: u16, safi: u8) -> Option<Family> {
    Family::from_afi_safi(Afi::from(afi), Safi::from(safi))
}

fn prefixes(family: Family, field: &[u8]) -> Result<Vec<IpNet>, Malformed> {
    match family {
        Family::Ipv4Unicast => nlri::decode_v4(field)
            .map(|v| v.into_iter().map(IpNet::V4).collect())
            .map_err(|e| e.reason()),
        Family::Ipv6Unicast => nlri::decode_v6(field)
            .map(|v| v.into_iter().map(IpNet::V6).collect())
            .map_err(|e| e.reason()),
    }
}

fn next_hop(family: Family, bytes: &[u8]) -> Result<NextHop, Malformed> {
    let v6 = |b: &[u8]| <[u8; 16]>::try_from(b).map(Ipv6Addr::from).ok();
    match (family, bytes.len()) {
        (Family::Ipv4Unicast, 4) => <[u8; 4]>::try_from(bytes)
            .map(|a| NextHop::V4(Ipv4Addr::from(a)))
            .map_err(|_| "bad next hop"),
        (_, 16) => v6(bytes)
            .map(|global| NextHop::V6 {
                global,
                link_local: None,
            })
            .ok_or("bad next hop"),
        (_, 32) => match (v6(&bytes[..16]), v6(&bytes[16..])) {
            (Some(global), Some(ll)) => Ok(NextHop::V6 {
                global,
                link_local: Some(ll),
            }),
            _ => Err("bad next hop"),
        },
        _ => Err("MP_REACH_NLRI next hop length does not match its AFI"),
    }
}

/// Decodes an MP_REACH_NLRI value. `Ok(None)`: a family this crate does not speak.
pub fn decode_reach(value: &[u8]) -> Result<Option<MpReach>, Malformed> {
    let [a0, a1, safi, nh_len, rest @ ..] = value else {
        return Err("MP_REACH_NLRI shorter than its fixed fields");
    };
    let Some(family) = family_of(u16::from_be_bytes([*a0, *a1]), *safi) else {
        return Ok(None);
    };
    let nh_len = usize::from(*nh_len);
    // The next hop and the reserved octet must both fit before the NLRI.
    if nh_len >= rest.len() {
        return Err("MP_REACH_NLRI next hop overruns the attribute");
    }
    let next_hop = next_hop(family, &rest[..nh_len])?;
    // rest[nh_len] is the Reserved octet: "MUST be ignored upon receipt" (RFC 4760 section 3).
    let nlri = prefixes(family, &rest[nh_len + 1..])?;
    Ok(Some(MpReach {
        family,
        next_hop,
        nlri,
    }))
}

/// Decodes an MP_UNREACH_NLRI value. `Ok(None)`: a family this crate does not speak.
pub fn decode_unreach(value: &[u8]) -> Result<Option<MpUnreach>, Malformed> {
    let [a0, a1, safi, rest @ ..] = value else {
        return Err("MP_UNREACH_NLRI shorter than its fixed fields");
    };
    let Some(family) = family_of(u16::from_be_bytes([*a0, *a1]), *safi) else {
        return Ok(None);
    };
    Ok(Some(MpUnreach {
        family,
        withdrawn: prefixes(family, rest)?,
    }))
}

fn next_hop_len(nh: &NextHop) -> usize {
    match nh {
        NextHop::V4(_) => 4,
        NextHop::V6 {
            link_local: None, ..
        } => 16,
        NextHop::V6 {
            link_local: Some(_),
            ..
        } => 32,
    }
}

/// Encoded value length of an MP_REACH_NLRI.
pub fn reach_value_len(reach: &MpReach) -> usize {
    5 + next_hop_len(&reach.next_hop) + reach.nlri.iter().map(nlri_len).sum::<usize>()
}

/// Encoded value length of an MP_UNREACH_NLRI.
pub fn unreach_value_len(unreach: &MpUnreach) -> usize {
    3 + unreach.withdrawn.iter().map(nlri_len).sum::<usize>()
}

fn check_prefixes(family: Family, prefixes: &[IpNet]) -> Result<(), EncodeError> {
    if prefixes.iter().all(|p| Family::of(p) == family) {
        Ok(())
    } else {
        Err(EncodeError::Inconsistent(
            "prefix of another family in an MP attribute",
        ))
    }
}

/// Refuses what would not decode as built: prefixes of another family, or an IPv4 next
/// hop for IPv6 routes.
pub fn check_reach(reach: &MpReach) -> Result<(), EncodeError> {
    if reach.family == Family::Ipv6Unicast && matches!(reach.next_hop, NextHop::V4(_)) {
        return Err(EncodeError::Inconsistent("IPv4 next hop for IPv6 routes"));
    }
    check_prefixes(reach.family, &reach.nlri)
}

/// See [`check_reach`].
pub fn check_unreach(unreach: &MpUnreach) -> Result<(), EncodeError> {
    check_prefixes(unreach.family, &unreach.withdrawn)
}

fn put_family(family: Family, out: &mut BytesMut) {
    out.put_u16(u16::from(family.afi()));
    out.put_u8(u8::from(family.safi()));
}

/// Appends an MP_REACH_NLRI value of [`reach_value_len`] octets.
pub fn write_reach(reach: &MpReach, out: &mut BytesMut) {
    put_family(reach.family, out);
    // At most 32, see next_hop_len.
    out.put_u8(next_hop_len(&reach.next_hop) as u8);
    match reach.next_hop {
        NextHop::V4(a) => out.put_slice(&a.octets()),
        NextHop::V6 { global, link_local } => {
            out.put_slice(&global.octets());
            if let Some(ll) = link_local {
                out.put_slice(&ll.octets());
            }
        }
    }
    out.put_u8(0);
    for p in &reach.nlri {
        nlri::encode_prefix(p, out);
    }
}

/// Appends an MP_UNREACH_NLRI value of [`unreach_value_len`] octets.
pub fn write_unreach(unreach: &MpUnreach, out: &mut BytesMut) {
    put_family(unreach.family, out);
    for p in &unreach.withdrawn {
        nlri::encode_prefix(p, out);
    }
}
