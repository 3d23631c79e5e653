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

pub use attribute::{
    Aggregator, AsPath, AsPathSegment, Community, LargeCommunity, MpReach, MpUnreach, NextHop,
    Origin, PathAttributes, RawAttribute,
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
    /// or [`BgpCodec`]) finds its end.
    pub fn decode(bytes: &[u8], ctx: &SessionContext) -> Result<Message, MessageError> {
        let _ = (bytes, ctx);
        todo!("wire::Message::decode")
    }

    /// Appends this message, header included, to `out`.
    ///
    /// Fails without writing anything when the message would exceed
    /// `ctx.max_message_len` or a field overflows its wire width.
    pub fn encode(
        &self,
        ctx: &SessionContext,
        out: &mut bytes::BytesMut,
    ) -> Result<(), EncodeError> {
        let _ = (ctx, out);
        todo!("wire::Message::encode")
    }
}
