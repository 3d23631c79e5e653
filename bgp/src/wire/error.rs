//! Error values of the codec, and the RFC 7606 action table for path attributes.

use super::HEADER_LEN;
use super::notification::{ErrorCode, Notification, header_subcode};

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
    /// The message contradicts itself and would not decode as built (a prefix of another
    /// family in an MP_REACH_NLRI, an IPv4 next hop for IPv6 routes).
    #[error("inconsistent message: {0}")]
    Inconsistent(&'static str),
}

impl MessageError {
    /// An UPDATE Message Error (code 3) with this subcode and data (RFC 4271 section 6.3).
    pub fn update(subcode: u8, data: impl Into<bytes::Bytes>, reason: impl Into<String>) -> Self {
        MessageError {
            notification: Notification::new(ErrorCode::Update, subcode, data),
            reason: reason.into(),
        }
    }

    /// A Message Header Error (code 1) with this subcode and data (RFC 4271 section 6.1).
    pub fn header(subcode: u8, data: impl Into<bytes::Bytes>, reason: impl Into<String>) -> Self {
        MessageError {
            notification: Notification::new(ErrorCode::MessageHeader, subcode, data),
            reason: reason.into(),
        }
    }

    /// Message Header Error / Bad Message Length; the data is the 2-octet Length field as
    /// received (RFC 4271 section 6.1).
    pub fn bad_length(length_field: [u8; 2], length: usize, why: &str) -> Self {
        MessageError::header(
            header_subcode::BAD_MESSAGE_LENGTH,
            length_field.to_vec(),
            format!("bad message length {length}: {why}"),
        )
    }

    /// Bad Message Length for a body handed to a body decoder: the Length field it came
    /// with is rebuilt from the body (a body longer than 65516 octets cannot have come off
    /// the wire, and saturates).
    pub fn bad_body_length(body_len: usize, why: &str) -> Self {
        let length = body_len.saturating_add(HEADER_LEN);
        let field = u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes();
        MessageError::bad_length(field, length, why)
    }
}

/// The three ways RFC 7606 (section 2) handles a malformed path attribute, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rfc7606Action {
    /// "Attribute discard": drop the attribute, process the rest of the UPDATE.
    AttributeDiscard,
    /// "Treat-as-withdraw": keep parsing, then withdraw every route the UPDATE carries.
    TreatAsWithdraw,
    /// "Session reset": send a NOTIFICATION and close the session (RFC 4271 section 6).
    SessionReset,
}

impl Rfc7606Action {
    /// The action as recorded in [`AttributeIssue`]; `None` for a session reset, which is
    /// reported as a [`MessageError`] instead.
    pub fn as_attribute_action(self) -> Option<AttributeAction> {
        match self {
            Rfc7606Action::AttributeDiscard => Some(AttributeAction::Discard),
            Rfc7606Action::TreatAsWithdraw => Some(AttributeAction::TreatAsWithdraw),
            Rfc7606Action::SessionReset => None,
        }
    }
}

/// Path attribute type codes this crate interprets (IANA "BGP Path Attributes").
pub mod type_code {
    /// ORIGIN (RFC 4271).
    pub const ORIGIN: u8 = 1;
    /// AS_PATH (RFC 4271).
    pub const AS_PATH: u8 = 2;
    /// NEXT_HOP (RFC 4271).
    pub const NEXT_HOP: u8 = 3;
    /// MULTI_EXIT_DISC (RFC 4271).
    pub const MULTI_EXIT_DISC: u8 = 4;
    /// LOCAL_PREF (RFC 4271).
    pub const LOCAL_PREF: u8 = 5;
    /// ATOMIC_AGGREGATE (RFC 4271).
    pub const ATOMIC_AGGREGATE: u8 = 6;
    /// AGGREGATOR (RFC 4271, RFC 6793).
    pub const AGGREGATOR: u8 = 7;
    /// COMMUNITIES (RFC 1997).
    pub const COMMUNITIES: u8 = 8;
    /// ORIGINATOR_ID (RFC 4456).
    pub const ORIGINATOR_ID: u8 = 9;
    /// CLUSTER_LIST (RFC 4456).
    pub const CLUSTER_LIST: u8 = 10;
    /// MP_REACH_NLRI (RFC 4760).
    pub const MP_REACH_NLRI: u8 = 14;
    /// MP_UNREACH_NLRI (RFC 4760).
    pub const MP_UNREACH_NLRI: u8 = 15;
    /// EXTENDED COMMUNITIES (RFC 4360); see [`crate::wire::attribute::extended`].
    pub const EXTENDED_COMMUNITIES: u8 = 16;
    /// AS4_PATH (RFC 6793).
    pub const AS4_PATH: u8 = 17;
    /// AS4_AGGREGATOR (RFC 6793).
    pub const AS4_AGGREGATOR: u8 = 18;
    /// LARGE_COMMUNITY (RFC 8092).
    pub const LARGE_COMMUNITY: u8 = 32;
}

