//! Prefixes as the NLRI and Withdrawn Routes fields (RFC 4271 section 4.3) and the
//! MP_REACH_NLRI / MP_UNREACH_NLRI attributes (RFC 4760 section 5) carry them: one
//! length octet counting bits, then the fewest whole octets holding that many bits.
//!
//! Host bits: RFC 4271 section 4.3 says "the value of trailing bits is irrelevant". The
//! decoder accepts any value there and clears them, so `10.0.0.1/24` on the wire reads as
//! `10.0.0.0/24`; the encoder never sends them. Prefixes are therefore always in
//! canonical form once decoded.

use bytes::{BufMut, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net, PrefixLenError};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The encoded size of one prefix in an NLRI or Withdrawn Routes field, or inside
/// MP_REACH_NLRI / MP_UNREACH_NLRI: `1 + ceil(prefix_len / 8)` octets (5 for a /32,
/// 17 for a /128).
pub fn nlri_len(prefix: &IpNet) -> usize {
    1 + usize::from(prefix.prefix_len()).div_ceil(8)
}

/// Appends `prefix` in NLRI form. Host bits beyond the length are never sent.
pub(crate) fn encode_prefix(prefix: &IpNet, out: &mut BytesMut) {
    let len = prefix.prefix_len();
    let octets = usize::from(len).div_ceil(8);
    out.put_u8(len);
    match prefix.trunc() {
        IpNet::V4(p) => out.put_slice(&p.addr().octets()[..octets]),
        IpNet::V6(p) => out.put_slice(&p.addr().octets()[..octets]),
    }
}

/// Why a prefix field could not be parsed (RFC 7606 section 5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PrefixError {
    /// A length octet above the family's maximum (32 or 128).
    LengthTooLong,
    /// A length octet announcing more address octets than remain in the field.
    Truncated,
}

impl PrefixError {
    /// A short explanation for logs.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            PrefixError::LengthTooLong => "prefix length exceeds the address width",
            PrefixError::Truncated => "prefix overruns the end of its field",
        }
    }
}

/// Splits a field of `N`-octet addresses into prefixes, each made by `prefix` from its
/// address octets and length.
fn decode_field<const N: usize, P>(
    mut field: &[u8],
    prefix: impl Fn([u8; N], u8) -> Result<P, PrefixLenError>,
) -> Result<Vec<P>, PrefixError> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = field.split_first() {
        if usize::from(len) > N * 8 {
            return Err(PrefixError::LengthTooLong);
        }
        let octets = usize::from(len).div_ceil(8);
        if octets > rest.len() {
            return Err(PrefixError::Truncated);
        }
        let mut addr = [0u8; N];
        addr[..octets].copy_from_slice(&rest[..octets]);
        out.push(prefix(addr, len).map_err(|_| PrefixError::LengthTooLong)?);
        field = &rest[octets..];
    }
    Ok(out)
}

/// Decodes a field of IPv4 prefixes (classic NLRI, Withdrawn Routes, or AFI 1 inside the
/// MP attributes), clearing host bits.
pub(crate) fn decode_v4(field: &[u8]) -> Result<Vec<Ipv4Net>, PrefixError> {
    decode_field(field, |addr: [u8; 4], len| {
        Ipv4Net::new(Ipv4Addr::from(addr), len).map(|p| p.trunc())
    })
}

/// Decodes a field of IPv6 prefixes (AFI 2 inside the MP attributes), clearing host bits.
pub(crate) fn decode_v6(field: &[u8]) -> Result<Vec<Ipv6Net>, PrefixError> {
    decode_field(field, |addr: [u8; 16], len| {
        Ipv6Net::new(Ipv6Addr::from(addr), len).map(|p| p.trunc())
    })
}

#[cfg(test)]
mod tests;
