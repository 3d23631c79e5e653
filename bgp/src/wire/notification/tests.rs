use super::*;
use crate::wire::SessionContext;
use lab::vectors::hex;

fn decode(body: &str) -> Result<Notification, crate::wire::MessageError> {
    Notification::decode_body(&hex(body), &SessionContext::default())
}

fn encode(n: &Notification) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    n.encode_body(&SessionContext::default(), &mut out)
        .expect("encodes");
    out.to_vec()
}

#[test]
fn code_subcode_and_data_both_ways() {
    let cases = [
        (
            "02 02 FDE9",
            Notification::new(ErrorCode::Open, open_subcode::BAD_PEER_AS, vec![0xfd, 0xe9]),
        ),
        (
            "04 00",
            Notification::new(ErrorCode::HoldTimerExpired, 0, Bytes::new()),
        ),
        (
            "01 03 07",
            Notification::new(
                ErrorCode::MessageHeader,
                header_subcode::BAD_MESSAGE_TYPE,
                vec![7],
            ),
        ),
        (
            "06 02 05 68656C6C6F",
            Notification::new(
                ErrorCode::Cease,
                cease_subcode::ADMINISTRATIVE_SHUTDOWN,
                b"\x05hello".to_vec(),
            ),
        ),
        (
            "08 00",
            Notification::new(ErrorCode::SendHoldTimerExpired, 0, Bytes::new()),
        ),
        (
            "2A 09 FF",
            Notification::new(ErrorCode::Unknown(42), 9, vec![0xff]),
        ),
    ];
    for (body, n) in cases {
        assert_eq!(decode(body), Ok(n.clone()), "{body}");
        assert_eq!(encode(&n), hex(body), "{body}");
    }
}

#[test]
fn body_shorter_than_code_and_subcode_is_bad_message_length() {
    for body in ["", "06"] {
        let n = decode(body).unwrap_err().notification;
        assert_eq!(n.code, ErrorCode::MessageHeader);
        assert_eq!(n.subcode, header_subcode::BAD_MESSAGE_LENGTH);
        let len = 19 + hex(body).len() as u16;
        assert_eq!(&n.data[..], &len.to_be_bytes());
    }
}

#[test]
fn error_codes_round_trip_through_u8() {
    for v in 0..=255u8 {
        assert_eq!(u8::from(ErrorCode::from(v)), v);
    }
    assert_eq!(ErrorCode::from(6), ErrorCode::Cease);
    assert_eq!(ErrorCode::from(0), ErrorCode::Unknown(0));
    assert_eq!(ErrorCode::from(9), ErrorCode::Unknown(9));
}

#[test]
fn cease_with_reason_prefixes_the_utf8_length() {
    let n = Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_RESET, "bye ✓");
    assert_eq!(n.code, ErrorCode::Cease);
    assert_eq!(n.subcode, cease_subcode::ADMINISTRATIVE_RESET);
    assert_eq!(&n.data[..], b"\x07bye \xe2\x9c\x93");
    assert_eq!(n.shutdown_communication().as_deref(), Some("bye ✓"));
}

#[test]
fn cease_with_reason_truncates_to_255_octets() {
    let n =
        Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, &"x".repeat(300));
    assert_eq!(n.data.len(), 256);
    assert_eq!(n.data[0], 255);
    assert_eq!(n.shutdown_communication(), Some("x".repeat(255)));
}

#[test]
fn cease_with_reason_truncates_on_a_char_boundary() {
    // 'é' is two octets: 255 would split the 128th, so 127 of them (254 octets) stay.
    let n =
        Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, &"é".repeat(200));
    assert_eq!(n.data[0], 254);
    assert_eq!(n.data.len(), 255);
    assert_eq!(n.shutdown_communication(), Some("é".repeat(127)));
    // A 3-octet char straddling the limit: 254 ASCII + '✓' (3 octets) keeps 254.
    let reason = format!("{}✓", "a".repeat(254));
    let n = Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, &reason);
    assert_eq!(n.data[0], 254);
}

#[test]
fn display_shows_code_subcode_and_shutdown_communication() {
    let n = Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, "upgrade");
    assert_eq!(n.to_string(), "NOTIFICATION Cease/2 \"upgrade\"");
    let n = Notification::new(ErrorCode::HoldTimerExpired, 0, Bytes::new());
    assert_eq!(n.to_string(), "NOTIFICATION HoldTimerExpired/0");
}

#[test]
fn cease_with_empty_reason_has_no_data() {
    let n = Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, "");
    assert!(n.data.is_empty());
    assert_eq!(n.shutdown_communication(), None);
}

#[test]
fn shutdown_communication_only_from_well_formed_admin_cease() {
    let cease = |subcode, data: &[u8]| Notification::new(ErrorCode::Cease, subcode, data.to_vec());
    let shutdown = cease_subcode::ADMINISTRATIVE_SHUTDOWN;
    assert_eq!(
        cease(shutdown, b"\x02ok")
            .shutdown_communication()
            .as_deref(),
        Some("ok")
    );
    // Octets after the communication are ignored (RFC 9003 section 3).
    assert_eq!(
        cease(shutdown, b"\x02ok!!")
            .shutdown_communication()
            .as_deref(),
        Some("ok")
    );
    // Other subcodes and codes carry none.
    assert_eq!(
        cease(cease_subcode::PEER_DECONFIGURED, b"\x02ok").shutdown_communication(),
        None
    );
    assert_eq!(
        Notification::new(ErrorCode::Open, shutdown, b"\x02ok".to_vec()).shutdown_communication(),
        None
    );
    // Malformed: no data, zero length, length past the data, invalid UTF-8.
    assert_eq!(cease(shutdown, b"").shutdown_communication(), None);
    assert_eq!(cease(shutdown, b"\x00").shutdown_communication(), None);
    assert_eq!(cease(shutdown, b"\x03ok").shutdown_communication(), None);
    assert_eq!(
        cease(shutdown, b"\x02\xff\xfe").shutdown_communication(),
        None
    );
}
