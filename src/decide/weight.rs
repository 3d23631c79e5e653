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
mod tests;
