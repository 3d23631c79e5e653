//! A `tokio_util::codec` adapter over [`Header::parse`](super::Header::parse),
//! [`Message::decode`](super::Message::decode) and [`Message::encode`](super::Message::encode).

use super::{EncodeError, Message, MessageError, SessionContext};
use bytes::BytesMut;

/// Frames a byte stream into BGP messages. The session context can change once the OPEN
/// exchange has negotiated 4-octet AS and extended messages: see [`BgpCodec::set_context`].
#[derive(Clone, Debug, Default)]
pub struct BgpCodec {
    ctx: SessionContext,
}

impl BgpCodec {
    /// A codec for a session in this context.
    pub fn new(ctx: SessionContext) -> BgpCodec {
        BgpCodec { ctx }
    }

    /// Replaces the context (after negotiation).
    pub fn set_context(&mut self, ctx: SessionContext) {
        self.ctx = ctx;
    }

    /// The current context.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }
}

/// Errors of the codec: a protocol error to answer with a NOTIFICATION, or I/O.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The peer sent something malformed.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// We were asked to encode something that does not fit.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl tokio_util::codec::Decoder for BgpCodec {
    type Item = Message;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        let _ = src;
        todo!("wire::BgpCodec::decode")
    }
}

impl tokio_util::codec::Encoder<Message> for BgpCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        item.encode(&self.ctx, dst)?;
        Ok(())
    }
}
