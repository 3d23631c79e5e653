//! OPEN messages (RFC 4271 section 4.2) with optional parameters (RFC 5492 capabilities,
//! RFC 9072 extended optional parameters length).

use super::capability::Capability;
use crate::types::{Asn, RouterId};

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

impl Open {
    /// Decodes the body (everything after the 19-octet header) of this message type.
    pub(crate) fn decode_body(
        body: &[u8],
        ctx: &super::SessionContext,
    ) -> Result<Open, super::MessageError> {
        let _ = (body, ctx);
        todo!("wire::Open::decode_body")
    }

    /// Appends the body (everything after the header) of this message to `out`.
    pub(crate) fn encode_body(
        &self,
        ctx: &super::SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), super::EncodeError> {
        let _ = (ctx, out);
        todo!("wire::Open::encode_body")
    }
}
