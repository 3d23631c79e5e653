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
mod tests;
