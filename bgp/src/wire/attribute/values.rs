//! Value parsers and writers of the attributes with a fixed layout. Each parser takes the
//! attribute value (after the flags, type and length) and says why it is malformed; the
//! caller looks up what to do about it in the RFC 7606 table.

use super::{Aggregator, Community, LargeCommunity, Origin};
use crate::types::Asn;
use bytes::{BufMut, BytesMut};
use std::net::Ipv4Addr;

/// Why an attribute value is malformed, for logs.
pub type Malformed = &'static str;

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let chunk = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(chunk.try_into().ok()?))
}

/// ORIGIN: one octet, 0 to 2 (RFC 4271 section 5.1.1).
pub fn origin(value: &[u8]) -> Result<Origin, Malformed> {
    match value {
        [0] => Ok(Origin::Igp),
        [1] => Ok(Origin::Egp),
        [2] => Ok(Origin::Incomplete),
        [_] => Err("ORIGIN has an undefined value"),
        _ => Err("ORIGIN length is not 1"),
    }
}

/// The wire value of an ORIGIN.
pub fn origin_code(origin: Origin) -> u8 {
    match origin {
        Origin::Igp => 0,
        Origin::Egp => 1,
        Origin::Incomplete => 2,
    }
}

/// A 4-octet unsigned value: MULTI_EXIT_DISC, LOCAL_PREF.
pub fn u32_value(value: &[u8], what: Malformed) -> Result<u32, Malformed> {
    match value.len() {
        4 => u32_at(value, 0).ok_or(what),
        _ => Err(what),
    }
}

/// A 4-octet IPv4 address: NEXT_HOP, ORIGINATOR_ID.
pub fn ipv4_value(value: &[u8], what: Malformed) -> Result<Ipv4Addr, Malformed> {
    u32_value(value, what).map(Ipv4Addr::from)
}

/// ATOMIC_AGGREGATE: no value at all.
pub fn atomic_aggregate(value: &[u8]) -> Result<(), Malformed> {
    if value.is_empty() {
        Ok(())
    } else {
        Err("ATOMIC_AGGREGATE length is not 0")
    }
}

/// AGGREGATOR (6 octets with a 2-octet AS, 8 with a 4-octet AS) or AS4_AGGREGATOR
/// (always 8 octets, `four_octet` = true).
pub fn aggregator(value: &[u8], four_octet: bool) -> Result<Aggregator, Malformed> {
    match (four_octet, value) {
        (true, [a, b, c, d, address @ ..]) if address.len() == 4 => Ok(Aggregator {
            asn: Asn(u32::from_be_bytes([*a, *b, *c, *d])),
            address: ipv4_value(address, "")?,
        }),
        (false, [a, b, address @ ..]) if address.len() == 4 => Ok(Aggregator {
            asn: Asn(u32::from(u16::from_be_bytes([*a, *b]))),
            address: ipv4_value(address, "")?,
        }),
        (true, _) => Err("AGGREGATOR length is not 8 on a 4-octet AS session"),
        (false, _) => Err("AGGREGATOR length is not 6 on a 2-octet AS session"),
    }
}

/// The value of AGGREGATOR with an AS of `asn_octets` (2 or 4) octets.
pub fn write_aggregator(asn: u32, address: Ipv4Addr, four_octet: bool, out: &mut BytesMut) {
    if four_octet {
        out.put_u32(asn);
    } else {
        out.put_u16(Asn(asn).to_two_octet());
    }
    out.put_slice(&address.octets());
}

/// Splits a value into `N`-octet items; it must hold at least one and nothing left over.
fn items<const N: usize>(value: &[u8], what: Malformed) -> Result<Vec<[u8; N]>, Malformed> {
    if value.is_empty() || !value.len().is_multiple_of(N) {
        return Err(what);
    }
    Ok(value
        .chunks_exact(N)
        .filter_map(|c| <[u8; N]>::try_from(c).ok())
        .collect())
}

/// COMMUNITIES (RFC 1997): a non-zero multiple of 4 octets.
pub fn communities(value: &[u8]) -> Result<Vec<Community>, Malformed> {
    let items = items::<4>(value, "COMMUNITIES length is not a non-zero multiple of 4")?;
    Ok(items
        .into_iter()
        .map(|c| Community(u32::from_be_bytes(c)))
        .collect())
}

/// CLUSTER_LIST (RFC 4456): a non-zero multiple of 4 octets.
pub fn cluster_list(value: &[u8]) -> Result<Vec<Ipv4Addr>, Malformed> {
    let items = items::<4>(value, "CLUSTER_LIST length is not a non-zero multiple of 4")?;
    Ok(items.into_iter().map(Ipv4Addr::from).collect())
}

/// LARGE_COMMUNITY (RFC 8092): a non-zero multiple of 12 octets.
pub fn large_communities(value: &[u8]) -> Result<Vec<LargeCommunity>, Malformed> {
    let items = items::<12>(
        value,
        "LARGE_COMMUNITY length is not a non-zero multiple of 12",
    )?;
    Ok(items
        .into_iter()
        .filter_map(|c| {
            Some(LargeCommunity {
                global: u32_at(&c, 0)?,
                local1: u32_at(&c, 4)?,
                local2: u32_at(&c, 8)?,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests;
