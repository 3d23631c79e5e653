use super::*;

fn ifaces() -> Vec<InterfaceAddr> {
    let a = |i: &str, s: &str, l| InterfaceAddr {
        interface: i.into(),
        addr: s.parse().unwrap(),
        prefix_len: l,
    };
    vec![
        a("eth0", "10.0.0.2", 24),
        a("eth0", "fd00::2", 64),
        a("eth0", "fe80::fc:ff:fe00:1", 64),
        a("eth1", "10.1.0.2", 24),
        a("eth1", "fd01::2", 64),
        a("eth1", "fe80::1:1", 64),
        a("lo", "::1", 128),
    ]
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn hops(v4: Option<&str>, v6: Option<&str>, v6_link_local: Option<&str>) -> NextHops {
    NextHops {
        v4: v4.map(|a| a.parse().unwrap()),
        v6: v6.map(|a| a.parse().unwrap()),
        v6_link_local: v6_link_local.map(|a| a.parse().unwrap()),
    }
}

#[test]
fn ipv4_session_uses_its_local_address_and_the_interface_global_ipv6() {
    let n = choose(None, None, ip("10.0.0.2"), ip("10.0.0.1"), &ifaces());
    assert_eq!(n, hops(Some("10.0.0.2"), Some("fd00::2"), None));
}

#[test]
fn session_on_an_unknown_address_gets_only_its_own_family() {
    let n = choose(None, None, ip("192.0.2.1"), ip("192.0.2.2"), &ifaces());
    assert_eq!(n, hops(Some("192.0.2.1"), None, None));
}

#[test]
fn ipv4_mapped_local_address_counts_as_ipv4() {
    let n = choose(
        None,
        None,
        ip("::ffff:10.0.0.2"),
        ip("::ffff:10.0.0.1"),
        &[],
    );
    assert_eq!(n.v4, Some("10.0.0.2".parse().unwrap()));
    assert_eq!(n.v6, None);
}

#[test]
fn configured_next_hops_win_over_the_session_address() {
    let n = choose(
        Some("192.0.2.9".parse().unwrap()),
        Some("fd00::9".parse().unwrap()),
        ip("10.0.0.2"),
        ip("10.0.0.1"),
        &[],
    );
    assert_eq!(n.v4, Some("192.0.2.9".parse().unwrap()));
    assert_eq!(n.v6, Some("fd00::9".parse().unwrap()));
}

#[test]
fn ipv6_on_link_peer_gets_the_link_local_of_the_session_interface() {
    let n = choose(None, None, ip("fd01::2"), ip("fd01::1"), &ifaces());
    assert_eq!(n.v6, Some("fd01::2".parse().unwrap()));
    assert_eq!(n.v6_link_local, Some("fe80::1:1".parse().unwrap()));
    assert_eq!(
        n.v4,
        Some("10.1.0.2".parse().unwrap()),
        "IPv4 routes use the interface's IPv4 address"
    );
}

#[test]
fn ipv6_multihop_peer_gets_no_link_local() {
    let n = choose(None, None, ip("fd00::2"), ip("fd99::1"), &ifaces());
    assert_eq!(n.v6, Some("fd00::2".parse().unwrap()));
    assert_eq!(n.v6_link_local, None);
}

#[test]
fn session_over_link_local_sends_it_as_link_local_only() {
    let n = choose(None, None, ip("fe80::1:1"), ip("fe80::9"), &ifaces());
    assert_eq!(n.v6, None);
    assert_eq!(n.v6_link_local, Some("fe80::1:1".parse().unwrap()));
}

#[test]
fn interface_addrs_lists_ipv6_loopback() {
    let all = interface_addrs();
    assert!(
        all.iter()
            .any(|a| a.addr == IpAddr::V6(Ipv6Addr::LOCALHOST) && a.prefix_len == 128),
        "{all:?}"
    );
}
