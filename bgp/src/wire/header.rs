//! The 19-octet message header (RFC 4271 section 4.1) and message framing.

use super::MessageError;
use super::notification::header_subcode;

/// Length of the header: 16-octet marker, 2-octet length, 1-octet type.
pub const HEADER_LEN: usize = 19;
/// Largest message without the extended message capability (RFC 4271).
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Largest message once both sides announced extended messages (RFC 8654).
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

/// The marker: 16 octets of all ones (RFC 4271 section 4.1).
pub const MARKER: [u8; 16] = [0xff; 16];

/// Smallest OPEN: header + version, My AS, Hold Time, BGP Identifier, Opt Parm Len.
pub const MIN_OPEN_LEN: usize = 29;
/// Smallest UPDATE: header + two empty 2-octet length fields.
pub const MIN_UPDATE_LEN: usize = 23;
/// Smallest NOTIFICATION: header + error code + error subcode.
pub const MIN_NOTIFICATION_LEN: usize = 21;
/// A KEEPALIVE is the header alone.
pub const KEEPALIVE_LEN: usize = 19;
/// A ROUTE-REFRESH: header + AFI, subtype, SAFI (RFC 2918 section 3).
pub const ROUTE_REFRESH_LEN: usize = 23;

/// Message type codes (RFC 4271 section 4.1, RFC 2918).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 1
    Open,
    /// 2
    Update,
    /// 3
    Notification,
    /// 4
    Keepalive,
    /// 5
    RouteRefresh,
}

impl MessageType {
    /// The type for a wire code, if it is one we know.
    pub fn from_code(code: u8) -> Option<MessageType> {
        match code {
            1 => Some(MessageType::Open),
            2 => Some(MessageType::Update),
            3 => Some(MessageType::Notification),
            4 => Some(MessageType::Keepalive),
            5 => Some(MessageType::RouteRefresh),
            _ => None,
        }
    }

    /// The wire code of this type.
    pub fn code(self) -> u8 {
        match self {
            MessageType::Open => 1,
            MessageType::Update => 2,
            MessageType::Notification => 3,
            MessageType::Keepalive => 4,
            MessageType::RouteRefresh => 5,
        }
    }

    /// The largest length a message of this type may have on a session whose limit is
    /// `max_message_len`. RFC 8654 section 4: the extended message capability does not
    /// apply to OPEN and KEEPALIVE, which stay within 4096 octets.
    pub fn max_len(self, max_message_len: usize) -> usize {
        let max = max_message_len.min(MAX_EXTENDED_MESSAGE_LEN);
        match self {
            MessageType::Open | MessageType::Keepalive => max.min(MAX_MESSAGE_LEN),
            _ => max,
        }
    }

    /// Whether `length` (header included) is acceptable for this type, by the lower
    /// bounds of RFC 4271 section 6.1 (and RFC 2918 for ROUTE-REFRESH).
    fn length_ok(self, length: usize) -> bool {
        match self {
            MessageType::Open => length >= MIN_OPEN_LEN,
            MessageType::Update => length >= MIN_UPDATE_LEN,
            MessageType::Notification => length >= MIN_NOTIFICATION_LEN,
            MessageType::Keepalive => length == KEEPALIVE_LEN,
            MessageType::RouteRefresh => length >= ROUTE_REFRESH_LEN,
        }
    }
}

/// A validated message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Total message length, header included; already checked against the bounds.
    pub length: usize,
    /// The message type.
    pub message_type: MessageType,
}

impl Header {
    /// Reads the header at the start of `buf`.
    ///
    /// `Ok(None)` when fewer than [`HEADER_LEN`] octets are there. Checks the marker, that
    /// `HEADER_LEN <= length <= max_message_len`, the per-type minimum lengths and the type
    /// code, before the length is used for anything (RFC 4271 section 6.1).
    pub fn parse(buf: &[u8], max_message_len: usize) -> Result<Option<Header>, MessageError> {
        let Some(raw) = buf.get(..HEADER_LEN) else {
            return Ok(None);
        };
        // RFC 4271 6.1: "If the Marker field of the message header is not as expected,
        // then a synchronization error has occurred": no data.
        if raw[..16] != MARKER {
            return Err(MessageError::header(
                header_subcode::CONNECTION_NOT_SYNCHRONIZED,
                Vec::new(),
                "marker is not all ones".to_string(),
            ));
        }
        let length_field = [raw[16], raw[17]];
        let length = usize::from(u16::from_be_bytes(length_field));
        let type_code = raw[18];
        // RFC 4271 6.1: length out of bounds -> Bad Message Length, data = the
        // erroneous Length field. Checked before the type, whose own bounds need it.
        if !(HEADER_LEN..=max_message_len).contains(&length) {
            return Err(MessageError::bad_length(
                length_field,
                length,
                "outside 19..=maximum",
            ));
        }
        // RFC 4271 6.1: unrecognized type -> Bad Message Type, data = the Type field.
        let Some(message_type) = MessageType::from_code(type_code) else {
            return Err(MessageError::header(
                header_subcode::BAD_MESSAGE_TYPE,
                vec![type_code],
                format!("unknown message type {type_code}"),
            ));
        };
        if !message_type.length_ok(length) {
            return Err(MessageError::bad_length(
                length_field,
                length,
                "below the minimum for its type",
            ));
        }
        if length > message_type.max_len(max_message_len) {
            return Err(MessageError::bad_length(
                length_field,
                length,
                "over 4096 for OPEN or KEEPALIVE (RFC 8654 section 4)",
            ));
        }
        Ok(Some(Header {
            length,
            message_type,
        }))
    }

    /// Appends a header for a message of `length` octets (header included) to `out`.
    pub fn write(message_type: MessageType, length: u16, out: &mut bytes::BytesMut) {
        out.extend_from_slice(&MARKER);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&[message_type.code()]);
    }
}

#[cfg(test)]
mod tests;
