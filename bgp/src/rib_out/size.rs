//! Sizes of the MP_REACH_NLRI / MP_UNREACH_NLRI attributes while prefixes are added to
//! them, so packing can fill a message without encoding it.
//!
//! The rest of an UPDATE's size comes from the wire encoder itself
//! ([`PathAttributes::encoded_len`](crate::wire::PathAttributes::encoded_len) and
//! [`nlri_len`](crate::wire::nlri_len)), so the size computed is the size written.

use crate::wire::attribute::attribute_len;
use crate::wire::{HEADER_LEN, NextHop};

/// Header, Withdrawn Routes Length and Total Path Attribute Length: the octets of an
/// UPDATE that carries nothing (RFC 4271 section 4.3).
pub(super) const EMPTY_UPDATE_LEN: usize = HEADER_LEN + 2 + 2;

/// AFI (2) + SAFI (1) of MP_REACH_NLRI and MP_UNREACH_NLRI.
const AFI_SAFI_LEN: usize = 3;

/// MP_REACH_NLRI carrying `next_hop` and `nlri_len` octets of prefixes (RFC 4760 section 3):
/// AFI, SAFI, next hop length, next hop, one reserved octet, NLRI. The attribute header
/// grows by one octet once the value passes 255 octets.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Family;
    use crate::wire::{MpReach, MpUnreach, PathAttributes, SessionContext};
    use ipnet::IpNet;
    use std::net::Ipv6Addr;

    /// The incremental sizes agree with the encoder's on both sides of the Extended
    /// Length boundary.
    #[test]
    fn mp_sizes_match_the_encoder() {
        let ctx = SessionContext::default();
        for count in 0..40u32 {
            let nlri: Vec<IpNet> = (0..count)
                .map(|i| IpNet::new(Ipv6Addr::from(u128::from(i) << 64).into(), 64))
                .collect::<Result<_, _>>()
                .expect("valid prefixes");
            let nlri_len: usize = nlri.iter().map(crate::wire::nlri_len).sum();
            for link_local in [None, Some(Ipv6Addr::LOCALHOST)] {
                let next_hop = NextHop::V6 {
                    global: Ipv6Addr::LOCALHOST,
                    link_local,
                };
                let reach = PathAttributes {
                    mp_reach: Some(MpReach {
                        family: Family::Ipv6Unicast,
                        next_hop,
                        nlri: nlri.clone(),
                    }),
                    ..PathAttributes::default()
                };
                assert_eq!(reach.encoded_len(&ctx), mp_reach_len(&next_hop, nlri_len));
            }
            let unreach = PathAttributes {
                mp_unreach: Some(MpUnreach {
                    family: Family::Ipv6Unicast,
                    withdrawn: nlri.clone(),
                }),
                ..PathAttributes::default()
            };
            assert_eq!(unreach.encoded_len(&ctx), mp_unreach_len(nlri_len));
        }
    }
}
