use super::*;
use crate::decide::{PeerSelection, RouteTemplate};
use std::collections::BTreeSet;

fn peer(selector: &[(&str, &str)]) -> PeerConfig {
    PeerConfig {
        name: "tor-a".into(),
        address: "10.0.0.1".parse().unwrap(),
        asn: bgp::Asn(65000),
        kind: bgp::PeerKind::External,
        port: 179,
        transport: crate::config::TransportConfig {
            local_address: None,
            password_file: None,
            ebgp_multihop: 1,
            ttl_security: false,
        },
        hold_time: bgp::HoldTime::DEFAULT,
        connect_retry: std::time::Duration::from_secs(5),
        passive: false,
        families: vec![bgp::Family::Ipv4Unicast],
        next_hop_v4: crate::config::NextHopChoice::Auto,
        next_hop_v6: crate::config::NextHopChoice::Auto,
        node_selector: selector
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        bfd: crate::config::BfdConfig::default(),
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

fn routes() -> BTreeMap<IpNet, RouteTemplate> {
    let attributes = Arc::new(RouteAttributes::default());
    let route = |peers| RouteTemplate {
        attributes: attributes.clone(),
        peers,
    };
    BTreeMap::from([
        ("203.0.113.1/32".parse().unwrap(), route(PeerSelection::All)),
        (
            "203.0.113.2/32".parse().unwrap(),
            route(PeerSelection::Only(Arc::new(BTreeSet::from([
                "tor-b".to_string()
            ])))),
        ),
    ])
}

#[test]
fn peers_annotation_limits_routes_to_named_peers() {
    let routes = routes();
    let of = |peer| routes_for_peer(routes.iter().map(|(p, r)| (*p, r)), routes.len(), peer);
    assert_eq!(of("tor-a").len(), 1);
    assert_eq!(of("tor-b").len(), 2);
}

#[test]
fn a_peer_gets_the_decisions_shared_attributes() {
    let routes = routes();
    let per_peer: Vec<_> =
        routes_for_peer(routes.iter().map(|(p, r)| (*p, r)), routes.len(), "tor-b")
            .into_routes()
            .collect();
    assert_eq!(per_peer.len(), 2);
    assert!(Arc::ptr_eq(&per_peer[0].1, &per_peer[1].1));
}

#[test]
fn changes_withdraw_first_and_follow_the_peers_annotation() {
    let routes = routes();
    let p = |s: &str| -> IpNet { s.parse().unwrap() };
    let changed = [
        p("203.0.113.1/32"),
        p("203.0.113.2/32"),
        p("203.0.113.3/32"),
    ];
    let c = changes_for(|p| routes.get(p), &changed, "tor-a");
    assert!(
        matches!(
            c.as_slice(),
            [
                RouteChange::Withdraw(a),
                RouteChange::Withdraw(b),
                RouteChange::Announce(d, _)
            ] if *a == changed[1] && *b == changed[2] && *d == changed[0]
        ),
        "{c:?}"
    );
}
