//! Per-peer adjustment of a route's attributes (RFC 4271 section 5.1).
//!
//! Pure functions: the same route and policy always give the same attributes, so every
//! prefix sharing a [`RouteAttributes`] value can share one UPDATE.

use super::{ExportPolicy, RouteAttributes};
use crate::types::{Asn, Family};
use crate::wire::{AsPath, AsPathSegment, NextHop, PathAttributes};

/// LOCAL_PREF sent to iBGP peers when the route sets none. RFC 4271 section 5.1.5 makes the
/// attribute mandatory towards internal peers; 100 is the value routers assume by default.
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// The most ASNs one AS_PATH segment can hold: its length field is one octet.
const MAX_SEGMENT_ASNS: usize = 255;

/// The path attributes `attrs` are sent with to a peer under `policy`, without next hop
/// and NLRI (those depend on the family, see [`next_hop`]).
///
/// - eBGP: AS_PATH is our ASN, once plus `as_path_prepend` more times, as AS_SEQUENCE
///   (RFC 4271 section 5.1.2); LOCAL_PREF is not sent (section 5.1.5).
/// - iBGP: AS_PATH is empty (section 5.1.2: the route originates in our AS); LOCAL_PREF is
///   sent, by default [`DEFAULT_LOCAL_PREF`]. Prepending is an inter-AS tool and is not
///   applied towards internal peers.
/// - ORIGIN, MULTI_EXIT_DISC, COMMUNITIES, EXTENDED COMMUNITIES and LARGE_COMMUNITY are
///   sent as given (a non-transitive extended community still goes to an eBGP peer: its
///   Type says the peer must not pass it on to another AS, RFC 4360 section 2).
pub fn path_attributes(attrs: &RouteAttributes, policy: &ExportPolicy) -> PathAttributes {
    let (as_path, local_pref) = if policy.kind.is_external() {
        let count = 1 + usize::from(attrs.as_path_prepend);
        (sequence_of(policy.local_asn, count), None)
    } else {
        (
            AsPath::default(),
            Some(attrs.local_pref.unwrap_or(DEFAULT_LOCAL_PREF)),
        )
    };
    PathAttributes {
        origin: Some(attrs.origin),
        as_path: Some(as_path),
        med: attrs.med,
        local_pref,
        communities: attrs.communities.clone(),
        large_communities: attrs.large_communities.clone(),
        extended_communities: attrs.extended_communities.clone(),
        ..PathAttributes::default()
    }
}

/// The next hop routes of `family` go out with, or `None` when the policy has none for
/// that family and its routes are held back.
pub fn next_hop(family: Family, policy: &ExportPolicy) -> Option<NextHop> {
    match family {
        Family::Ipv4Unicast => policy.next_hops.v4.map(NextHop::V4),
        Family::Ipv6Unicast => policy.next_hops.v6.map(|global| NextHop::V6 {
            global,
            link_local: policy.next_hops.v6_link_local,
        }),
    }
}

/// `count` copies of `asn` as AS_SEQUENCE segments of at most 255 ASNs each.
fn sequence_of(asn: Asn, count: usize) -> AsPath {
    let mut segments = Vec::with_capacity(count.div_ceil(MAX_SEGMENT_ASNS));
    let mut left = count;
    while left > 0 {
        let take = left.min(MAX_SEGMENT_ASNS);
        segments.push(AsPathSegment::Sequence(vec![asn; take]));
        left -= take;
    }
    AsPath { segments }
}

#[cfg(test)]
mod tests;
