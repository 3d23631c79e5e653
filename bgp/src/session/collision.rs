//! Connection collision resolution (RFC 4271 section 6.8, RFC 6286 section 2.3).

use super::Direction;
use crate::types::{Asn, RouterId};

/// Which of two connections to the same peer survives: the one initiated by the speaker
/// with the higher BGP Identifier, compared as unsigned integers (RFC 4271 6.8). When the
/// identifiers are equal (allowed between ASes by RFC 6286), the one initiated by the
/// speaker with the larger ASN survives (RFC 6286 section 2.3). If both are equal too the
/// session is iBGP with a duplicate identifier, which OPEN validation refuses earlier;
/// the inbound connection is kept then, an arbitrary but stable choice.
pub fn survivor(local_id: RouterId, local_asn: Asn, peer_id: RouterId, peer_asn: Asn) -> Direction {
    let local = (local_id.as_u32(), local_asn.0);
    let peer = (peer_id.as_u32(), peer_asn.0);
    if local > peer {
        // We have the higher identifier: the connection we initiated wins.
        Direction::Outbound
    } else {
        Direction::Inbound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn id(a: u8, b: u8, c: u8, d: u8) -> RouterId {
        RouterId::new(Ipv4Addr::new(a, b, c, d)).unwrap()
    }

    #[test]
    fn higher_local_identifier_keeps_outbound() {
        assert_eq!(
            survivor(id(10, 0, 0, 2), Asn(1), id(10, 0, 0, 1), Asn(1)),
            Direction::Outbound
        );
    }

    #[test]
    fn higher_peer_identifier_keeps_inbound() {
        assert_eq!(
            survivor(id(10, 0, 0, 1), Asn(1), id(10, 0, 0, 2), Asn(1)),
            Direction::Inbound
        );
    }

    #[test]
    fn identifiers_compare_as_unsigned_integers_not_octet_strings_of_signed_values() {
        // 128.0.0.0 is negative as i32; as u32 it is larger than 127.255.255.255.
        assert_eq!(
            survivor(id(128, 0, 0, 0), Asn(1), id(127, 255, 255, 255), Asn(1)),
            Direction::Outbound
        );
    }

    #[test]
    fn equal_identifiers_fall_back_to_larger_asn() {
        assert_eq!(
            survivor(id(1, 1, 1, 1), Asn(65002), id(1, 1, 1, 1), Asn(65001)),
            Direction::Outbound
        );
        assert_eq!(
            survivor(id(1, 1, 1, 1), Asn(65001), id(1, 1, 1, 1), Asn(65002)),
            Direction::Inbound
        );
    }
}
