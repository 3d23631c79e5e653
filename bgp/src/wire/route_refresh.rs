//! ROUTE-REFRESH messages (RFC 2918, with the subtypes of RFC 7313).

use crate::types::{Afi, Safi};

/// The "Reserved" octet of RFC 2918, which RFC 7313 made a message subtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteRefreshSubtype {
    /// 0: a normal route refresh request.
    Request,
    /// 1: Beginning of Route Refresh (BoRR).
    Begin,
    /// 2: End of Route Refresh (EoRR).
    End,
    /// Anything else: RFC 7313 says to ignore the message.
    Unknown(u8),
}

/// A ROUTE-REFRESH message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteRefresh {
    /// AFI asked for.
    pub afi: Afi,
    /// SAFI asked for.
    pub safi: Safi,
    /// Subtype.
    pub subtype: RouteRefreshSubtype,
}

impl RouteRefresh {
    /// Decodes the body (everything after the 19-octet header) of this message type.
    pub(crate) fn decode_body(
        body: &[u8],
        ctx: &super::SessionContext,
    ) -> Result<RouteRefresh, super::MessageError> {
        let _ = (body, ctx);
        todo!("wire::RouteRefresh::decode_body")
    }

    /// Appends the body (everything after the header) of this message to `out`.
    pub(crate) fn encode_body(
        &self,
        ctx: &super::SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), super::EncodeError> {
        let _ = (ctx, out);
        todo!("wire::RouteRefresh::encode_body")
    }
}
