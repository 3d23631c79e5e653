//! Weighted anycast (SPEC 3 `announce.weighted`, SPEC 5 `kube-anycast.io/weight`): each
//! route carries a link bandwidth extended community (draft-ietf-idr-link-bandwidth)
//! proportional to this node's ready local endpoints of the Service(s) behind the
//! address, so a router that weights its ECMP next hops by it ("UCMP", FRR's
//! `bgp bestpath bandwidth`) gives a node with three pods three times the flows of a node
//! with one. A router that ignores the community keeps splitting flows equally.
//!
//! Choices:
//! - **Non-transitive** (Type 0x40): the value describes this node's capacity to the
//!   router in front of it, and means nothing further away; RFC 4360 section 2 keeps a
//!   non-transitive community from leaving the AS that receives it (FRR does not send it
//!   to an eBGP peer), so it does not leak into the rest of the fabric.
//!   `announce.weighted.transitive: true` sends Type 0x00 instead, for routers that only
//!   weight by a transitive one.
//! - **AS field**: the local ASN when it fits in two octets, else AS_TRANS (RFC 6793
//!   section 9), as FRR does: the draft's field has two octets, and routers read the
//!   bandwidth only.
//! - **No local ready endpoint** (announced by the terminating fallback, or
//!   `announce-from: cluster`): counted as one endpoint. A zero bandwidth makes some
//!   routers drop the path from the multipath set or fall back to plain ECMP for all.
//! - Weight is per Service and family, never per address: every address of a Service in
//!   one family shares one attribute set (and so one UPDATE).
//!
//! How often a change of the count reaches the wire is not decided here (this module is
//! pure and remembers nothing): see `daemon::weight_hold`.

use crate::annotations::WeightMode;
use crate::config::weighted::WeightedConfig;
use bgp::Asn;
use bgp::rib_out::RouteAttributes;
use bgp::wire::{ExtendedCommunity, LinkBandwidth};

/// Whether a Service is weighted: its `weight` annotation, else the config.
pub fn mode(config: &WeightedConfig, annotation: Option<WeightMode>) -> WeightMode {
    match annotation {
        Some(mode) => mode,
        None if config.enabled => WeightMode::Endpoints,
        None => WeightMode::Equal,
    }
}

/// The link bandwidth for `local_ready` endpoints, or `None` when the Service is not
/// weighted.
pub fn link_bandwidth(
    config: &WeightedConfig,
    annotation: Option<WeightMode>,
    local_asn: Asn,
    local_ready: u32,
) -> Option<ExtendedCommunity> {
    if mode(config, annotation) == WeightMode::Equal {
        return None;
    }
    let endpoints = f64::from(local_ready.max(1));
    let bytes = endpoints * config.bandwidth_per_endpoint.bytes_per_second();
    Some(ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
        local_asn.to_two_octet(),
        bytes as f32,
        config.transitive,
    )))
}

/// `base` with `community` as its link bandwidth (`base` itself, shared, when `None`).
pub fn with_link_bandwidth(
    base: &std::sync::Arc<RouteAttributes>,
    community: Option<ExtendedCommunity>,
) -> std::sync::Arc<RouteAttributes> {
    match community {
        None => base.clone(),
        Some(c) => {
            let mut attrs = (**base).clone();
            attrs
                .extended_communities
                .retain(|e| e.link_bandwidth().is_none());
            attrs.extended_communities.push(c);
            attrs.extended_communities.sort();
            std::sync::Arc::new(attrs)
        }
    }
}

/// The link bandwidth `attrs` carry, in bytes per second.
pub fn bytes_per_second(attrs: &RouteAttributes) -> Option<f32> {
    attrs
        .extended_communities
        .iter()
        .find_map(|c| c.link_bandwidth())
        .map(|lb| lb.bytes_per_second())
}

/// The link bandwidth of `attrs` for people: bits per second (`24Mbps`), the unit of
/// `announce.weighted.bandwidth_per_endpoint`, for `plan` and `status`.
pub fn display(attrs: &RouteAttributes) -> Option<String> {
    let bytes = bytes_per_second(attrs)?;
    let bits = (f64::from(bytes) * 8.0).round();
    Some(crate::config::weighted::BitsPerSecond(bits as u64).to_string())
}