/// The RFC 7606 table: what to do with a malformed attribute of this type, received on a
/// session of this kind (`ebgp`). Malformed covers a wrong length, an invalid value and
/// (RFC 7606 section 3 (c)) Optional/Transitive flags in conflict with the attribute's
/// definition. The answer comes from the attribute's type code, never from its flags.
///
/// Attributes this crate does not interpret cannot be found malformed; the row for them
/// only matters for flags, and the default of section 3 (c) applies.
pub fn malformed_attribute_action(code: u8, ebgp: bool) -> Rfc7606Action {
    use Rfc7606Action::*;
    use type_code::*;
    match code {
        // 7.1: "The attribute is considered malformed if its length is not 1 or it has an
        // undefined value ... the 'treat-as-withdraw' approach MUST be used."
        ORIGIN => TreatAsWithdraw,
        // 7.2: a malformed AS_PATH (bad segment type, overrun, underrun, zero segment
        // length) "MUST be handled using the approach of 'treat-as-withdraw'".
        AS_PATH => TreatAsWithdraw,
        // 7.3: "If the NEXT_HOP attribute is malformed, the 'treat-as-withdraw' approach
        // MUST be used."
        NEXT_HOP => TreatAsWithdraw,
        // 7.4: MULTI_EXIT_DISC of a length other than 4: "treat-as-withdraw".
        MULTI_EXIT_DISC => TreatAsWithdraw,
        // 7.5: "if the LOCAL_PREF attribute is received from an external neighbor, it SHALL
        // be discarded using the approach of 'attribute discard'; or if received from an
        // internal neighbor, it SHALL be considered malformed if its length is not equal
        // to 4. If malformed, the 'treat-as-withdraw' approach SHALL be used."
        LOCAL_PREF if ebgp => AttributeDiscard,
        LOCAL_PREF => TreatAsWithdraw,
        // 7.6: ATOMIC_AGGREGATE of a length other than 0: "attribute discard".
        ATOMIC_AGGREGATE => AttributeDiscard,
        // 7.7: AGGREGATOR of a length other than 6 (2-octet AS) or 8 (4-octet AS):
        // "attribute discard".
        AGGREGATOR => AttributeDiscard,
        // 7.8: COMMUNITIES whose length is not a non-zero multiple of 4: "treat-as-withdraw".
        COMMUNITIES => TreatAsWithdraw,
        // 7.9: from an external neighbor "it SHALL be discarded using the approach of
        // 'attribute discard'"; from an internal one, a length other than 4 is malformed
        // and "treat-as-withdraw" applies.
        ORIGINATOR_ID if ebgp => AttributeDiscard,
        ORIGINATOR_ID => TreatAsWithdraw,
        // 7.10: as 7.9, with a length that is not a non-zero multiple of 4.
        CLUSTER_LIST if ebgp => AttributeDiscard,
        CLUSTER_LIST => TreatAsWithdraw,
        // 7.11, 7.12 and 5.3: when the NLRI of MP_REACH_NLRI / MP_UNREACH_NLRI cannot be
        // reliably located or parsed, "the 'session reset' approach (or the 'AFI/SAFI
        // disable' approach) MUST be used". This crate does not implement AFI/SAFI disable.
        MP_REACH_NLRI | MP_UNREACH_NLRI => SessionReset,
        // 7.14: EXTENDED COMMUNITIES whose length is not a non-zero multiple of 8:
        // "treat-as-withdraw".
        EXTENDED_COMMUNITIES => TreatAsWithdraw,
        // RFC 6793 section 6: a malformed AS4_PATH or AS4_AGGREGATOR is handled with
        // "attribute discard" (the AS_PATH / AGGREGATOR alone are still usable).
        AS4_PATH | AS4_AGGREGATOR => AttributeDiscard,
        // RFC 8092 section 6: LARGE_COMMUNITY whose length is not a non-zero multiple of 12
        // is malformed and "treat-as-withdraw" MUST be used.
        LARGE_COMMUNITY => TreatAsWithdraw,
        // 3 (c): flags in conflict with the definition: "the attribute MUST be treated as
        // malformed and the 'treat-as-withdraw' approach used, unless the specification
        // for the attribute mandates different handling".
        _ => TreatAsWithdraw,
    }
}

/// True when RFC 7606 says a well-formed attribute of this type received on an eBGP
/// session is dropped anyway ("attribute discard"): LOCAL_PREF (section 7.5, also
/// RFC 4271 section 5.1.5), ORIGINATOR_ID (7.9) and CLUSTER_LIST (7.10).
pub fn discarded_from_external_peer(code: u8) -> bool {
    matches!(
        code,
        type_code::LOCAL_PREF | type_code::ORIGINATOR_ID | type_code::CLUSTER_LIST
    )
}

#[cfg(test)]
mod tests;
