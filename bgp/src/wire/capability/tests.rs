use super::*;
use crate::types::Family;
use lab::vectors::hex;

fn encoded(cap: &Capability) -> Vec<u8> {
    let mut out = BytesMut::new();
    cap.encode(&mut out).expect("encodes");
    out.to_vec()
}

/// Decodes one TLV through `decode_all` and checks it re-encodes to the same bytes.
fn both_ways(tlv: &str, cap: Capability) {
    let bytes = hex(tlv);
    assert_eq!(
        Capability::decode_all(&bytes),
        Ok(vec![cap.clone()]),
        "{tlv}"
    );
    assert_eq!(encoded(&cap), bytes, "{cap:?}");
}

fn assert_malformed(tlv: &str) {
    let err = Capability::decode_all(&hex(tlv)).expect_err(tlv);
    assert_eq!(err.notification.code, ErrorCode::Open, "{tlv}");
    assert_eq!(err.notification.subcode, open_subcode::UNSPECIFIC, "{tlv}");
    assert!(err.notification.data.is_empty(), "{tlv}");
}

#[test]
fn multiprotocol_is_afi_reserved_safi() {
    both_ways(
        "01 04 0001 00 01",
        Capability::Multiprotocol {
            afi: Afi::Ipv4,
            safi: Safi::Unicast,
        },
    );
    both_ways(
        "01 04 0002 00 01",
        Capability::Multiprotocol {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
        },
    );
    both_ways(
        "01 04 0019 00 46",
        Capability::Multiprotocol {
            afi: Afi::Unknown(25),
            safi: Safi::Unknown(70),
        },
    );
}

#[test]
fn multiprotocol_reserved_octet_is_ignored_on_receipt() {
    assert_eq!(
        Capability::decode(code::MULTIPROTOCOL, &hex("0002 ff 01")),
        Ok(Capability::Multiprotocol {
            afi: Afi::Ipv6,
            safi: Safi::Unicast
        })
    );
}

#[test]
fn empty_valued_capabilities() {
    both_ways("02 00", Capability::RouteRefresh);
    both_ways("06 00", Capability::ExtendedMessage);
    both_ways("46 00", Capability::EnhancedRouteRefresh);
}

#[test]
fn four_octet_as_carries_the_asn() {
    both_ways("41 04 0000FDE8", Capability::FourOctetAs(Asn(65000)));
    both_ways(
        "41 04 FFFFFFFE",
        Capability::FourOctetAs(Asn(4_294_967_294)),
    );
}

#[test]
fn graceful_restart_flags_time_and_families() {
    both_ways(
        "40 0A 8078 0001 01 80 0002 01 00",
        Capability::GracefulRestart(GracefulRestart {
            restart_state: true,
            notification: false,
            restart_time: 120,
            families: vec![
                GracefulRestartFamily::new(Family::Ipv4Unicast, true),
                GracefulRestartFamily::new(Family::Ipv6Unicast, false),
            ],
        }),
    );
    both_ways(
        "40 02 4FFF",
        Capability::GracefulRestart(GracefulRestart {
            restart_state: false,
            notification: true,
            restart_time: 4095,
            families: vec![],
        }),
    );
}

#[test]
fn graceful_restart_reserved_bits_are_ignored_on_receipt() {
    let got = Capability::decode(code::GRACEFUL_RESTART, &hex("3000 0001 01 7F"));
    assert_eq!(
        got,
        Ok(Capability::GracefulRestart(GracefulRestart {
            restart_state: false,
            notification: false,
            restart_time: 0,
            families: vec![GracefulRestartFamily {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
                forwarding_preserved: false,
            }],
        }))
    );
}

#[test]
fn hostname_is_two_length_prefixed_strings() {
    both_ways(
        "49 0B 04 6E6F6465 05 6C6F63616C",
        Capability::Hostname {
            hostname: "node".into(),
            domain: "local".into(),
        },
    );
    both_ways(
        "49 06 04 6E6F6465 00",
        Capability::Hostname {
            hostname: "node".into(),
            domain: String::new(),
        },
    );
}

#[test]
fn hostname_with_invalid_utf8_is_kept_lossily() {
    let got = Capability::decode(code::HOSTNAME, &hex("02 FF41 00")).unwrap();
    assert_eq!(
        got,
        Capability::Hostname {
            hostname: "\u{FFFD}A".into(),
            domain: String::new()
        }
    );
}

#[test]
fn unknown_capability_is_kept_verbatim() {
    both_ways(
        "4D 00",
        Capability::Unknown {
            code: 77,
            value: Bytes::new(),
        },
    );
    both_ways(
        "80 03 010203",
        Capability::Unknown {
            code: 128,
            value: Bytes::from_static(&[1, 2, 3]),
        },
    );
}

#[test]
fn several_capabilities_in_one_parameter_keep_their_order() {
    let got = Capability::decode_all(&hex("02 00 41 04 00000001 06 00")).unwrap();
    assert_eq!(
        got,
        vec![
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(1)),
            Capability::ExtendedMessage
        ]
    );
    assert_eq!(Capability::decode_all(&[]), Ok(vec![]));
}

#[test]
fn known_capability_with_wrong_length_is_open_error_unspecific() {
    for tlv in [
        "01 03 000100",
        "01 05 0001000100",
        "02 01 00",
        "06 01 00",
        "46 01 00",
        "41 02 FDE8",
        "41 05 0000FDE800",
        "40 00",
        "40 01 80",
        "40 05 8078 000101",
        "40 07 8078 0001018000",
        "49 00",
        "49 01 05",
        "49 03 05 4142",
        "49 03 01 41 02",
        "49 04 01 41 00 00",
    ] {
        assert_malformed(tlv);
    }
}

#[test]
fn capability_overrunning_its_parameter_is_open_error_unspecific() {
    assert_malformed("41 05 0000FDE8");
    assert_malformed("02");
    assert_malformed("02 00 41");
}

#[test]
fn encode_refuses_fields_wider_than_the_wire() {
    let mut out = BytesMut::new();
    let long = Capability::Unknown {
        code: 200,
        value: Bytes::from(vec![0; 256]),
    };
    assert_eq!(
        long.encode(&mut out),
        Err(EncodeError::FieldOverflow("capability"))
    );
    let gr = Capability::GracefulRestart(GracefulRestart {
        restart_state: false,
        notification: false,
        restart_time: 4096,
        families: vec![],
    });
    assert_eq!(
        gr.encode(&mut out),
        Err(EncodeError::FieldOverflow("graceful restart time"))
    );
    let host = Capability::Hostname {
        hostname: "h".repeat(256),
        domain: String::new(),
    };
    assert_eq!(
        host.encode(&mut out),
        Err(EncodeError::FieldOverflow("hostname"))
    );
    let both = Capability::Hostname {
        hostname: "h".repeat(200),
        domain: "d".repeat(200),
    };
    assert_eq!(
        both.encode(&mut out),
        Err(EncodeError::FieldOverflow("capability"))
    );
    assert!(out.is_empty(), "nothing written on failure");
}
