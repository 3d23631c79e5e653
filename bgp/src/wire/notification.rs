//! NOTIFICATION messages (RFC 4271 section 4.5) with the error codes and subcodes of
//! RFC 4271, 4486, 6608, 7313, 9687 and the shutdown communication of RFC 9003.

use crate::code_point::code_point;
use bytes::Bytes;
use std::fmt;

code_point! {
    /// NOTIFICATION error codes (IANA "BGP Error (Notification) Codes").
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ErrorCode: u8 {
        /// 1: Message Header Error.
        MessageHeader = 1,
        /// 2: OPEN Message Error.
        Open = 2,
        /// 3: UPDATE Message Error.
        Update = 3,
        /// 4: Hold Timer Expired.
        HoldTimerExpired = 4,
        /// 5: Finite State Machine Error (subcodes RFC 6608).
        Fsm = 5,
        /// 6: Cease (subcodes RFC 4486).
        Cease = 6,
        /// 7: ROUTE-REFRESH Message Error (RFC 7313).
        RouteRefresh = 7,
        /// 8: Send Hold Timer Expired (RFC 9687).
        SendHoldTimerExpired = 8;
        /// Any other code, kept for logging.
        Unknown,
    }
}

/// Subcodes of [`ErrorCode::MessageHeader`].
pub mod header_subcode {
    /// Connection Not Synchronized (marker not all ones).
    pub const CONNECTION_NOT_SYNCHRONIZED: u8 = 1;
    /// Bad Message Length; data is the 2-octet length field.
    pub const BAD_MESSAGE_LENGTH: u8 = 2;
    /// Bad Message Type; data is the type octet.
    pub const BAD_MESSAGE_TYPE: u8 = 3;
}

/// Subcodes of [`ErrorCode::Open`].
pub mod open_subcode {
    /// Unspecific.
    pub const UNSPECIFIC: u8 = 0;
    /// Unsupported Version Number; data is the largest version we support (2 octets).
    pub const UNSUPPORTED_VERSION: u8 = 1;
    /// Bad Peer AS.
    pub const BAD_PEER_AS: u8 = 2;
    /// Bad BGP Identifier.
    pub const BAD_BGP_IDENTIFIER: u8 = 3;
    /// Unsupported Optional Parameter.
    pub const UNSUPPORTED_OPTIONAL_PARAMETER: u8 = 4;
    /// Unacceptable Hold Time.
    pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
    /// Unsupported Capability (RFC 5492).
    pub const UNSUPPORTED_CAPABILITY: u8 = 7;
    /// Role Mismatch (RFC 9234); listed so it prints by name.
    pub const ROLE_MISMATCH: u8 = 11;
}

/// Subcodes of [`ErrorCode::Update`].
pub mod update_subcode {
    /// Malformed Attribute List.
    pub const MALFORMED_ATTRIBUTE_LIST: u8 = 1;
    /// Unrecognized Well-known Attribute.
    pub const UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: u8 = 2;
    /// Missing Well-known Attribute.
    pub const MISSING_WELL_KNOWN_ATTRIBUTE: u8 = 3;
    /// Attribute Flags Error.
    pub const ATTRIBUTE_FLAGS_ERROR: u8 = 4;
    /// Attribute Length Error.
    pub const ATTRIBUTE_LENGTH_ERROR: u8 = 5;
    /// Invalid ORIGIN Attribute.
    pub const INVALID_ORIGIN_ATTRIBUTE: u8 = 6;
    /// Invalid NEXT_HOP Attribute.
    pub const INVALID_NEXT_HOP_ATTRIBUTE: u8 = 8;
    /// Optional Attribute Error.
    pub const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;
    /// Invalid Network Field.
    pub const INVALID_NETWORK_FIELD: u8 = 10;
    /// Malformed AS_PATH.
    pub const MALFORMED_AS_PATH: u8 = 11;
}

/// Subcodes of [`ErrorCode::Fsm`] (RFC 6608).
pub mod fsm_subcode {
    /// Unspecified Error.
    pub const UNSPECIFIED: u8 = 0;
    /// Receive Unexpected Message in OpenSent State.
    pub const UNEXPECTED_IN_OPEN_SENT: u8 = 1;
    /// Receive Unexpected Message in OpenConfirm State.
    pub const UNEXPECTED_IN_OPEN_CONFIRM: u8 = 2;
    /// Receive Unexpected Message in Established State.
    pub const UNEXPECTED_IN_ESTABLISHED: u8 = 3;
}

