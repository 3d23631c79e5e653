//! ROUTE-REFRESH messages (RFC 2918, with the subtypes of RFC 7313).

use super::notification::{ErrorCode, Notification, route_refresh_subcode};
use crate::code_point::code_point;
use crate::types::{Afi, Safi};

code_point! {
    /// The "Reserved" octet of RFC 2918, which RFC 7313 made a message subtype.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum RouteRefreshSubtype: u8 {
        /// 0: a normal route refresh request.
        Request = 0,
        /// 1: Beginning of Route Refresh (BoRR).
        Begin = 1,
        /// 2: End of Route Refresh (EoRR).
        End = 2;
        /// Anything else: RFC 7313 says to ignore the message.
        Unknown,
    }
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

/// Length of a ROUTE-REFRESH body: AFI (2), subtype (1), SAFI (1).
const BODY_LEN: usize = 4;

impl RouteRefresh {
    /// A plain route refresh request (RFC 2918) for one family.
    pub fn request(afi: Afi, safi: Safi) -> RouteRefresh {
        RouteRefresh {
            afi,
            safi,
            subtype: RouteRefreshSubtype::Request,
        }
    }

    /// Decodes the body (everything after the 19-octet header) of this message type.
    ///
    /// RFC 7313 section 5: a ROUTE-REFRESH whose body is not 4 octets is answered with
    /// ROUTE-REFRESH Message Error / Invalid Message Length, the data being the complete
    /// message. The header is rebuilt here from the body: it can only have been a valid
    /// marker, this length and type 5.
    pub(crate) fn decode_body(
        body: &[u8],
        _ctx: &super::SessionContext,
    ) -> Result<RouteRefresh, super::MessageError> {
        let &[afi_hi, afi_lo, subtype, safi] = body else {
            return Err(invalid_length(body));
        };
        Ok(RouteRefresh {
            afi: Afi::from(u16::from_be_bytes([afi_hi, afi_lo])),
            safi: Safi::from(safi),
            subtype: RouteRefreshSubtype::from(subtype),
        })
    }

    /// Appends the body (everything after the header) of this message to `out`.
    pub(crate) fn encode_body(
        &self,
        _ctx: &super::SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), super::EncodeError> {
        out.extend_from_slice(&u16::from(self.afi).to_be_bytes());
        out.extend_from_slice(&[u8::from(self.subtype), u8::from(self.safi)]);
        Ok(())
    }
}

fn invalid_length(body: &[u8]) -> super::MessageError {
    let mut message = bytes::BytesMut::with_capacity(super::HEADER_LEN + body.len());
    let length = u16::try_from(super::HEADER_LEN + body.len()).unwrap_or(u16::MAX);
    super::Header::write(super::MessageType::RouteRefresh, length, &mut message);
    message.extend_from_slice(body);
    super::MessageError {
        notification: Notification::new(
            ErrorCode::RouteRefresh,
            route_refresh_subcode::INVALID_MESSAGE_LENGTH,
            message.freeze(),
        ),
        reason: format!(
            "ROUTE-REFRESH body of {} octets, expected {BODY_LEN}",
            body.len()
        ),
    }
}

#[cfg(test)]
mod tests;
