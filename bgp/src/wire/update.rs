//! UPDATE messages (RFC 4271 section 4.3, RFC 4760 for other families, RFC 7606 for
//! error handling) and End-of-RIB markers (RFC 4724 section 2).

use super::attribute::PathAttributes;
use super::error::{AttributeAction, AttributeIssue};
use crate::types::Family;
use ipnet::Ipv4Net;

/// An UPDATE message.
///
/// IPv4 unicast routes may travel in `withdrawn`/`nlri` (classic encoding) or in the
/// MP_REACH/MP_UNREACH attributes; IPv6 only in the latter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// Withdrawn IPv4 routes.
    pub withdrawn: Vec<Ipv4Net>,
    /// Path attributes.
    pub attributes: PathAttributes,
    /// Announced IPv4 routes.
    pub nlri: Vec<Ipv4Net>,
    /// Malformed attributes the decoder handled per RFC 7606 without a session reset.
    /// Always empty on UPDATEs we build.
    pub issues: Vec<AttributeIssue>,
}

impl Update {
    /// The End-of-RIB marker for `family` (RFC 4724 section 2): an empty UPDATE for IPv4
    /// unicast, an UPDATE with only an empty MP_UNREACH_NLRI for other families.
    pub fn end_of_rib(family: Family) -> Update {
        let _ = family;
        todo!("wire::Update::end_of_rib")
    }

    /// The family this UPDATE is an End-of-RIB marker for, if it is one.
    pub fn as_end_of_rib(&self) -> Option<Family> {
        todo!("wire::Update::as_end_of_rib")
    }

    /// True when RFC 7606 says to handle this UPDATE as a withdrawal of all its NLRI.
    pub fn is_treat_as_withdraw(&self) -> bool {
        self.issues
            .iter()
            .any(|i| i.action == AttributeAction::TreatAsWithdraw)
    }
}

impl Update {
    /// Decodes the body (everything after the 19-octet header) of this message type.
    pub(crate) fn decode_body(
        body: &[u8],
        ctx: &super::SessionContext,
    ) -> Result<Update, super::MessageError> {
        let _ = (body, ctx);
        todo!("wire::Update::decode_body")
    }

    /// Appends the body (everything after the header) of this message to `out`.
    pub(crate) fn encode_body(
        &self,
        ctx: &super::SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), super::EncodeError> {
        let _ = (ctx, out);
        todo!("wire::Update::encode_body")
    }
}
