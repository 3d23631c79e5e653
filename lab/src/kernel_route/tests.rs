use super::parse_next_hops;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn hops(pairs: &[(&str, u32)]) -> BTreeMap<Ipv4Addr, u32> {
    pairs
        .iter()
        .map(|&(a, w)| (a.parse().unwrap(), w))
        .collect()
}

#[test]
fn routes_read_as_their_next_hops_and_weights() {
    let cases = [
        ("no route", "", hops(&[])),
        (
            "a single path, no weight printed",
            "203.0.113.10 via 10.81.1.2 dev tor-n1 proto bgp metric 20\n",
            hops(&[("10.81.1.2", 1)]),
        ),
        (
            "weighted multipath",
            "203.0.113.10 proto bgp metric 20 \n\tnexthop via 10.81.1.2 dev tor-n1 weight 1 \n\tnexthop via 10.81.2.2 dev tor-n2 weight 3 \n",
            hops(&[("10.81.1.2", 1), ("10.81.2.2", 3)]),
        ),
    ];
    for (case, out, want) in cases {
        assert_eq!(parse_next_hops(out), Ok(want), "{case}");
    }
}

#[test]
fn a_via_without_an_address_or_a_bad_weight_is_an_error() {
    for out in [
        "203.0.113.10 via\n",
        "\tnexthop via 10.81.1.2 dev tor-n1 weight x\n",
    ] {
        assert!(parse_next_hops(out).is_err(), "{out:?}");
    }
}
