//! Exact encoded sizes of UPDATE parts, so packing can fill a message without encoding it.
//!
//! These follow RFC 4271 section 4.3 (UPDATE layout, path attribute header), RFC 4760
//! sections 3 and 4 (MP_REACH_NLRI / MP_UNREACH_NLRI) and RFC 6793 section 4.2.2 (AS_PATH
//! with AS_TRANS plus AS4_PATH towards 2-octet peers). An attribute uses the 2-octet
//! Extended Length form only when its value is longer than 255 octets.

use crate::wire::{AsPath, AsPathSegment, HEADER_LEN, NextHop, PathAttributes, SessionContext};
use ipnet::IpNet;

/// Header, Withdrawn Routes Length and Total Path Attribute Length: the octets of an
/// UPDATE that carries nothing (RFC 4271 section 4.3).
pub(super) const EMPTY_UPDATE_LEN: usize = HEADER_LEN + 2 + 2;

/// AFI (2) + SAFI (1) of MP_REACH_NLRI and MP_UNREACH_NLRI.
const AFI_SAFI_LEN: usize = 3;

/// One prefix in NLRI or Withdrawn Routes form: a length octet, then as few octets as
/// hold the prefix bits (RFC 4271 section 4.3).
pub(super) fn prefix_len(prefix: &IpNet) -> usize {
    1 + usize::from(prefix.prefix_len()).div_ceil(8)
}

/// A whole path attribute with a value of `value_len` octets: flags, type code, a length
/// of one octet, or two with the Extended Length bit (RFC 4271 section 4.3).
pub(super) fn attribute_len(value_len: usize) -> usize {
    let length_field = if value_len > 255 { 2 } else { 1 };
    2 + length_field + value_len
}

/// MP_REACH_NLRI carrying `next_hop` and `nlri_len` octets of prefixes (RFC 4760 section 3):
/// AFI, SAFI, next hop length, next hop, one reserved octet, NLRI.
pub(super) fn mp_reach_len(next_hop: &NextHop, nlri_len: usize) -> usize {
    attribute_len(AFI_SAFI_LEN + 1 + next_hop_len(next_hop) + 1 + nlri_len)
}

/// MP_UNREACH_NLRI carrying `withdrawn_len` octets of prefixes (RFC 4760 section 4).
pub(super) fn mp_unreach_len(withdrawn_len: usize) -> usize {
    attribute_len(AFI_SAFI_LEN + withdrawn_len)
}

