//! Validation of the peer's OPEN (RFC 4271 6.2, RFC 6793, RFC 6286).

use super::*;

#[test]
fn bad_peer_as_is_refused_with_open_error_2() {
    let got = negotiate_open(config(), open_from_as(65003, Some(Asn(65003))));
    assert_eq!(
        got,
        Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS))
    );
}

#[test]
fn four_octet_as_inconsistent_with_my_as_is_bad_peer_as() {
    let bad = Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS));
    // (case, the peer's ASN as configured, My Autonomous System, 4-octet AS capability)
    for (case, peer_asn, my_as, four_octet_as) in [
        (
            "a 4-octet ASN must come with AS_TRANS in My Autonomous System (RFC 6793 4.1)",
            Asn(4_200_000_000),
            65002,
            Some(Asn(4_200_000_000)),
        ),
        (
            "a 2-octet ASN must be repeated there",
            Asn(65002),
            65009,
            Some(Asn(65002)),
        ),
        ("AS 0 is never a peer's ASN (RFC 7607)", Asn(65002), 0, None),
        (
            "AS_TRANS is never a peer's ASN (RFC 6793)",
            Asn::TRANS,
            23456,
            Some(Asn::TRANS),
        ),
    ] {
        let got = negotiate_open(
            config_for_peer(peer_asn),
            open_from_as(my_as, four_octet_as),
        );
        assert_eq!(got, bad, "{case}");
    }
}

#[test]
fn four_octet_peer_asn_is_accepted_with_as_trans() {
    let cfg = config_for_peer(Asn(4_200_000_000));
    let open = open_from_as(23456, Some(Asn(4_200_000_000)));
    let n = negotiate_open(cfg.clone(), open).expect("accepted");
    assert_eq!(n.peer_asn, Asn(4_200_000_000));
    // Without the capability the peer is AS_TRANS, not the configured ASN.
    assert_eq!(
        negotiate_open(cfg, open_from_as(23456, None)),
        Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS))
    );
}

#[test]
fn hold_time_1_or_2_is_refused_with_unacceptable_hold_time() {
    for hold_time in [1, 2] {
        assert_eq!(
            negotiate_open(
                config(),
                Open {
                    hold_time,
                    ..peer_open()
                }
            ),
            Err(notification(
                ErrorCode::Open,
                open_subcode::UNACCEPTABLE_HOLD_TIME
            ))
        );
    }
    assert!(
        negotiate_open(
            config(),
            Open {
                hold_time: 3,
                ..peer_open()
            }
        )
        .is_ok()
    );
}

#[test]
fn own_bgp_identifier_is_refused_on_ibgp_and_allowed_on_ebgp() {
    let open = Open {
        router_id: rid(10, 0, 0, 1),
        ..open_from_as(65001, Some(Asn(65001)))
    };
    assert_eq!(
        negotiate_open(config_for_peer(Asn(65001)), open),
        Err(notification(
            ErrorCode::Open,
            open_subcode::BAD_BGP_IDENTIFIER
        ))
    );
    // RFC 6286 section 2.2: between ASes the same identifier is fine.
    let n = negotiate_open(
        config(),
        Open {
            router_id: rid(10, 0, 0, 1),
            ..peer_open()
        },
    )
    .expect("eBGP accepts");
    assert!(n.context.ebgp);
}

#[test]
fn unsupported_version_is_refused_with_open_error_1_naming_version_4() {
    assert_eq!(
        negotiate_open(
            config(),
            Open {
                version: 3,
                ..peer_open()
            }
        ),
        Err(Notification::new(
            ErrorCode::Open,
            open_subcode::UNSUPPORTED_VERSION,
            vec![0, 4]
        ))
    );
}
