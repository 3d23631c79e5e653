//! Error values of the codec, and the RFC 7606 action table for path attributes.

use super::notification::Notification;

/// A received message that cannot be accepted as a whole: the session must be reset with
/// this NOTIFICATION (RFC 4271 section 6, RFC 7606 section 3 "session reset").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {notification}")]
pub struct MessageError {
    /// The NOTIFICATION to send, with the exact code, subcode and data.
    pub notification: Notification,
    /// A short human explanation for logs and status ("AS_PATH segment overruns attribute").
    pub reason: String,
}

/// What RFC 7606 says to do with a malformed path attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttributeAction {
    /// Drop the attribute, keep the rest of the UPDATE (RFC 7606 section 2, "attribute discard").
    Discard,
    /// Handle the UPDATE as if all its NLRI were withdrawn (RFC 7606 section 2, "treat-as-withdraw").
    TreatAsWithdraw,
}

/// A malformed attribute that was handled without resetting the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeIssue {
    /// The attribute type code.
    pub type_code: u8,
    /// What was done about it.
    pub action: AttributeAction,
    /// Why, for logs.
    pub reason: String,
}

/// A message we were asked to send that does not fit on the wire.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The encoded message would be longer than the session allows.
    #[error("message of {len} octets exceeds the maximum of {max}")]
    TooLong {
        /// Length the message would have had.
        len: usize,
        /// The session's maximum.
        max: usize,
    },
    /// A field does not fit its wire width (an attribute over 65535 octets, a capability
    /// over 255, more than 255 ASNs in a segment is split instead and never reported here).
    #[error("{0} does not fit its wire field")]
    FieldOverflow(&'static str),
}
