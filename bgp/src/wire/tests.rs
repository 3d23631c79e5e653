//! Whole-message tests: header and body together, the length limits of encoding, and
//! round-trip properties over arbitrary valid messages.

use super::notification::{header_subcode, route_refresh_subcode};
use super::*;
use crate::types::{Afi, Asn, RouterId, Safi};
use bytes::{Bytes, BytesMut};
use lab::vectors::hex;
use proptest::prelude::*;
use std::net::Ipv4Addr;

const MARKER: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";

fn extended() -> SessionContext {
    SessionContext {
        max_message_len: MAX_EXTENDED_MESSAGE_LEN,
        ..SessionContext::default()
    }
}

fn encode(msg: &Message, ctx: &SessionContext) -> Result<Vec<u8>, EncodeError> {
    let mut out = BytesMut::new();
    msg.encode(ctx, &mut out)?;
    Ok(out.to_vec())
}

#[test]
fn keepalive_is_the_bare_header() {
    let bytes = hex(&format!("{MARKER} 0013 04"));
    assert_eq!(
        Message::decode(&bytes, &SessionContext::default()),
        Ok(Message::Keepalive)
    );
    assert_eq!(
        encode(&Message::Keepalive, &SessionContext::default()),
        Ok(bytes)
    );
}

#[test]
fn open_message_both_ways() {
    let bytes = hex(&format!(
        "{MARKER} 0025 01 04 FDE8 00B4 C0000201 08 02 06 41 04 0000FDE8"
    ));
    let open = Message::Open(Open {
        version: 4,
        my_as: 65000,
        hold_time: 180,
        router_id: RouterId::new(Ipv4Addr::new(192, 0, 2, 1)).unwrap(),
        capabilities: vec![Capability::FourOctetAs(Asn(65000))],
    });
    assert_eq!(
        Message::decode(&bytes, &SessionContext::default()),
        Ok(open.clone())
    );
    assert_eq!(encode(&open, &SessionContext::default()), Ok(bytes));
}

#[test]
fn notification_and_route_refresh_messages_both_ways() {
    let cases = [
        (
            format!("{MARKER} 0017 03 06 02 01 41"),
            Message::Notification(Notification::cease_with_reason(
                notification::cease_subcode::ADMINISTRATIVE_SHUTDOWN,
                "A",
            )),
        ),
        (
            format!("{MARKER} 0017 05 0002 00 01"),
            Message::RouteRefresh(RouteRefresh::request(Afi::Ipv6, Safi::Unicast)),
        ),
    ];
    for (hexed, msg) in cases {
        let bytes = hex(&hexed);
        assert_eq!(
            Message::decode(&bytes, &SessionContext::default()),
            Ok(msg.clone())
        );
        assert_eq!(encode(&msg, &SessionContext::default()), Ok(bytes));
        assert_eq!(
            Message::decode(&hex(&hexed), &SessionContext::default())
                .unwrap()
                .message_type()
                .code(),
            hex(&hexed)[18]
        );
    }
}

#[test]
fn decode_refuses_a_slice_that_is_not_exactly_one_message() {
    let keepalive = hex(&format!("{MARKER} 0013 04"));
    let mut longer = keepalive.clone();
    longer.push(0);
    let n = Message::decode(&longer, &SessionContext::default())
        .unwrap_err()
        .notification;
    assert_eq!(n.code, ErrorCode::MessageHeader);
    assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH);
    assert_eq!(&n.data[..], &[0, 19]);

    let open_cut = hex(&format!("{MARKER} 001D 01 04 FDE8 00B4"));
    let n = Message::decode(&open_cut, &SessionContext::default())
        .unwrap_err()
        .notification;
    assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH);
    assert_eq!(&n.data[..], &[0, 29]);

    let n = Message::decode(&keepalive[..10], &SessionContext::default())
        .unwrap_err()
        .notification;
    assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH);
    assert_eq!(&n.data[..], &[0, 10]);
}

#[test]
fn decode_applies_header_checks() {
    let n = Message::decode(
        &hex(&format!("{MARKER} 0013 07")),
        &SessionContext::default(),
    )
    .unwrap_err()
    .notification;
    assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_TYPE);
    assert_eq!(&n.data[..], &[7]);
}

