//! A `tokio_util::codec` adapter over [`Header::parse`](super::Header::parse),
//! [`Message::decode`](super::Message::decode) and [`Message::encode`](super::Message::encode).

use super::{EncodeError, HEADER_LEN, Header, Message, MessageError, SessionContext};
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

    /// Returns one message once all of its octets are in `src`, and consumes exactly
    /// those. The header is validated as soon as it is complete, so a bad length is
    /// refused before anything is buffered for it; then only the missing octets of this
    /// one message are reserved.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        let Some(header) = Header::parse(src, self.ctx.max_message_len)? else {
            src.reserve(HEADER_LEN - src.len());
            return Ok(None);
        };
        if src.len() < header.length {
            src.reserve(header.length - src.len());
            return Ok(None);
        }
        let frame = src.split_to(header.length);
        Ok(Some(Message::decode(&frame, &self.ctx)?))
    }
}

impl tokio_util::codec::Encoder<Message> for BgpCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        item.encode(&self.ctx, dst)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