/// The next hop field: 4 octets for IPv4, 16 for an IPv6 global address, 32 with the
/// link-local one as well (RFC 2545 section 3).
fn next_hop_len(next_hop: &NextHop) -> usize {
    match next_hop {
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

/// All path attributes of an UPDATE, as the wire encoder writes them for `ctx`.
pub(super) fn path_attributes_len(attrs: &PathAttributes, ctx: &SessionContext) -> usize {
    let fixed_4 = attribute_len(4);
    let mut len = 0;
    if attrs.origin.is_some() {
        len += attribute_len(1);
    }
    if let Some(path) = &attrs.as_path {
        len += as_path_len(path, ctx);
    }
    if attrs.next_hop.is_some() {
        len += fixed_4;
    }
    if attrs.med.is_some() {
        len += fixed_4;
    }
    if attrs.local_pref.is_some() {
        len += fixed_4;
    }
    if attrs.atomic_aggregate {
        len += attribute_len(0);
    }
    if let Some(aggregator) = &attrs.aggregator {
        if ctx.four_octet_as {
            len += attribute_len(8);
        } else {
            // AGGREGATOR with a 2-octet ASN, plus AS4_AGGREGATOR when the ASN needs 4
            // octets (RFC 6793 section 4.2.2).
            len += attribute_len(6);
            if !aggregator.asn.is_two_octet() {
                len += attribute_len(8);
            }
        }
    }
    if !attrs.communities.is_empty() {
        len += attribute_len(4 * attrs.communities.len());
    }
    if attrs.originator_id.is_some() {
        len += fixed_4;
    }
    if !attrs.cluster_list.is_empty() {
        len += attribute_len(4 * attrs.cluster_list.len());
    }
    if let Some(reach) = &attrs.mp_reach {
        len += mp_reach_len(&reach.next_hop, reach.nlri.iter().map(prefix_len).sum());
    }
    if let Some(unreach) = &attrs.mp_unreach {
        len += mp_unreach_len(unreach.withdrawn.iter().map(prefix_len).sum());
    }
    if !attrs.large_communities.is_empty() {
        len += attribute_len(12 * attrs.large_communities.len());
    }
    len += attrs
        .unknown
        .iter()
        .map(|raw| attribute_len(raw.value.len()))
        .sum::<usize>();
    len
}

/// AS_PATH, and AS4_PATH on a 2-octet session whose path holds an ASN above 65535.
fn as_path_len(path: &AsPath, ctx: &SessionContext) -> usize {
    if ctx.four_octet_as {
        return attribute_len(segments_len(path, 4));
    }
    let mut len = attribute_len(segments_len(path, 2));
    let needs_as4_path = path
        .segments
        .iter()
        .flat_map(segment_asns)
        .any(|asn| !asn.is_two_octet());
    if needs_as4_path {
        len += attribute_len(segments_len(path, 4));
    }
    len
}

/// Segments of at most 255 ASNs each (the segment length is one octet), each with a
/// type and a length octet.
fn segments_len(path: &AsPath, asn_len: usize) -> usize {
    path.segments
        .iter()
        .map(|segment| {
            let count = segment_asns(segment).len();
            let pieces = count.div_ceil(255).max(1);
            2 * pieces + asn_len * count
        })
        .sum()
}

fn segment_asns(segment: &AsPathSegment) -> &[crate::types::Asn] {
    match segment {
        AsPathSegment::Set(asns)
        | AsPathSegment::Sequence(asns)
        | AsPathSegment::ConfedSequence(asns)
        | AsPathSegment::ConfedSet(asns) => asns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Asn;
    use crate::wire::Origin;

    #[test]
    fn prefix_takes_length_octet_and_whole_octets_of_bits() {
        let cases = [
            ("10.0.0.0/8", 2),
            ("10.0.0.0/9", 3),
            ("192.0.2.1/32", 5),
            ("0.0.0.0/0", 1),
            ("2001:db8::1/128", 17),
            ("2001:db8::/33", 6),
        ];
        for (text, want) in cases {
            let prefix: IpNet = text.parse().expect("valid prefix");
            assert_eq!(prefix_len(&prefix), want, "{text}");
        }
    }

    #[test]
    fn attribute_uses_extended_length_only_above_255_octets() {
        assert_eq!(attribute_len(255), 258);
        assert_eq!(attribute_len(256), 260);
    }

    #[test]
    fn two_octet_session_adds_as4_path_only_for_wide_asns() {
        let ctx_two = SessionContext {
            four_octet_as: false,
            ..SessionContext::default()
        };
        let path = |asn| AsPath {
            segments: vec![AsPathSegment::Sequence(vec![Asn(asn); 3])],
        };
        let attrs = |asn| PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(path(asn)),
            ..PathAttributes::default()
        };
        // ORIGIN 4 + AS_PATH 3 + (2 + 3 * 2).
        assert_eq!(path_attributes_len(&attrs(65000), &ctx_two), 4 + 3 + 8);
        // Plus AS4_PATH 3 + (2 + 3 * 4).
        assert_eq!(
            path_attributes_len(&attrs(4_200_000_000), &ctx_two),
            4 + 11 + 17
        );
        assert_eq!(
            path_attributes_len(&attrs(4_200_000_000), &SessionContext::default()),
            4 + 3 + 14
        );
    }

    #[test]
    fn long_segment_is_counted_as_pieces_of_255() {
        let path = AsPath {
            segments: vec![AsPathSegment::Sequence(vec![Asn(1); 256])],
        };
        // Two segment headers, 256 ASNs of 4 octets, extended length header.
        assert_eq!(
            as_path_len(&path, &SessionContext::default()),
            4 + 2 * 2 + 256 * 4
        );
    }
}
