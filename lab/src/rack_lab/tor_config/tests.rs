use super::*;

#[test]
fn frr_lists_every_node_passively_with_bfd_only_when_asked() {
    let conf = frr("ka-t-tor", 9, None).bgpd_conf("/x/bgpd.log");
    for line in [
        " neighbor 10.11.0.13 remote-as 65103",
        " neighbor 10.11.0.12 peer-group NODES",
        " neighbor NODES passive",
        " neighbor NODES timers 3 9",
        "ip prefix-list ANYCAST-V4 seq 10 permit 203.0.113.0/24 ge 32",
        "ipv6 prefix-list ANYCAST-V6 seq 10 permit fd00:203::/64 ge 128",
    ] {
        assert!(conf.lines().any(|l| l == line), "{line} in {conf}");
    }
    assert!(!conf.contains("bfd"));
    assert!(!conf.contains("graceful-restart"));
    let bfd = Some(Bfd {
        interval_ms: 50,
        multiplier: 3,
    });
    assert!(
        frr("t", 9, bfd)
            .bgpd_conf("l")
            .contains(" neighbor NODES bfd profile lab\n")
    );
}

#[test]
fn bird_and_gobgp_peer_with_every_node() {
    let b = bird("/x/bird.log", 9, None);
    assert!(b.contains("protocol bgp node2 from nodes { neighbor 10.11.0.12 as 65102; }"));
    assert!(!b.contains("bfd"));
    let g = gobgp(9);
    assert_eq!(g.matches("[[neighbors]]").count(), 3);
    assert!(g.contains("keepalive-interval = 3"));
}