/// The extended communities of an address shared by several Services (SPEC 4.6): the
/// others united, and one link bandwidth, the sum of theirs, since the node's endpoints
/// of every one of those Services answer on the address. A Service without one (its
/// `weight: equal`) adds nothing.
pub fn merge(a: &[ExtendedCommunity], b: &[ExtendedCommunity]) -> Vec<ExtendedCommunity> {
    let mut out: Vec<ExtendedCommunity> = a
        .iter()
        .chain(b)
        .filter(|c| c.link_bandwidth().is_none())
        .copied()
        .collect();
    let bandwidths: Vec<LinkBandwidth> = a
        .iter()
        .chain(b)
        .filter_map(|c| c.link_bandwidth())
        .collect();
    if let Some(first) = bandwidths.first() {
        let sum: f32 = bandwidths.iter().map(|lb| lb.bytes_per_second()).sum();
        out.push(ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
            first.asn,
            sum,
            first.transitive,
        )));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::weighted::BitsPerSecond;

    fn enabled(bits: u64) -> WeightedConfig {
        WeightedConfig {
            enabled: true,
            bandwidth_per_endpoint: BitsPerSecond(bits),
            transitive: false,
        }
    }

    fn bandwidth(c: Option<ExtendedCommunity>) -> Option<f32> {
        c.and_then(|c| c.link_bandwidth())
            .map(|lb| lb.bytes_per_second())
    }

    #[test]
    fn bandwidth_is_endpoints_times_bandwidth_per_endpoint_in_bytes() {
        let c = link_bandwidth(&enabled(8_000_000), None, Asn(65001), 3);
        assert_eq!(bandwidth(c), Some(3_000_000.0));
        let lb = c.unwrap().link_bandwidth().unwrap();
        assert!(!lb.transitive, "non-transitive: meaningful to the ToR only");
        assert_eq!(lb.asn, 65001);
    }

    #[test]
    fn transitive_is_a_choice() {
        let config = WeightedConfig {
            transitive: true,
            ..enabled(8)
        };
        let c = link_bandwidth(&config, None, Asn(65001), 1);
        assert!(c.unwrap().link_bandwidth().unwrap().transitive);
    }

    #[test]
    fn a_four_octet_asn_is_sent_as_as_trans() {
        let c = link_bandwidth(&enabled(8), None, Asn(4_200_000_001), 1);
        assert_eq!(c.unwrap().link_bandwidth().unwrap().asn, 23456);
    }

    #[test]
    fn no_community_when_weighting_is_off_or_equal() {
        let off = WeightedConfig::default();
        assert_eq!(link_bandwidth(&off, None, Asn(65001), 3), None);
        assert_eq!(
            link_bandwidth(&enabled(8), Some(WeightMode::Equal), Asn(65001), 3),
            None
        );
    }

    #[test]
    fn the_annotation_turns_weighting_on_for_one_service() {
        let off = WeightedConfig::default();
        let c = link_bandwidth(&off, Some(WeightMode::Endpoints), Asn(65001), 2);
        // The default 1Mbps per endpoint: 2 x 125,000 bytes/s.
        assert_eq!(bandwidth(c), Some(250_000.0));
    }

    #[test]
    fn no_local_ready_endpoint_counts_as_one() {
        let zero = link_bandwidth(&enabled(8_000), None, Asn(65001), 0);
        let one = link_bandwidth(&enabled(8_000), None, Asn(65001), 1);
        assert_eq!(zero, one);
        assert_eq!(bandwidth(zero), Some(1_000.0));
    }

    #[test]
    fn a_shared_address_carries_the_sum_of_its_services_bandwidths() {
        let one = link_bandwidth(&enabled(8), None, Asn(65001), 1).unwrap();
        let two = link_bandwidth(&enabled(8), None, Asn(65001), 2).unwrap();
        let route_target = ExtendedCommunity::Opaque([0, 2, 0, 1, 0, 0, 0, 9]);
        let merged = merge(&[one, route_target], &[two]);
        assert_eq!(merged.len(), 2);
        assert!(merged.contains(&route_target));
        let lb = merged.iter().find_map(|c| c.link_bandwidth()).unwrap();
        assert_eq!(lb.bytes_per_second(), 3.0);
        assert_eq!(merge(&[route_target], &[]), vec![route_target]);
    }

    #[test]
    fn with_link_bandwidth_shares_the_base_when_unweighted() {
        let base = std::sync::Arc::new(RouteAttributes::default());
        assert!(std::sync::Arc::ptr_eq(
            &with_link_bandwidth(&base, None),
            &base
        ));
        let c = link_bandwidth(&enabled(8), None, Asn(65001), 4);
        let weighted = with_link_bandwidth(&base, c);
        assert_eq!(bytes_per_second(&weighted), Some(4.0));
        assert_eq!(display(&weighted).as_deref(), Some("32bps"));
        assert_eq!(display(&base), None);
    }
}
