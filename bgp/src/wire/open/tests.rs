use super::*;
use crate::types::{Afi, Safi};
use crate::wire::SessionContext;
use lab::vectors::hex;

fn decode(body: &str) -> Result<Open, crate::wire::MessageError> {
    Open::decode_body(&hex(body), &SessionContext::default())
}

fn encode(open: &Open) -> Vec<u8> {
    let mut out = BytesMut::new();
    open.encode_body(&SessionContext::default(), &mut out)
        .expect("encodes");
    out.to_vec()
}

fn assert_open_error(body: &str, subcode: u8, data: &[u8]) {
    let n = decode(body).expect_err(body).notification;
    assert_eq!(n.code, ErrorCode::Open, "{body}");
    assert_eq!(n.subcode, subcode, "{body}");
    assert_eq!(&n.data[..], data, "{body}");
}

fn ipv4_unicast() -> Capability {
    Capability::Multiprotocol {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    }
}

fn open(capabilities: Vec<Capability>) -> Open {
    Open {
        version: 4,
        my_as: 65000,
        hold_time: 90,
        router_id: RouterId::new(Ipv4Addr::new(10, 0, 0, 1)).unwrap(),
        capabilities,
    }
}

#[test]
fn one_capability_per_parameter_both_ways() {
    let body = "04 FDE8 005A 0A000001 14 \
                    02 06 01 04 0001 00 01 \
                    02 02 02 00 \
                    02 06 41 04 0000FDE8";
    let expected = open(vec![
        ipv4_unicast(),
        Capability::RouteRefresh,
        Capability::FourOctetAs(Asn(65000)),
    ]);
    assert_eq!(decode(body), Ok(expected.clone()));
    assert_eq!(encode(&expected), hex(body));
}

#[test]
fn several_capabilities_in_one_parameter_decode_in_order() {
    let body = "04 FDE8 005A 0A000001 10 \
                    02 0E 01040001 0001 0200 41040000FDE8";
    assert_eq!(
        decode(body),
        Ok(open(vec![
            ipv4_unicast(),
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(65000)),
        ]))
    );
}

#[test]
fn several_parameters_with_several_capabilities_each() {
    let body = "04 FDE8 005A 0A000001 0E \
                    02 04 0200 0600 \
                    02 06 41040000FDE8";
    assert_eq!(
        decode(body),
        Ok(open(vec![
            Capability::RouteRefresh,
            Capability::ExtendedMessage,
            Capability::FourOctetAs(Asn(65000)),
        ]))
    );
}

#[test]
fn no_optional_parameters_and_empty_capabilities_parameter() {
    assert_eq!(decode("04 FDE8 005A 0A000001 00"), Ok(open(vec![])));
    assert_eq!(decode("04 FDE8 005A 0A000001 02 0200"), Ok(open(vec![])));
    assert_eq!(encode(&open(vec![])), hex("04 FDE8 005A 0A000001 00"));
}

#[test]
fn extended_optional_parameters_length_rfc9072() {
    let body = "04 FDE8 005A 0A000001 FF FF 0009 02 0006 01 04 0001 00 01";
    assert_eq!(decode(body), Ok(open(vec![ipv4_unicast()])));
}

#[test]
fn encode_switches_to_extended_parameters_past_255_octets() {
    // 30 capabilities of 8 octets, each in a parameter with a 3-octet header in the
    // extended form: 330 octets, too many for the classic 1-octet length.
    let caps: Vec<Capability> = (0..30)
        .map(|i| Capability::Unknown {
            code: 200,
            value: bytes::Bytes::from(vec![i; 6]),
        })
        .collect();
    let msg = open(caps);
    let bytes = encode(&msg);
    assert_eq!(&bytes[9..13], &[0xff, 0xff, 0x01, 0x4a]);
    assert_eq!(bytes.len(), 13 + 30 * 11);
    assert_eq!(
        Open::decode_body(&bytes, &SessionContext::default()),
        Ok(msg)
    );
}

#[test]
fn classic_length_of_255_is_not_mistaken_for_extended() {
    // 255 octets of parameters whose first type is 2, not 255.
    let cap = Capability::Unknown {
        code: 200,
        value: bytes::Bytes::from(vec![7; 251]),
    };
    let bytes = encode(&open(vec![cap.clone()]));
    assert_eq!(&bytes[9..11], &[0xff, 0x02]);
    assert_eq!(
        Open::decode_body(&bytes, &SessionContext::default()),
        Ok(open(vec![cap]))
    );
}

