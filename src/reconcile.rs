//! From the decision to each peer: which peers this node has (their `node_selector`
//! against its labels), which routes each peer gets (the `peers` annotation), and the
//! changes that bring a peer from what it was sent to what it should have. Pure; the
//! daemon applies the result to the BGP driver.

use crate::config::PeerConfig;
use crate::decide::Decision;
use bgp::driver::RouteChange;
use bgp::rib_out::RouteAttributes;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Routes for one peer, with attributes shared between peers (and between routes with
/// equal attributes, which lets the Adj-RIB-Out pack them into one UPDATE cheaply).
pub type PeerRoutes = BTreeMap<IpNet, Arc<RouteAttributes>>;

/// True when this node should peer with `peer`: every `node_selector` label matches.
pub fn peer_selected(peer: &PeerConfig, node_labels: &BTreeMap<String, String>) -> bool {
    peer.node_selector
        .iter()
        .all(|(k, v)| node_labels.get(k) == Some(v))
}

/// The routes each named peer should have. Attribute sets are interned: routes with
/// equal attributes share one `Arc`.
pub fn routes_per_peer<'a>(
    decision: &Decision,
    peers: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, PeerRoutes> {
    let mut interned: Vec<Arc<RouteAttributes>> = Vec::new();
    let mut shared = |attrs: &RouteAttributes| -> Arc<RouteAttributes> {
        if let Some(existing) = interned.iter().find(|a| ***a == *attrs) {
            return existing.clone();
        }
        let new = Arc::new(attrs.clone());
        interned.push(new.clone());
        new
    };
    let mut with_attrs: Vec<(IpNet, Arc<RouteAttributes>, &crate::decide::PeerSelection)> =
        Vec::new();
    for (prefix, route) in &decision.routes {
        with_attrs.push((*prefix, shared(&route.attributes), &route.peers));
    }
    peers
        .into_iter()
        .map(|name| {
            let routes = with_attrs
                .iter()
                .filter(|(_, _, selection)| selection.includes(name))
                .map(|(prefix, attrs, _)| (*prefix, attrs.clone()))
                .collect();
            (name.to_owned(), routes)
        })
        .collect()
}

/// The changes from `sent` to `wanted`, withdrawals first (so a peer never holds a stale
/// route longer than needed).
pub fn changes(sent: &PeerRoutes, wanted: &PeerRoutes) -> Vec<RouteChange> {
    let withdraws = sent
        .keys()
        .filter(|p| !wanted.contains_key(p))
        .map(|p| RouteChange::Withdraw(*p));
    let announces = wanted
        .iter()
        .filter(|(p, attrs)| sent.get(p).is_none_or(|old| old != *attrs))
        .map(|(p, attrs)| RouteChange::Announce(*p, attrs.clone()));
    withdraws.chain(announces).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ObjectKey;
    use crate::decide::{PeerSelection, Route};
    use std::collections::BTreeSet;

    fn peer(selector: &[(&str, &str)]) -> PeerConfig {
        PeerConfig {
            name: "tor-a".into(),
            address: "10.0.0.1".parse().unwrap(),
            asn: bgp::Asn(65000),
            port: 179,
            local_address: None,
            password_file: None,
            hold_time: std::time::Duration::from_secs(90),
            connect_retry: std::time::Duration::from_secs(5),
            passive: false,
            ebgp_multihop: 1,
            ttl_security: false,
            families: vec![bgp::Family::Ipv4Unicast],
            next_hop_v4: crate::config::NextHopChoice::Auto,
            next_hop_v6: crate::config::NextHopChoice::Auto,
            node_selector: selector
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn node_selector_must_match_every_label() {
        let labels: BTreeMap<String, String> = [
            ("rack".to_string(), "r1".to_string()),
            ("zone".to_string(), "a".to_string()),
        ]
        .into();
        assert!(peer_selected(&peer(&[]), &labels));
        assert!(peer_selected(&peer(&[("rack", "r1")]), &labels));
        assert!(!peer_selected(&peer(&[("rack", "r2")]), &labels));
        assert!(!peer_selected(
            &peer(&[("rack", "r1"), ("row", "1")]),
            &labels
        ));
    }

    fn decision() -> Decision {
        let mut d = Decision::default();
        let route = |peers| Route {
            attributes: RouteAttributes::default(),
            peers,
            services: BTreeSet::from([ObjectKey::new("a", "b")]),
        };
        d.routes
            .insert("203.0.113.1/32".parse().unwrap(), route(PeerSelection::All));
        d.routes.insert(
            "203.0.113.2/32".parse().unwrap(),
            route(PeerSelection::Only(BTreeSet::from(["tor-b".to_string()]))),
        );
        d
    }

    #[test]
    fn peers_annotation_limits_routes_to_named_peers() {
        let per_peer = routes_per_peer(&decision(), ["tor-a", "tor-b"]);
        assert_eq!(per_peer["tor-a"].len(), 1);
        assert_eq!(per_peer["tor-b"].len(), 2);
    }

    #[test]
    fn equal_attributes_are_shared() {
        let per_peer = routes_per_peer(&decision(), ["tor-b"]);
        let attrs: Vec<_> = per_peer["tor-b"].values().collect();
        assert!(Arc::ptr_eq(attrs[0], attrs[1]));
    }

    #[test]
    fn changes_withdraw_first_and_skip_unchanged_routes() {
        let a = Arc::new(RouteAttributes::default());
        let b = Arc::new(RouteAttributes {
            med: Some(5),
            ..Default::default()
        });
        let p = |s: &str| -> IpNet { s.parse().unwrap() };
        let sent: PeerRoutes = [
            (p("203.0.113.1/32"), a.clone()),
            (p("203.0.113.2/32"), a.clone()),
            (p("203.0.113.3/32"), a.clone()),
        ]
        .into();
        let wanted: PeerRoutes = [
            (p("203.0.113.2/32"), a.clone()),
            (p("203.0.113.3/32"), b.clone()),
            (p("203.0.113.4/32"), a.clone()),
        ]
        .into();
        let c = changes(&sent, &wanted);
        assert_eq!(
            c,
            vec![
                RouteChange::Withdraw(p("203.0.113.1/32")),
                RouteChange::Announce(p("203.0.113.3/32"), b),
                RouteChange::Announce(p("203.0.113.4/32"), a),
            ]
        );
        assert!(changes(&wanted, &wanted).is_empty());
    }
}
