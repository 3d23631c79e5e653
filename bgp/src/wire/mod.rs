//! BGP messages on the wire: bytes to typed messages and back.
//!
//! Decoding is total: any byte string yields a message or an error value, never a panic.
//! Every length field is checked against what remains before it is used in arithmetic.
//! Errors carry the exact NOTIFICATION (code, subcode, data) to send, and UPDATE
//! attributes are judged by the RFC 7606 per-attribute table in [`error`].

pub mod attribute;
pub mod capability;
pub mod codec;
pub mod error;
pub mod header;
pub mod notification;
pub mod open;
pub mod route_refresh;
pub mod update;

#[cfg(test)]
mod tests;

pub use attribute::{
    Aggregator, AsPath, AsPathSegment, Community, ExtendedCommunity, LargeCommunity, LinkBandwidth,
    MpReach, MpUnreach, NextHop, Origin, PathAttributes, RawAttribute,
};
pub use capability::{Capability, GracefulRestart, GracefulRestartFamily};
pub use codec::BgpCodec;
pub use error::{AttributeAction, AttributeIssue, EncodeError, MessageError};
pub use header::{HEADER_LEN, Header, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN, MessageType};
pub use notification::{ErrorCode, Notification};
pub use open::Open;
pub use route_refresh::{RouteRefresh, RouteRefreshSubtype};
pub use update::{Update, nlri_len};

/// What the decoder and encoder must know about the session a message belongs to.
///
/// Before the OPEN exchange completes, use [`SessionContext::default`]: 2-octet AS paths
/// are impossible there (no UPDATE is legal before Established) and the 4096-octet limit holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionContext {
    /// Both sides announced the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet
    /// ASNs, and AS4_PATH/AS4_AGGREGATOR are not used.
    pub four_octet_as: bool,
    /// Largest message either side may send: 4096, or 65535 once both announced the
    /// extended message capability (RFC 8654).
    pub max_message_len: usize,
    /// The session is eBGP (different ASNs). RFC 7606 treats some attributes differently
    /// on iBGP and eBGP (LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST).
    pub ebgp: bool,
}

impl Default for SessionContext {
    fn default() -> Self {
        SessionContext {
            four_octet_as: true,
            max_message_len: MAX_MESSAGE_LEN,
            ebgp: true,
        }
    }
}

/// One BGP message (RFC 4271 section 4).
// UPDATE dominates the size and is also by far the most frequent message, so boxing it
// would add an allocation per message to save space on the rare KEEPALIVE.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// OPEN (type 1).
    Open(Open),
    /// UPDATE (type 2). End-of-RIB markers are UPDATEs too, see [`Update::end_of_rib`].
    Update(Update),
    /// NOTIFICATION (type 3).
    Notification(Notification),
    /// KEEPALIVE (type 4).
    Keepalive,
    /// ROUTE-REFRESH (type 5, RFC 2918; subtypes of RFC 7313).
    RouteRefresh(RouteRefresh),
}

impl Message {
    /// The type code of this message.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::Open,
            Message::Update(_) => MessageType::Update,
            Message::Notification(_) => MessageType::Notification,
            Message::Keepalive => MessageType::Keepalive,
            Message::RouteRefresh(_) => MessageType::RouteRefresh,
        }
    }

    /// Decodes one whole message (header included) from `bytes`.
    ///
    /// `bytes` must hold exactly one message; the framing layer ([`header::Header::parse`]
    /// or [`BgpCodec`]) finds its end. A slice whose size disagrees with its Length field
    /// is a Bad Message Length (data: the Length field, or the slice size when the
    /// header itself is cut short).
    pub fn decode(bytes: &[u8], ctx: &SessionContext) -> Result<Message, MessageError> {
        let Some(header) = Header::parse(bytes, ctx.max_message_len)? else {
            // Fewer than 19 octets: there is no Length field to quote, so the data is the
            // size that was given (necessarily below 19, so it fits).
            let size = (bytes.len() as u16).to_be_bytes();
            return Err(MessageError::bad_length(
                size,
                bytes.len(),
                "message shorter than its header",
            ));
        };
        let Some(body) = bytes.get(HEADER_LEN..header.length) else {
            return Err(length_mismatch(header.length, bytes.len()));
        };
        if bytes.len() != header.length {
            return Err(length_mismatch(header.length, bytes.len()));
        }
        Ok(match header.message_type {
            MessageType::Open => Message::Open(Open::decode_body(body, ctx)?),
            MessageType::Update => Message::Update(Update::decode_body(body, ctx)?),
            MessageType::Notification => {
                Message::Notification(Notification::decode_body(body, ctx)?)
            }
            // Header::parse already checked that a KEEPALIVE is exactly 19 octets.
            MessageType::Keepalive => Message::Keepalive,
            MessageType::RouteRefresh => {
                Message::RouteRefresh(RouteRefresh::decode_body(body, ctx)?)
            }
        })
    }

    /// Appends this message, header included, to `out`.
    ///
    /// Fails without writing anything when the message would exceed
    /// `ctx.max_message_len` or a field overflows its wire width. OPEN and KEEPALIVE are
    /// held to 4096 octets whatever the session allows (RFC 8654 section 4).
    pub fn encode(
        &self,
        ctx: &SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        let result = self.encode_unchecked(ctx, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Writes header and body, then checks the length and fills the Length field. The
    /// caller removes what was written if this fails.
    fn encode_unchecked(
        &self,
        ctx: &SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        let message_type = self.message_type();
        Header::write(message_type, 0, out);
        match self {
            Message::Open(m) => m.encode_body(ctx, out)?,
            Message::Update(m) => m.encode_body(ctx, out)?,
            Message::Notification(m) => m.encode_body(ctx, out)?,
            Message::Keepalive => {}
            Message::RouteRefresh(m) => m.encode_body(ctx, out)?,
        }
        let len = out.len() - start;
        let max = message_type.max_len(ctx.max_message_len);
        let Ok(len_field) = u16::try_from(len) else {
            return Err(EncodeError::TooLong { len, max });
        };
        if len > max {
            return Err(EncodeError::TooLong { len, max });
        }
        out[start + 16..start + HEADER_LEN - 1].copy_from_slice(&len_field.to_be_bytes());
        Ok(())
    }
}

/// The slice handed to [`Message::decode`] is not the length its header says.
fn length_mismatch(length: usize, got: usize) -> MessageError {
    let field = u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes();
    MessageError::bad_length(
        field,
        length,
        &format!("header says {length} octets, {got} were given"),
    )
}