#[test]
fn version_other_than_4_is_unsupported_version_with_4_as_data() {
    assert_open_error(
        "03 FDE8 005A 0A000001 00",
        open_subcode::UNSUPPORTED_VERSION,
        &[0, 4],
    );
    assert_open_error(
        "05 FDE8 005A 0A000001 00",
        open_subcode::UNSUPPORTED_VERSION,
        &[0, 4],
    );
}

#[test]
fn hold_time_of_one_or_two_seconds_is_unacceptable() {
    for hold in ["0001", "0002"] {
        assert_open_error(
            &format!("04 FDE8 {hold} 0A000001 00"),
            open_subcode::UNACCEPTABLE_HOLD_TIME,
            &[],
        );
    }
    assert_eq!(decode("04 FDE8 0000 0A000001 00").unwrap().hold_time, 0);
    assert_eq!(decode("04 FDE8 0003 0A000001 00").unwrap().hold_time, 3);
}

#[test]
fn zero_bgp_identifier_is_bad_bgp_identifier() {
    assert_open_error(
        "04 FDE8 005A 00000000 00",
        open_subcode::BAD_BGP_IDENTIFIER,
        &[],
    );
}

#[test]
fn peer_as_is_not_judged_by_the_codec() {
    assert_eq!(decode("04 0000 005A 0A000001 00").unwrap().my_as, 0);
}

#[test]
fn unknown_optional_parameter_is_unsupported_optional_parameter() {
    // Type 1 (the deprecated Authentication parameter) and an unassigned type.
    for body in [
        "04 FDE8 005A 0A000001 04 01 02 0000",
        "04 FDE8 005A 0A000001 06 0200 03 02 0000",
        "04 FDE8 005A 0A000001 FF FF 0004 07 0001 00",
    ] {
        assert_open_error(body, open_subcode::UNSUPPORTED_OPTIONAL_PARAMETER, &[]);
    }
}

#[test]
fn inconsistent_parameter_lengths_are_open_error_unspecific() {
    for body in [
        // Opt Parm Len larger, then smaller, than what follows.
        "04 FDE8 005A 0A000001 05 0202 0200",
        "04 FDE8 005A 0A000001 03 0202 0200",
        // A parameter length running past the parameters.
        "04 FDE8 005A 0A000001 04 0203 0200",
        // A parameter header cut short.
        "04 FDE8 005A 0A000001 01 02",
        // Extended: length field cut short, and disagreeing with what follows.
        "04 FDE8 005A 0A000001 FF FF 00",
        "04 FDE8 005A 0A000001 FF FF 0005 02 0001 00",
        "04 FDE8 005A 0A000001 FF FF 0003 02 0002",
        "04 FDE8 005A 0A000001 FF FF 0002 02 00",
        // A capability overrunning its parameter.
        "04 FDE8 005A 0A000001 04 02 02 4104",
    ] {
        assert_open_error(body, open_subcode::UNSPECIFIC, &[]);
    }
}

#[test]
fn body_shorter_than_fixed_fields_is_bad_message_length() {
    let n = decode("04 FDE8 005A 0A000001").unwrap_err().notification;
    assert_eq!(n.code, ErrorCode::MessageHeader);
    assert_eq!(
        n.subcode,
        crate::wire::notification::header_subcode::BAD_MESSAGE_LENGTH
    );
    assert_eq!(&n.data[..], &[0, 28]);
}

#[test]
fn asn_prefers_the_four_octet_capability() {
    let mut o = open(vec![Capability::FourOctetAs(Asn(4_200_000_000))]);
    o.my_as = Asn::TRANS.0 as u16;
    assert_eq!(o.asn(), Asn(4_200_000_000));
    assert_eq!(open(vec![]).asn(), Asn(65000));
}

#[test]
fn capability_encode_failure_fails_the_open() {
    let bad = Capability::Hostname {
        hostname: "h".repeat(300),
        domain: String::new(),
    };
    let mut out = BytesMut::new();
    assert_eq!(
        open(vec![bad]).encode_body(&SessionContext::default(), &mut out),
        Err(crate::wire::EncodeError::FieldOverflow("hostname"))
    );
}
