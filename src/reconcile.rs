//! From the decision to each peer: which peers this node has (their `node_selector`
//! against its labels), which routes each peer gets (the `peers` annotation), and the
//! changes for the addresses whose route changed. Pure; the daemon hands the result to the
//! BGP driver, whose Adj-RIB-Out is the one record of what each peer was sent: a change
//! that does not differ from it sends nothing.

use crate::config::PeerConfig;
use crate::decide::RouteTemplate;
use bgp::driver::RouteChange;
use bgp::rib_out::{RouteAttributes, RouteSet};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// True when this node should peer with `peer`: every `node_selector` label matches.
pub fn peer_selected(peer: &PeerConfig, node_labels: &BTreeMap<String, String>) -> bool {
    peer.node_selector
        .iter()
        .all(|(k, v)| node_labels.get(k) == Some(v))
}

/// What `peer` should have for one address: the route's attributes if it goes to `peer`.
/// The attributes are the decision's own shared copy.
pub fn wanted_for(route: Option<&RouteTemplate>, peer: &str) -> Option<Arc<RouteAttributes>> {
    route
        .filter(|r| r.peers.includes(peer))
        .map(|r| r.attributes.clone())
}

/// Every route `peer` should have, as the compact set a peer takes whole. `at_most` sizes
/// it once: at 100,000 routes its doubling steps would be part of the start's peak.
pub fn routes_for_peer<'a>(
    routes: impl Iterator<Item = (IpNet, &'a RouteTemplate)>,
    at_most: usize,
    peer: &str,
) -> RouteSet {
    let mut wanted = RouteSet::with_capacity(at_most);
    for (prefix, route) in routes {
        if let Some(attrs) = wanted_for(Some(route), peer) {
            wanted.push(prefix, attrs);
        }
    }
    wanted
}

/// The changes that bring `peer` to what `route_of` says for the addresses in `changed`,
/// withdrawals first (so a peer never holds a stale route longer than needed).
pub fn changes_for<'a>(
    route_of: impl Fn(&IpNet) -> Option<&'a RouteTemplate>,
    changed: &[IpNet],
    peer: &str,
) -> Vec<RouteChange> {
    let mut withdraws = Vec::new();
    let mut announces = Vec::new();
    for prefix in changed {
        match wanted_for(route_of(prefix), peer) {
            None => withdraws.push(RouteChange::Withdraw(*prefix)),
            Some(attrs) => announces.push(RouteChange::Announce(*prefix, attrs)),
        }
    }
    withdraws.extend(announces);
    withdraws
}

#[cfg(test)]
mod tests;