#[test]
fn route_refresh_of_wrong_length_carries_the_whole_message() {
    let bytes = hex(&format!("{MARKER} 0018 05 0001 00 01 00"));
    let n = Message::decode(&bytes, &SessionContext::default())
        .unwrap_err()
        .notification;
    assert_eq!(n.code, ErrorCode::RouteRefresh);
    assert_eq!(n.subcode, route_refresh_subcode::INVALID_MESSAGE_LENGTH);
    assert_eq!(n.data.to_vec(), bytes);
}

#[test]
fn encode_over_the_session_maximum_fails_without_writing() {
    // 21 octets of header, code and subcode: 4075 octets of data make exactly 4096.
    let fits = Message::Notification(Notification::new(ErrorCode::Cease, 0, vec![0; 4075]));
    let too_long = Message::Notification(Notification::new(ErrorCode::Cease, 0, vec![0; 4076]));
    let mut out = BytesMut::from(&b"already here"[..]);
    assert_eq!(
        too_long.encode(&SessionContext::default(), &mut out),
        Err(EncodeError::TooLong {
            len: 4097,
            max: 4096
        })
    );
    assert_eq!(&out[..], b"already here");
    fits.encode(&SessionContext::default(), &mut out).unwrap();
    assert_eq!(out.len(), 12 + 4096);
    assert_eq!(&out[12 + 16..12 + 18], &[0x10, 0x00]);
    // Allowed once extended messages are negotiated.
    assert_eq!(encode(&too_long, &extended()).map(|b| b.len()), Ok(4097));
}

#[test]
fn encode_caps_open_at_4096_even_with_extended_messages() {
    let caps = (0..20)
        .map(|_| Capability::Unknown {
            code: 200,
            value: Bytes::from(vec![0; 250]),
        })
        .collect();
    let open = Message::Open(Open {
        version: 4,
        my_as: 1,
        hold_time: 90,
        router_id: RouterId::new(Ipv4Addr::new(1, 1, 1, 1)).unwrap(),
        capabilities: caps,
    });
    let mut out = BytesMut::new();
    let err = open.encode(&extended(), &mut out).unwrap_err();
    assert!(
        matches!(err, EncodeError::TooLong { max: 4096, .. }),
        "{err:?}"
    );
    assert!(out.is_empty());
}

#[test]
fn encode_never_exceeds_65535_whatever_the_context_says() {
    let ctx = SessionContext {
        max_message_len: 1 << 20,
        ..SessionContext::default()
    };
    let big = Message::Notification(Notification::new(ErrorCode::Cease, 0, vec![0; 65535]));
    let mut out = BytesMut::new();
    assert_eq!(
        big.encode(&ctx, &mut out),
        Err(EncodeError::TooLong {
            len: 65535 + 21,
            max: 65535
        })
    );
    assert!(out.is_empty());
}

#[test]
fn encode_failure_of_a_field_writes_nothing() {
    let open = Message::Open(Open {
        version: 4,
        my_as: 1,
        hold_time: 90,
        router_id: RouterId::new(Ipv4Addr::new(1, 1, 1, 1)).unwrap(),
        capabilities: vec![
            Capability::RouteRefresh,
            Capability::Unknown {
                code: 200,
                value: Bytes::from(vec![0; 300]),
            },
        ],
    });
    let mut out = BytesMut::from(&b"x"[..]);
    assert_eq!(
        open.encode(&SessionContext::default(), &mut out),
        Err(EncodeError::FieldOverflow("capability"))
    );
    assert_eq!(&out[..], b"x");
}

fn arb_afi() -> impl Strategy<Value = Afi> {
    any::<u16>().prop_map(Afi::from)
}

fn arb_safi() -> impl Strategy<Value = Safi> {
    any::<u8>().prop_map(Safi::from)
}

/// Codes this crate interprets; an `Unknown` with one of them would decode as the
/// interpreted variant.
const KNOWN_CODES: [u8; 7] = [1, 2, 6, 64, 65, 70, 73];

