//! OPEN messages (RFC 4271 section 4.2) with optional parameters (RFC 5492 capabilities,
//! RFC 9072 extended optional parameters length).

use super::capability::Capability;
use super::notification::{ErrorCode, Notification, open_subcode};
use crate::types::{Asn, HoldTime, RouterId};
use bytes::BytesMut;
use std::net::Ipv4Addr;

/// An OPEN message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    /// Protocol version; 4.
    pub version: u8,
    /// The 2-octet "My Autonomous System" field: the ASN, or AS_TRANS when it does not fit.
    /// The real ASN of a 4-octet speaker is in [`Capability::FourOctetAs`]; use [`Open::asn`].
    pub my_as: u16,
    /// Proposed hold time in seconds: 0, or at least 3.
    pub hold_time: u16,
    /// The sender's BGP Identifier.
    pub router_id: RouterId,
    /// Capabilities in the order received or to be sent. Unknown ones are kept as
    /// [`Capability::Unknown`] and ignored by negotiation.
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// The sender's ASN: the 4-octet AS capability's value if present, else `my_as`.
    pub fn asn(&self) -> Asn {
        self.capabilities
            .iter()
            .find_map(|c| match c {
                Capability::FourOctetAs(asn) => Some(*asn),
                _ => None,
            })
            .unwrap_or(Asn(u32::from(self.my_as)))
    }
}

/// The only BGP version there is (RFC 4271 section 4.2).
pub const BGP_VERSION: u8 = 4;

/// Optional parameter type of Capabilities (RFC 5492 section 4).
const PARAM_CAPABILITIES: u8 = 2;
/// RFC 9072 section 2: a "Non-Ext OP Type" of 255 marks the extended encoding, in which
/// the optional parameters length and each parameter length take two octets.
const PARAM_EXTENDED_LENGTH: u8 = 255;

/// Body octets before the optional parameters: version (1), My AS (2), Hold Time (2),
/// BGP Identifier (4), Opt Parm Len (1).
const FIXED_LEN: usize = 10;

impl Open {
    /// Decodes the body (everything after the 19-octet header) of this message type.
    ///
    /// Checks what RFC 4271 section 6.2 lets the message itself decide: version, hold
    /// time, a non-zero BGP Identifier (RFC 6286), and the optional parameter layout.
    /// Whether the peer's AS is the expected one is the session's decision.
    pub(crate) fn decode_body(
        body: &[u8],
        _ctx: &super::SessionContext,
    ) -> Result<Open, super::MessageError> {
        let Some((fixed, params)) = body.split_first_chunk::<FIXED_LEN>() else {
            return Err(super::header::bad_body_length(
                body.len(),
                "OPEN shorter than 29 octets",
            ));
        };
        let [
            version,
            as_hi,
            as_lo,
            hold_hi,
            hold_lo,
            id0,
            id1,
            id2,
            id3,
            opt_len,
        ] = *fixed;
        // RFC 4271 6.2: the data is the largest locally supported version, 2 octets.
        if version != BGP_VERSION {
            return Err(open_error(
                open_subcode::UNSUPPORTED_VERSION,
                vec![0, BGP_VERSION],
                format!("unsupported BGP version {version}"),
            ));
        }
        let hold_time = u16::from_be_bytes([hold_hi, hold_lo]);
        // RFC 4271 6.2: "An implementation MUST reject Hold Time values of one or two
        // seconds."
        if HoldTime::new(hold_time).is_err() {
            return Err(open_error(
                open_subcode::UNACCEPTABLE_HOLD_TIME,
                Vec::new(),
                format!("hold time {hold_time} is neither 0 nor at least 3"),
            ));
        }
        // RFC 6286 section 2.2: the identifier is any non-zero 4-octet value.
        let router_id = RouterId::new(Ipv4Addr::new(id0, id1, id2, id3)).map_err(|_| {
            open_error(
                open_subcode::BAD_BGP_IDENTIFIER,
                Vec::new(),
                "BGP Identifier is zero".to_string(),
            )
        })?;
        let capabilities = decode_parameters(opt_len, params)?;
        Ok(Open {
            version,
            my_as: u16::from_be_bytes([as_hi, as_lo]),
            hold_time,
            router_id,
            capabilities,
        })
    }

