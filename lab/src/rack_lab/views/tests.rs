use super::*;
use serde_json::json;

#[test]
fn kernel_routes_merge_multipath_and_split_entries() {
    let v4 = json!([
        {"dst": "203.0.113.10", "nexthops": [{"gateway": "10.11.0.12"}, {"gateway": "10.11.0.11"}]},
        {"dst": "203.0.113.20", "gateway": "10.11.0.13"},
    ]);
    let v6 = json!([
        {"dst": "fd00:203::10", "gateway": "fd00:11::11"},
        {"dst": "fd00:203::10", "nexthops": [{"gateway": "fd00:11::13"}]},
    ]);
    let mut rib = Rib::new();
    add_kernel_routes(&v4, &mut rib).expect("parses");
    add_kernel_routes(&v6, &mut rib).expect("parses");
    assert_eq!(
        route_lines(&rib),
        [
            "203.0.113.10/32 10.11.0.11 10.11.0.12",
            "203.0.113.20/32 10.11.0.13",
            "fd00:203::10/128 fd00:11::11 fd00:11::13",
        ]
    );
    assert!(add_kernel_routes(&json!([{"dst": "nonsense"}]), &mut rib).is_err());
}

#[test]
fn frr_peers_sum_both_families_and_name_missing_neighbors() {
    let v = json!({"10.11.0.11": {"remoteAs": 65101, "bgpState": "Established",
            "addressFamilyInfo": {"ipv4Unicast": {"acceptedPrefixCounter": 2},
                                  "ipv6Unicast": {"acceptedPrefixCounter": 1}}}});
    let peers = parse_frr_peers(&v);
    assert_eq!(peers[0].to_string(), "node1 10.11.0.11 65101 Established 3");
    assert_eq!(peers[1].to_string(), "node2 10.11.0.12 65102 unknown 0");
}

#[test]
fn bird_peer_counts_every_channel() {
    let out = "node3      BGP        ---        up     12:00:00  Established\n  BGP state:          Established\n    Neighbor address: 10.11.0.13\n  Channel ipv4\n    Routes:         2 imported, 0 exported, 2 preferred\n  Channel ipv6\n    Routes:         2 imported, 0 exported, 2 preferred\n";
    assert_eq!(
        parse_bird_peer(Node(3), out).to_string(),
        "node3 10.11.0.13 65103 Established 4"
    );
}

#[test]
fn gobgp_peers_read_state_numbers_and_received_counts() {
    let v = json!([{"conf": {"neighbor_address": "10.11.0.12", "peer_asn": 65102},
            "state": {"session_state": 6},
            "afi_safis": [{"state": {"received": 2}}, {"state": {"received": 2}}]}]);
    let peers = parse_gobgp_peers(&v);
    assert_eq!(peers[1].to_string(), "node2 10.11.0.12 65102 Established 4");
    assert_eq!(peers[0].state, "unknown");
}
