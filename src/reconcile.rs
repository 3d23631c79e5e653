//! From the decision to each peer: which peers this node has (their `node_selector`
//! against its labels), which routes each peer gets (the `peers` annotation), and the
//! changes that bring a peer from what it was sent to what it should have. Pure; the
//! daemon applies the result to the BGP driver.

use crate::config::PeerConfig;
use crate::decide::Route;
use bgp::driver::RouteChange;
use bgp::rib_out::RouteAttributes;
use ipnet::IpNet;
use std::collections::{BTreeMap, HashMap};
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

/// Shares one `Arc` per distinct attribute set, so equal attributes are one allocation
/// and the Adj-RIB-Out groups their prefixes into the same UPDATEs cheaply.
#[derive(Debug, Default)]
pub struct Interner {
    sets: HashMap<RouteAttributes, Arc<RouteAttributes>>,
}

impl Interner {
    /// The shared copy of `attrs`.
    pub fn intern(&mut self, attrs: &RouteAttributes) -> Arc<RouteAttributes> {
        if let Some(shared) = self.sets.get(attrs) {
            return shared.clone();
        }
        let shared = Arc::new(attrs.clone());
        self.sets.insert(attrs.clone(), shared.clone());
        shared
    }
}

/// What `peer` should have for one address: the route's attributes if it goes to `peer`.
pub fn wanted_for(
    route: Option<&Route>,
    peer: &str,
    interner: &mut Interner,
) -> Option<Arc<RouteAttributes>> {
    route
        .filter(|r| r.peers.includes(peer))
        .map(|r| interner.intern(&r.attributes))
}

/// Every route `peer` should have.
pub fn routes_for_peer(
    routes: &BTreeMap<IpNet, Route>,
    peer: &str,
    interner: &mut Interner,
) -> PeerRoutes {
    routes
        .iter()
        .filter_map(|(prefix, route)| Some((*prefix, wanted_for(Some(route), peer, interner)?)))
        .collect()
}

/// The changes that bring `peer` from `sent` to what `routes` say for the addresses in
/// `changed`, withdrawals first; applies them to `sent`.
pub fn changes_for(
    sent: &mut PeerRoutes,
    routes: &BTreeMap<IpNet, Route>,
    changed: &[IpNet],
    peer: &str,
    interner: &mut Interner,
) -> Vec<RouteChange> {
    let mut withdraws = Vec::new();
    let mut announces = Vec::new();
    for prefix in changed {
        match (
            sent.get(prefix),
            wanted_for(routes.get(prefix), peer, interner),
        ) {
            (Some(_), None) => {
                sent.remove(prefix);
                withdraws.push(RouteChange::Withdraw(*prefix));
            }
            (old, Some(new)) if old != Some(&new) => {
                sent.insert(*prefix, new.clone());
                announces.push(RouteChange::Announce(*prefix, new));
            }
            _ => {}
        }
    }
    withdraws.extend(announces);
    withdraws
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

    fn decision() -> crate::decide::Decision {
        let mut d = crate::decide::Decision::default();
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
        let routes = decision().routes;
        let mut interner = Interner::default();
        assert_eq!(routes_for_peer(&routes, "tor-a", &mut interner).len(), 1);
        assert_eq!(routes_for_peer(&routes, "tor-b", &mut interner).len(), 2);
    }

    #[test]
    fn equal_attributes_are_shared() {
        let per_peer = routes_for_peer(&decision().routes, "tor-b", &mut Interner::default());
        let attrs: Vec<_> = per_peer.values().collect();
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

    #[test]
    fn changes_for_touches_only_the_changed_addresses_and_updates_sent() {
        let mut routes = decision().routes;
        let mut interner = Interner::default();
        let mut sent = routes_for_peer(&routes, "tor-a", &mut interner);
        let p1: IpNet = "203.0.113.1/32".parse().unwrap();
        let p2: IpNet = "203.0.113.2/32".parse().unwrap();
        routes.remove(&p1);
        routes.get_mut(&p2).unwrap().peers = PeerSelection::All;
        let c = changes_for(&mut sent, &routes, &[p1, p2], "tor-a", &mut interner);
        assert!(
            matches!(c.as_slice(), [RouteChange::Withdraw(a), RouteChange::Announce(b, _)] if *a == p1 && *b == p2)
        );
        assert_eq!(sent.keys().copied().collect::<Vec<_>>(), vec![p2]);
        assert!(changes_for(&mut sent, &routes, &[p1, p2], "tor-a", &mut interner).is_empty());
    }
}
