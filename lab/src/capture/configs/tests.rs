use super::*;

#[test]
fn every_config_carries_the_capture_numbers() {
    let link = Link { n: 3 };
    assert_eq!(link.asn(), 4_200_000_103);
    assert!(frr(link, "").contains("  network fd00:201:3::2/128 route-map ORIG\n"));
    assert!(
        frr(link, " set extcommunity bandwidth 8").ends_with(" set extcommunity bandwidth 8\n")
    );
    assert!(bird(link, "/l").contains("next hop address fd00:255:0:3::1;"));
    assert!(gobgp(link).contains("neighbor-address = \"10.255.3.2\""));
    assert_eq!(gobgp_routes(link).len(), 4);
    assert!(exabgp(link).contains("route 10.201.3.1/32 next-hop 10.255.3.1 med 50"));
}
