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
            return Err(super::MessageError::bad_body_length(
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
mod tests;
