//! Validation of the peer's OPEN (RFC 4271 6.2, RFC 6793, RFC 6286).

use super::*;

#[test]
fn bad_peer_as_is_refused_with_open_error_2() {
    let got = negotiate_open(
        config(),
        Open {
            my_as: 65003,
            capabilities: vec![Capability::FourOctetAs(Asn(65003))],
            ..peer_open()
        },
    );
    assert_eq!(
        got,
        Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS))
    );
}

#[test]
fn four_octet_as_inconsistent_with_my_as_is_bad_peer_as() {
    let bad = Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS));
    let big = SessionConfig {
        peer_asn: Asn(4_200_000_000),
        ..config()
    };
    // A 4-octet ASN must come with AS_TRANS in My Autonomous System (RFC 6793 4.1).
    let open = Open {
        my_as: 65002,
        capabilities: vec![Capability::FourOctetAs(Asn(4_200_000_000))],
        ..peer_open()
    };
    assert_eq!(negotiate_open(big.clone(), open), bad);
    // A 2-octet one must be repeated there.
    let open = Open {
        my_as: 65009,
        capabilities: vec![Capability::FourOctetAs(Asn(65002))],
        ..peer_open()
    };
    assert_eq!(negotiate_open(config(), open), bad);
    // AS 0 and AS_TRANS are never a peer's ASN (RFC 7607, RFC 6793).
    let open = Open {
        my_as: 0,
        capabilities: vec![],
        ..peer_open()
    };
    assert_eq!(negotiate_open(config(), open), bad);
    let open = Open {
        my_as: 23456,
        capabilities: vec![Capability::FourOctetAs(Asn::TRANS)],
        ..peer_open()
    };
    assert_eq!(
        negotiate_open(
            SessionConfig {
                peer_asn: Asn::TRANS,
                ..config()
            },
            open
        ),
        bad
    );
}

#[test]
fn four_octet_peer_asn_is_accepted_with_as_trans() {
    let cfg = SessionConfig {
        peer_asn: Asn(4_200_000_000),
        ..config()
    };
    let open = Open {
        my_as: 23456,
        capabilities: vec![Capability::FourOctetAs(Asn(4_200_000_000))],
        ..peer_open()
    };
    let n = negotiate_open(cfg.clone(), open).expect("accepted");
    assert_eq!(n.peer_asn, Asn(4_200_000_000));
    // Without the capability the peer is AS_TRANS, not the configured ASN.
    let open = Open {
        my_as: 23456,
        capabilities: vec![],
        ..peer_open()
    };
    assert_eq!(
        negotiate_open(cfg, open),
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
    let ibgp = SessionConfig {
        peer_asn: Asn(65001),
        ..config()
    };
    let open = Open {
        my_as: 65001,
        router_id: rid(10, 0, 0, 1),
        capabilities: vec![Capability::FourOctetAs(Asn(65001))],
        ..peer_open()
    };
    assert_eq!(
        negotiate_open(ibgp, open),
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
