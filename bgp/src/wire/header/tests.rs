use super::*;
use crate::wire::{ErrorCode, Notification};

fn header(length: u16, type_code: u8) -> Vec<u8> {
    let mut v = MARKER.to_vec();
    v.extend_from_slice(&length.to_be_bytes());
    v.push(type_code);
    v
}

fn expect_err(buf: &[u8], max: usize) -> Notification {
    Header::parse(buf, max)
        .expect_err("header must be rejected")
        .notification
}

#[test]
fn fewer_than_19_octets_wait_for_more() {
    let h = header(19, 4);
    for n in 0..HEADER_LEN {
        assert_eq!(Header::parse(&h[..n], MAX_MESSAGE_LEN), Ok(None));
    }
}

#[test]
fn valid_headers_parse_for_every_type() {
    let cases = [
        (29, 1, MessageType::Open),
        (23, 2, MessageType::Update),
        (4096, 2, MessageType::Update),
        (21, 3, MessageType::Notification),
        (19, 4, MessageType::Keepalive),
        (23, 5, MessageType::RouteRefresh),
    ];
    for (len, code, t) in cases {
        let got = Header::parse(&header(len, code), MAX_MESSAGE_LEN).unwrap();
        assert_eq!(
            got,
            Some(Header {
                length: usize::from(len),
                message_type: t
            })
        );
    }
}

#[test]
fn bad_marker_is_connection_not_synchronized_without_data() {
    let mut h = header(19, 4);
    h[7] = 0xfe;
    let n = expect_err(&h, MAX_MESSAGE_LEN);
    assert_eq!(n.code, ErrorCode::MessageHeader);
    assert_eq!(n.subcode, header_subcode::CONNECTION_NOT_SYNCHRONIZED);
    assert!(n.data.is_empty());
}

#[test]
fn length_below_19_is_bad_message_length_with_length_as_data() {
    for len in [0u16, 1, 18] {
        let n = expect_err(&header(len, 4), MAX_MESSAGE_LEN);
        assert_eq!(n.code, ErrorCode::MessageHeader);
        assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH);
        assert_eq!(&n.data[..], &len.to_be_bytes());
    }
}

/// RFC 8654: the session maximum (4096, or 65535 once extended messages are negotiated)
/// applies to every type but OPEN and KEEPALIVE, which stay within 4096.
#[test]
fn length_above_the_maximum_for_its_type_is_bad_message_length() {
    for (case, len, msg_type, max, accepted) in [
        ("UPDATE of 4097", 4097, 2, MAX_MESSAGE_LEN, false),
        (
            "UPDATE of 4097, extended",
            4097,
            2,
            MAX_EXTENDED_MESSAGE_LEN,
            true,
        ),
        (
            "OPEN of 4097, extended",
            4097,
            1,
            MAX_EXTENDED_MESSAGE_LEN,
            false,
        ),
        (
            "NOTIFICATION of 65535, extended",
            65535,
            3,
            MAX_EXTENDED_MESSAGE_LEN,
            true,
        ),
    ] {
        let bytes = header(len, msg_type);
        if accepted {
            assert!(Header::parse(&bytes, max).unwrap().is_some(), "{case}");
        } else {
            let n = expect_err(&bytes, max);
            assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH, "{case}");
            assert_eq!(&n.data[..], &len.to_be_bytes(), "{case}");
        }
    }
}

#[test]
fn per_type_minimum_lengths_are_enforced() {
    for (len, code) in [(28u16, 1u8), (22, 2), (20, 3), (20, 4), (22, 5)] {
        let n = expect_err(&header(len, code), MAX_MESSAGE_LEN);
        assert_eq!(n.code, ErrorCode::MessageHeader, "type {code}");
        assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH, "type {code}");
        assert_eq!(&n.data[..], &len.to_be_bytes(), "type {code}");
    }
}

#[test]
fn keepalive_must_be_exactly_19() {
    let n = expect_err(&header(23, 4), MAX_MESSAGE_LEN);
    assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH);
    assert_eq!(&n.data[..], &[0, 23]);
}

#[test]
fn unknown_type_is_bad_message_type_with_type_as_data() {
    for code in [0u8, 6, 255] {
        let n = expect_err(&header(19, code), MAX_MESSAGE_LEN);
        assert_eq!(n.code, ErrorCode::MessageHeader);
        assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_TYPE);
        assert_eq!(&n.data[..], &[code]);
    }
}

#[test]
fn message_type_codes_round_trip() {
    for code in 0..=255u8 {
        if let Some(t) = MessageType::from_code(code) {
            assert_eq!(t.code(), code);
        } else {
            assert!(code == 0 || code > 5);
        }
    }
}
