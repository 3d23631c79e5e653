use super::*;
use crate::wire::SessionContext;
use lab::vectors::hex;

fn decode(body: &[u8]) -> Result<RouteRefresh, crate::wire::MessageError> {
    RouteRefresh::decode_body(body, &SessionContext::default())
}

#[test]
fn afi_subtype_safi_both_ways() {
    let cases = [
        ("0001 00 01", Afi::Ipv4, RouteRefreshSubtype::Request),
        ("0002 00 01", Afi::Ipv6, RouteRefreshSubtype::Request),
        ("0001 01 01", Afi::Ipv4, RouteRefreshSubtype::Begin),
        ("0002 02 01", Afi::Ipv6, RouteRefreshSubtype::End),
        ("0001 07 01", Afi::Ipv4, RouteRefreshSubtype::Unknown(7)),
    ];
    for (body, afi, subtype) in cases {
        let rr = RouteRefresh {
            afi,
            safi: Safi::Unicast,
            subtype,
        };
        assert_eq!(decode(&hex(body)), Ok(rr), "{body}");
        let mut out = bytes::BytesMut::new();
        rr.encode_body(&SessionContext::default(), &mut out)
            .unwrap();
        assert_eq!(out.to_vec(), hex(body), "{body}");
    }
    assert_eq!(
        RouteRefresh::request(Afi::Ipv6, Safi::Unicast).subtype,
        RouteRefreshSubtype::Request
    );
}

#[test]
fn subtypes_round_trip_through_u8() {
    for v in 0..=255u8 {
        assert_eq!(u8::from(RouteRefreshSubtype::from(v)), v);
    }
}

#[test]
fn wrong_length_is_invalid_message_length_with_whole_message_as_data() {
    for body in ["0001 00 01 00", "0001 00", "0001 01 01 FFFF"] {
        let body = hex(body);
        let n = decode(&body).unwrap_err().notification;
        assert_eq!(n.code, ErrorCode::RouteRefresh);
        assert_eq!(n.subcode, route_refresh_subcode::INVALID_MESSAGE_LENGTH);
        let mut message = vec![0xff; 16];
        message.extend_from_slice(&(19 + body.len() as u16).to_be_bytes());
        message.push(5);
        message.extend_from_slice(&body);
        assert_eq!(n.data.to_vec(), message);
    }
}
