//! The 19-octet message header (RFC 4271 section 4.1) and message framing.

/// Length of the header: 16-octet marker, 2-octet length, 1-octet type.
pub const HEADER_LEN: usize = 19;
/// Largest message without the extended message capability (RFC 4271).
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Largest message once both sides announced extended messages (RFC 8654).
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

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
    pub fn parse(
        buf: &[u8],
        max_message_len: usize,
    ) -> Result<Option<Header>, super::MessageError> {
        let _ = (buf, max_message_len);
        todo!("wire::Header::parse")
    }
}