    /// Appends the body (everything after the header) of this message to `out`.
    ///
    /// Each capability goes in its own Capabilities parameter (RFC 5492 section 4 allows
    /// one or several per parameter; one each is what most speakers send). When the
    /// parameters exceed 255 octets the RFC 9072 extended encoding is used.
    pub(crate) fn encode_body(
        &self,
        _ctx: &super::SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), super::EncodeError> {
        let mut caps = Vec::with_capacity(self.capabilities.len());
        for cap in &self.capabilities {
            let mut tlv = BytesMut::new();
            cap.encode(&mut tlv)?;
            caps.push(tlv);
        }
        let short_len: usize = caps.iter().map(|c| 2 + c.len()).sum();
        out.extend_from_slice(&[self.version]);
        out.extend_from_slice(&self.my_as.to_be_bytes());
        out.extend_from_slice(&self.hold_time.to_be_bytes());
        out.extend_from_slice(&self.router_id.addr().octets());
        if let Ok(len) = u8::try_from(short_len) {
            // RFC 9072 section 2 keeps the classic encoding whenever it fits; a classic
            // length of 255 would be read as the extended marker only if the first
            // parameter type were 255, and ours is always 2.
            out.extend_from_slice(&[len]);
            for tlv in &caps {
                // Each TLV is shorter than the 255-octet total just checked.
                out.extend_from_slice(&[PARAM_CAPABILITIES, tlv.len() as u8]);
                out.extend_from_slice(tlv);
            }
        } else {
            let ext_len: usize = caps.iter().map(|c| 3 + c.len()).sum();
            let ext_len = u16::try_from(ext_len)
                .map_err(|_| super::EncodeError::FieldOverflow("optional parameters"))?;
            out.extend_from_slice(&[PARAM_EXTENDED_LENGTH, PARAM_EXTENDED_LENGTH]);
            out.extend_from_slice(&ext_len.to_be_bytes());
            for tlv in &caps {
                out.extend_from_slice(&[PARAM_CAPABILITIES]);
                // Each TLV is at most 257 octets, far below u16::MAX.
                out.extend_from_slice(&(tlv.len() as u16).to_be_bytes());
                out.extend_from_slice(tlv);
            }
        }
        Ok(())
    }
}

/// Decodes the optional parameters (RFC 4271 section 4.2, RFC 9072 section 2) into the
/// capabilities they carry. `params` is everything after the Opt Parm Len octet.
///
/// Lengths that disagree with each other or with the message are answered with OPEN
/// Message Error / Unspecific: RFC 4271 defines no subcode for them.
fn decode_parameters(opt_len: u8, params: &[u8]) -> Result<Vec<Capability>, super::MessageError> {
    let extended = opt_len != 0 && params.first() == Some(&PARAM_EXTENDED_LENGTH);
    let (params, len_width) = if extended {
        let Some(([_, hi, lo], rest)) = params.split_first_chunk::<3>() else {
            return Err(unspecific("extended optional parameters length truncated"));
        };
        let ext_len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if ext_len != rest.len() {
            return Err(unspecific(&format!(
                "extended optional parameters length {ext_len} but {} octets follow",
                rest.len()
            )));
        }
        (rest, 2)
    } else {
        if usize::from(opt_len) != params.len() {
            return Err(unspecific(&format!(
                "optional parameters length {opt_len} but {} octets follow",
                params.len()
            )));
        }
        (params, 1)
    };

    let mut capabilities = Vec::new();
    let mut rest = params;
    while let Some((&param_type, after_type)) = rest.split_first() {
        let Some((len_bytes, after_len)) = after_type.split_at_checked(len_width) else {
            return Err(unspecific("optional parameter length truncated"));
        };
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        let Some((value, next)) = after_len.split_at_checked(len) else {
            return Err(unspecific(&format!(
                "optional parameter {param_type} length {len} overruns the message"
            )));
        };
        if param_type != PARAM_CAPABILITIES {
            // RFC 4271 6.2: an optional parameter that is not recognized.
            return Err(open_error(
                open_subcode::UNSUPPORTED_OPTIONAL_PARAMETER,
                Vec::new(),
                format!("unsupported optional parameter type {param_type}"),
            ));
        }
        capabilities.extend(Capability::decode_all(value)?);
        rest = next;
    }
    Ok(capabilities)
}

fn open_error(subcode: u8, data: Vec<u8>, reason: String) -> super::MessageError {
    super::MessageError {
        notification: Notification::new(ErrorCode::Open, subcode, data),
        reason,
    }
}

fn unspecific(reason: &str) -> super::MessageError {
    open_error(open_subcode::UNSPECIFIC, Vec::new(), reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Afi, Safi};
    use crate::wire::SessionContext;
    use crate::wire::testutil::hex;

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
}
