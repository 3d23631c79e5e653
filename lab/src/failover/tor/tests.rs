use super::*;

#[test]
fn bfd_modes_put_every_neighbor_on_the_profile() {
    let nodes = [Ipv4Addr::new(10, 91, 1, 2), Ipv4Addr::new(10, 91, 2, 2)];
    let with = bgpd_conf("t", Ipv4Addr::new(10, 91, 1, 1), &nodes, Mode::Bfd50);
    for line in [
        " neighbor 10.91.1.2 remote-as 65001",
        " neighbor 10.91.2.2 remote-as 65002",
        " neighbor 10.91.2.2 bfd profile failover",
        " neighbor 10.91.2.2 timers 3 9",
        " bgp bestpath as-path multipath-relax",
        "  maximum-paths 8",
    ] {
        assert!(with.contains(line), "{line:?} missing from:\n{with}");
    }
    let without = bgpd_conf("t", Ipv4Addr::new(10, 91, 1, 1), &nodes, Mode::Off);
    assert!(!without.contains(" bfd"), "{without}");
}

#[test]
fn the_tor_session_view_reads_state_and_counters() {
    let peer = serde_json::json!({"peer": "10.91.2.2", "status": "up"});
    let counters = serde_json::json!({"peer": "10.91.2.2", "session-up": 2, "session-down": 1});
    assert_eq!(
        parse_tor_bfd(&peer, &counters),
        TorBfd {
            status: "up".into(),
            ups: 2,
            downs: 1
        }
    );
}