/// Subcodes of [`ErrorCode::Cease`] (RFC 4486, RFC 9003).
pub mod cease_subcode {
    /// Maximum Number of Prefixes Reached.
    pub const MAX_PREFIXES: u8 = 1;
    /// Administrative Shutdown; may carry a shutdown communication (RFC 9003).
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
    /// Peer De-configured.
    pub const PEER_DECONFIGURED: u8 = 3;
    /// Administrative Reset; may carry a shutdown communication (RFC 9003).
    pub const ADMINISTRATIVE_RESET: u8 = 4;
    /// Connection Rejected.
    pub const CONNECTION_REJECTED: u8 = 5;
    /// Other Configuration Change.
    pub const OTHER_CONFIGURATION_CHANGE: u8 = 6;
    /// Connection Collision Resolution (RFC 4271 6.8).
    pub const CONNECTION_COLLISION_RESOLUTION: u8 = 7;
    /// Out of Resources.
    pub const OUT_OF_RESOURCES: u8 = 8;
    /// Hard Reset (RFC 8538).
    pub const HARD_RESET: u8 = 9;
    /// BFD Down (RFC 9384): a BFD session protecting this BGP session went down.
    pub const BFD_DOWN: u8 = 10;
}

/// Subcodes of [`ErrorCode::RouteRefresh`] (RFC 7313).
pub mod route_refresh_subcode {
    /// Invalid Message Length.
    pub const INVALID_MESSAGE_LENGTH: u8 = 1;
}

/// A NOTIFICATION message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Error code.
    pub code: ErrorCode,
    /// Error subcode; meaning depends on the code (see the `*_subcode` modules).
    pub subcode: u8,
    /// Diagnostic data, as the RFC for the code and subcode defines it.
    pub data: Bytes,
}

/// Longest shutdown communication, in octets of UTF-8 (RFC 9003 section 2).
pub const MAX_SHUTDOWN_COMMUNICATION_LEN: usize = 255;

impl Notification {
    /// A NOTIFICATION with the given code, subcode and data.
    pub fn new(code: ErrorCode, subcode: u8, data: impl Into<Bytes>) -> Notification {
        Notification {
            code,
            subcode,
            data: data.into(),
        }
    }

    /// Cease with a shutdown communication (RFC 9003): `subcode` is Administrative
    /// Shutdown or Administrative Reset; `reason` is truncated on a UTF-8 boundary to
    /// 255 octets.
    ///
    /// An empty `reason` gives a Cease without data: RFC 9003 section 2 lets a length of
    /// zero mean "no communication", and no data at all is what peers that predate RFC
    /// 9003 expect.
    pub fn cease_with_reason(subcode: u8, reason: &str) -> Notification {
        if reason.is_empty() {
            return Notification::new(ErrorCode::Cease, subcode, Bytes::new());
        }
        let text = truncate_utf8(reason, MAX_SHUTDOWN_COMMUNICATION_LEN);
        let mut data = Vec::with_capacity(1 + text.len());
        // `truncate_utf8` bounded the length to 255, so it fits the length octet.
        data.push(u8::try_from(text.len()).unwrap_or(u8::MAX));
        data.extend_from_slice(text.as_bytes());
        Notification::new(ErrorCode::Cease, subcode, data)
    }

    /// The RFC 9003 shutdown communication carried by a Cease, if any and well formed.
    ///
    /// Only Administrative Shutdown and Administrative Reset carry one. A length of zero,
    /// a length running past the data or invalid UTF-8 gives `None` (RFC 9003 section 3:
    /// such a message is logged, not used). Octets after the communication are ignored.
    pub fn shutdown_communication(&self) -> Option<String> {
        if self.code != ErrorCode::Cease
            || !matches!(
                self.subcode,
                cease_subcode::ADMINISTRATIVE_SHUTDOWN | cease_subcode::ADMINISTRATIVE_RESET
            )
        {
            return None;
        }
        let (&len, rest) = self.data.split_first()?;
        let text = rest.get(..usize::from(len))?;
        if text.is_empty() {
            return None;
        }
        std::str::from_utf8(text).ok().map(str::to_owned)
    }
}

/// The longest prefix of `s` that is at most `max` octets and ends on a char boundary.
fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl fmt::Display for Notification {
    /// `NOTIFICATION Cease/2`, followed by the shutdown communication when there is one:
    /// RFC 9003 section 3 asks that it be logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NOTIFICATION {:?}/{}", self.code, self.subcode)?;
        if let Some(text) = self.shutdown_communication() {
            write!(f, " {text:?}")?;
        }
        Ok(())
    }
}

impl Notification {
    /// Decodes the body (everything after the 19-octet header) of this message type.
    ///
    /// The body is error code, error subcode and data (RFC 4271 section 4.5). Unknown
    /// codes are kept: a NOTIFICATION closes the session whatever it says.
    pub(crate) fn decode_body(
        body: &[u8],
        _ctx: &super::SessionContext,
    ) -> Result<Notification, super::MessageError> {
        let [code, subcode, data @ ..] = body else {
            return Err(super::MessageError::bad_body_length(
                body.len(),
                "NOTIFICATION shorter than 21 octets",
            ));
        };
        Ok(Notification::new(
            ErrorCode::from(*code),
            *subcode,
            Bytes::copy_from_slice(data),
        ))
    }

    /// Appends the body (everything after the header) of this message to `out`.
    pub(crate) fn encode_body(
        &self,
        _ctx: &super::SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), super::EncodeError> {
        out.extend_from_slice(&[u8::from(self.code), self.subcode]);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
