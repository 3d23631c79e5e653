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

fn next_hop_len(next_hop: &NextHop) -> usize {
    next_hop.wire_len()
}

#[cfg(test)]
mod tests;
