//! Prefixes as the NLRI and Withdrawn Routes fields (RFC 4271 section 4.3) and the
//! MP_REACH_NLRI / MP_UNREACH_NLRI attributes (RFC 4760 section 5) carry them: one
//! length octet counting bits, then the fewest whole octets holding that many bits.
//!
//! Host bits: RFC 4271 section 4.3 says "the value of trailing bits is irrelevant". The
//! decoder accepts any value there and clears them, so `10.0.0.1/24` on the wire reads as
//! `10.0.0.0/24`; the encoder never sends them. Prefixes are therefore always in
//! canonical form once decoded.

use bytes::{BufMut, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
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

/// Splits a field of `N`-octet addresses into (address octets, prefix length) pairs.
fn decode_field<const N: usize>(mut field: &[u8]) -> Result<Vec<([u8; N], u8)>, PrefixError> {
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
        out.push((addr, len));
        field = &rest[octets..];
    }
    Ok(out)
}

/// Decodes a field of IPv4 prefixes (classic NLRI, Withdrawn Routes, or AFI 1 inside the
/// MP attributes), clearing host bits.
pub(crate) fn decode_v4(field: &[u8]) -> Result<Vec<Ipv4Net>, PrefixError> {
    decode_field::<4>(field)?
        .into_iter()
        .map(|(addr, len)| {
            Ipv4Net::new(Ipv4Addr::from(addr), len)
                .map(|p| p.trunc())
                .map_err(|_| PrefixError::LengthTooLong)
        })
        .collect()
}

/// Decodes a field of IPv6 prefixes (AFI 2 inside the MP attributes), clearing host bits.
pub(crate) fn decode_v6(field: &[u8]) -> Result<Vec<Ipv6Net>, PrefixError> {
    decode_field::<16>(field)?
        .into_iter()
        .map(|(addr, len)| {
            Ipv6Net::new(Ipv6Addr::from(addr), len)
                .map(|p| p.trunc())
                .map_err(|_| PrefixError::LengthTooLong)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn nlri_len_is_one_plus_octets_needed() {
        assert_eq!(nlri_len(&"0.0.0.0/0".parse().unwrap()), 1);
        assert_eq!(nlri_len(&"10.0.0.0/8".parse().unwrap()), 2);
        assert_eq!(nlri_len(&"10.0.0.0/9".parse().unwrap()), 3);
        assert_eq!(nlri_len(&"10.0.0.1/32".parse().unwrap()), 5);
        assert_eq!(nlri_len(&"2001:db8::/32".parse().unwrap()), 5);
        assert_eq!(nlri_len(&"2001:db8::1/128".parse().unwrap()), 17);
    }

    #[test]
    fn prefixes_encode_to_length_and_significant_octets() {
        let mut out = BytesMut::new();
        for p in [
            "10.0.0.0/8",
            "192.168.1.128/25",
            "0.0.0.0/0",
            "2001:db8::/33",
        ] {
            encode_prefix(&p.parse().unwrap(), &mut out);
        }
        assert_eq!(
            &out[..],
            &[
                8, 10, 25, 192, 168, 1, 128, 0, 33, 0x20, 0x01, 0x0d, 0xb8, 0x00
            ][..]
        );
    }

    #[test]
    fn host_bits_are_cleared_on_decode_and_never_encoded() {
        // 10.0.0.255/24 sent with host bits in the last octet is not possible (only 3
        // octets travel), but /25 carries 1 host-significant bit pattern in its 4th octet.
        assert_eq!(
            decode_v4(&[25, 10, 0, 0, 0xff]).unwrap(),
            vec![v4("10.0.0.128/25")]
        );
        let mut out = BytesMut::new();
        encode_prefix(&"10.0.0.255/25".parse().unwrap(), &mut out);
        assert_eq!(&out[..], &[25, 10, 0, 0, 0x80]);
    }

    #[test]
    fn ipv4_prefix_longer_than_32_is_rejected() {
        assert_eq!(
            decode_v4(&[33, 1, 2, 3, 4, 5]),
            Err(PrefixError::LengthTooLong)
        );
    }

    #[test]
    fn ipv6_prefix_longer_than_128_is_rejected() {
        let mut field = vec![129];
        field.extend_from_slice(&[0; 17]);
        assert_eq!(decode_v6(&field), Err(PrefixError::LengthTooLong));
    }

    #[test]
    fn prefix_overrunning_its_field_is_rejected() {
        assert_eq!(decode_v4(&[24, 10, 0]), Err(PrefixError::Truncated));
        assert_eq!(decode_v6(&[64, 0x20, 0x01]), Err(PrefixError::Truncated));
    }

    #[test]
    fn empty_field_has_no_prefixes() {
        assert_eq!(decode_v4(&[]).unwrap(), vec![]);
    }
}
