use super::*;

/// Which connection survives between us and the peer, each given as (BGP Identifier,
/// ASN).
fn kept(local: (&str, u32), peer: (&str, u32)) -> Direction {
    let id = |dotted: &str| RouterId::new(dotted.parse().unwrap()).unwrap();
    survivor(id(local.0), Asn(local.1), id(peer.0), Asn(peer.1))
}

/// RFC 4271 6.8, then RFC 6286 2.3 for equal identifiers.
#[test]
fn the_higher_identifier_wins_then_the_larger_asn() {
    use Direction::{Inbound, Outbound};
    for (case, local, peer, expected) in [
        (
            "higher local identifier",
            ("10.0.0.2", 1),
            ("10.0.0.1", 1),
            Outbound,
        ),
        (
            "higher peer identifier",
            ("10.0.0.1", 1),
            ("10.0.0.2", 1),
            Inbound,
        ),
        // 128.0.0.0 is negative as i32; as u32 it is larger than 127.255.255.255.
        (
            "unsigned comparison",
            ("128.0.0.0", 1),
            ("127.255.255.255", 1),
            Outbound,
        ),
        (
            "equal, larger local ASN",
            ("1.1.1.1", 65002),
            ("1.1.1.1", 65001),
            Outbound,
        ),
        (
            "equal, larger peer ASN",
            ("1.1.1.1", 65001),
            ("1.1.1.1", 65002),
            Inbound,
        ),
    ] {
        assert_eq!(kept(local, peer), expected, "{case}");
    }
}