fn arb_capability() -> impl Strategy<Value = Capability> {
    let gr_family =
        (arb_afi(), arb_safi(), any::<bool>()).prop_map(|(afi, safi, f)| GracefulRestartFamily {
            afi,
            safi,
            forwarding_preserved: f,
        });
    prop_oneof![
        (arb_afi(), arb_safi()).prop_map(|(afi, safi)| Capability::Multiprotocol { afi, safi }),
        Just(Capability::RouteRefresh),
        Just(Capability::ExtendedMessage),
        Just(Capability::EnhancedRouteRefresh),
        any::<u32>().prop_map(|a| Capability::FourOctetAs(Asn(a))),
        (
            any::<bool>(),
            any::<bool>(),
            0..=4095u16,
            proptest::collection::vec(gr_family, 0..8)
        )
            .prop_map(|(r, n, t, families)| {
                Capability::GracefulRestart(GracefulRestart {
                    restart_state: r,
                    notification: n,
                    restart_time: t,
                    families,
                })
            }),
        ("\\PC{0,20}", "[a-z0-9.-]{0,30}")
            .prop_map(|(hostname, domain)| Capability::Hostname { hostname, domain }),
        (
            any::<u8>().prop_filter("not interpreted", |c| !KNOWN_CODES.contains(c)),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(code, value)| Capability::Unknown {
                code,
                value: Bytes::from(value),
            }),
    ]
}

fn arb_open() -> impl Strategy<Value = Open> {
    (
        any::<u16>(),
        prop_oneof![Just(0u16), 3..=u16::MAX],
        1..=u32::MAX,
        proptest::collection::vec(arb_capability(), 0..40),
    )
        .prop_map(|(my_as, hold_time, id, capabilities)| Open {
            version: 4,
            my_as,
            hold_time,
            router_id: RouterId::new(Ipv4Addr::from(id)).unwrap(),
            capabilities,
        })
}

fn arb_notification() -> impl Strategy<Value = Notification> {
    (
        any::<u8>(),
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(code, subcode, data)| Notification::new(ErrorCode::from(code), subcode, data))
}

fn arb_route_refresh() -> impl Strategy<Value = RouteRefresh> {
    (arb_afi(), arb_safi(), any::<u8>()).prop_map(|(afi, safi, subtype)| RouteRefresh {
        afi,
        safi,
        subtype: RouteRefreshSubtype::from(subtype),
    })
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        arb_open().prop_map(Message::Open),
        arb_notification().prop_map(Message::Notification),
        arb_route_refresh().prop_map(Message::RouteRefresh),
        Just(Message::Keepalive),
    ]
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(msg in arb_message()) {
        for ctx in [SessionContext::default(), extended()] {
            let mut out = BytesMut::new();
            match msg.encode(&ctx, &mut out) {
                Ok(()) => {
                    let header = Header::parse(&out, ctx.max_message_len).unwrap().unwrap();
                    prop_assert_eq!(header.length, out.len());
                    prop_assert_eq!(Message::decode(&out, &ctx), Ok(msg.clone()));
                }
                // Only an OPEN can grow past 4096 here; nothing may have been written.
                Err(EncodeError::TooLong { len, max }) => {
                    prop_assert!(len > max);
                    prop_assert!(out.is_empty());
                }
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
        }
    }

    #[test]
    fn decode_of_any_body_after_a_valid_header_never_panics(
        type_code in 1..=5u8,
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = vec![0xff; 16];
        bytes.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
        bytes.push(type_code);
        bytes.extend_from_slice(&body);
        let _ = Message::decode(&bytes, &SessionContext::default());
    }

    #[test]
    fn decoded_open_re_encodes_to_a_decodable_equal_open(
        caps in proptest::collection::vec(arb_capability(), 0..10)
    ) {
        // Several capabilities packed into one parameter, as some speakers send them,
        // decode to the same list as one capability per parameter.
        let mut tlvs = BytesMut::new();
        for c in &caps {
            c.encode(&mut tlvs).unwrap();
        }
        prop_assume!(tlvs.len() <= 253);
        let mut body = hex("04 FDE8 005A 0A000001");
        body.push((tlvs.len() + 2) as u8);
        body.extend_from_slice(&[2, tlvs.len() as u8]);
        body.extend_from_slice(&tlvs);
        let open = Open::decode_body(&body, &SessionContext::default()).unwrap();
        prop_assert_eq!(open.capabilities, caps);
    }
}
