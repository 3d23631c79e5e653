//! EXTENDED COMMUNITIES (RFC 4360, attribute type 16): a list of 8-octet values, each a
//! Type octet (two high bits: IANA authority and transitivity), a Sub-Type octet for the
//! "regular" types, and six octets of value.
//!
//! One kind is typed here, the link bandwidth community of
//! draft-ietf-idr-link-bandwidth (section 2): Type 0x40 (two-octet AS specific,
//! non-transitive) or 0x00 (the same, transitive), Sub-Type 0x04, then the 2-octet
//! Global Administrator (an AS number) and the bandwidth as an IEEE-754 single precision
//! float in bytes per second. Routers use it to weight their ECMP next hops ("UCMP").
//! Every other extended community is kept as its eight octets and sent back unchanged.

use super::values::Malformed;
use bytes::{BufMut, BytesMut};

/// The Type octet's bit that marks a community non-transitive across ASes (RFC 4360
/// section 2: "T - Transitive bit. Value 0: The community is transitive across ASes").
const NON_TRANSITIVE_BIT: u8 = 0x40;
/// Type: Transitive Two-Octet AS-Specific Extended Community (RFC 4360 section 3.1).
const TWO_OCTET_AS_TRANSITIVE: u8 = 0x00;
/// Type: Non-Transitive Two-Octet AS-Specific Extended Community (RFC 4360 section 3.1).
const TWO_OCTET_AS_NON_TRANSITIVE: u8 = TWO_OCTET_AS_TRANSITIVE | NON_TRANSITIVE_BIT;
/// Sub-Type of the link bandwidth community (draft-ietf-idr-link-bandwidth section 2).
const LINK_BANDWIDTH_SUBTYPE: u8 = 0x04;

/// A link bandwidth extended community (draft-ietf-idr-link-bandwidth).
///
/// The bandwidth is kept as the bits of the IEEE-754 float it is on the wire, so the
/// value is exact, can be compared and hashed (route attributes are grouped by equality
/// to share UPDATEs), and survives a decode/encode round trip even for a NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkBandwidth {
    /// Sent with Type 0x00 (transitive) rather than 0x40 (non-transitive).
    pub transitive: bool,
    /// The Global Administrator: a 2-octet AS number (AS_TRANS for a 4-octet one).
    pub asn: u16,
    /// IEEE-754 single precision bits of the bandwidth in bytes per second.
    bandwidth_bits: u32,
}

impl LinkBandwidth {
    /// A link bandwidth of `bytes_per_second` (rounded to the nearest `f32`, the wire
    /// format's precision).
    pub fn new(asn: u16, bytes_per_second: f32, transitive: bool) -> LinkBandwidth {
        LinkBandwidth {
            transitive,
            asn,
            bandwidth_bits: bytes_per_second.to_bits(),
        }
    }

    /// The bandwidth in bytes per second, as sent.
    pub fn bytes_per_second(&self) -> f32 {
        f32::from_bits(self.bandwidth_bits)
    }
}

/// One extended community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExtendedCommunity {
    /// Link bandwidth (draft-ietf-idr-link-bandwidth).
    LinkBandwidth(LinkBandwidth),
    /// Any other, as its eight octets.
    Opaque([u8; 8]),
}

impl ExtendedCommunity {
    /// Reads one 8-octet community.
    pub fn from_bytes(octets: [u8; 8]) -> ExtendedCommunity {
        match octets {
            [
                kind @ (TWO_OCTET_AS_TRANSITIVE | TWO_OCTET_AS_NON_TRANSITIVE),
                LINK_BANDWIDTH_SUBTYPE,
                a0,
                a1,
                b0,
                b1,
                b2,
                b3,
            ] => ExtendedCommunity::LinkBandwidth(LinkBandwidth {
                transitive: kind == TWO_OCTET_AS_TRANSITIVE,
                asn: u16::from_be_bytes([a0, a1]),
                bandwidth_bits: u32::from_be_bytes([b0, b1, b2, b3]),
            }),
            other => ExtendedCommunity::Opaque(other),
        }
    }

    /// Its eight octets on the wire.
    pub fn to_bytes(&self) -> [u8; 8] {
        match self {
            ExtendedCommunity::LinkBandwidth(lb) => {
                let kind = if lb.transitive {
                    TWO_OCTET_AS_TRANSITIVE
                } else {
                    TWO_OCTET_AS_NON_TRANSITIVE
                };
                let [a0, a1] = lb.asn.to_be_bytes();
                let [b0, b1, b2, b3] = lb.bandwidth_bits.to_be_bytes();
                [kind, LINK_BANDWIDTH_SUBTYPE, a0, a1, b0, b1, b2, b3]
            }
            ExtendedCommunity::Opaque(octets) => *octets,
        }
    }

    /// The link bandwidth, when it is one.
    pub fn link_bandwidth(&self) -> Option<LinkBandwidth> {
        match self {
            ExtendedCommunity::LinkBandwidth(lb) => Some(*lb),
            ExtendedCommunity::Opaque(_) => None,
        }
    }
}

/// EXTENDED COMMUNITIES: a non-zero multiple of 8 octets (RFC 7606 section 7.14 makes
/// any other length treat-as-withdraw; the caller applies that).
pub fn decode(value: &[u8]) -> Result<Vec<ExtendedCommunity>, Malformed> {
    if value.is_empty() || !value.len().is_multiple_of(8) {
        return Err("EXTENDED COMMUNITIES length is not a non-zero multiple of 8");
    }
    Ok(value
        .chunks_exact(8)
        .filter_map(|c| <[u8; 8]>::try_from(c).ok())
        .map(ExtendedCommunity::from_bytes)
        .collect())
}

/// Writes the value of EXTENDED COMMUNITIES.
pub fn write(communities: &[ExtendedCommunity], out: &mut BytesMut) {
    for c in communities {
        out.put_slice(&c.to_bytes());
    }
}

#[cfg(test)]
mod tests;
