//! One TCP connection of a peer: framed reads, a bounded output buffer, and the
//! write-side back-pressure that drives the RFC 9687 send hold timer.
//!
//! Output is encoded into an [`Outbox`] and written as the socket accepts it; KEEPALIVE
//! and NOTIFICATION go ahead of queued UPDATEs at the next message boundary. The peer
//! speaker stops pulling UPDATEs from the Adj-RIB-Out once the buffer holds
//! [`OUT_HIGH_WATER`] octets, and the connection reports room when it falls below
//! [`OUT_LOW_WATER`].
//!
//! The RFC 9687 send hold timer measures "no progress": whenever the socket refuses data
//! the session hears `SendBlocked(true)`, after every later write that got octets out
//! while still blocked `SendProgress` (which restarts the timer), and `SendBlocked(false)`
//! once the buffer is empty. A slow router that keeps reading is never reset.

use crate::session::{ConnectionId, Direction};
use crate::speaker::UpdateSink;
use crate::speaker::outbox::Outbox;
pub use crate::speaker::{OUT_HIGH_WATER, OUT_LOW_WATER};
use crate::wire::codec::CodecError;
use crate::wire::{BgpCodec, EncodeError, Message, MessageError, SessionContext};
use futures::StreamExt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_util::codec::FramedRead;

/// Something that happened on a connection.
#[derive(Debug)]
pub enum IoEvent {
    /// A whole message arrived.
    Received(ConnectionId, Box<Message>),
    /// Bytes arrived that do not decode; nothing more is read from this connection.
    DecodeFailed(ConnectionId, MessageError),
    /// The peer closed the connection (`None`) or it failed.
    Closed(ConnectionId, Option<io::Error>),
    /// The socket stopped (true) or resumed (false) taking our output.
    SendBlocked(ConnectionId, bool),
    /// While blocked, a write got some octets out: the peer is still reading.
    SendProgress(ConnectionId),
    /// The buffer has room for more UPDATEs again.
    Drained(ConnectionId),
    /// Everything queued was handed to the socket (reported when asked with
    /// [`Connection::want_flushed`]).
    Flushed(ConnectionId),
}

/// One established TCP connection.
#[derive(Debug)]
pub struct Connection {
    /// The session's id for it.
    pub id: ConnectionId,
    /// Who opened it.
    pub direction: Direction,
    /// Our address (IPv4-mapped normalised).
    pub local: SocketAddr,
    /// The peer's address (IPv4-mapped normalised).
    pub remote: SocketAddr,
    /// The last fill stopped at [`OUT_HIGH_WATER`]: tell the task when there is room.
    pub want_room: bool,
    /// Report [`IoEvent::Flushed`] once the buffer is empty.
    pub want_flushed: bool,
    reader: FramedRead<OwnedReadHalf, BgpCodec>,
    writer: OwnedWriteHalf,
    out: Outbox,
    ctx: SessionContext,
    blocked: bool,
    read_done: bool,
}

impl Connection {
    /// Wraps a connected stream.
    pub fn new(id: ConnectionId, direction: Direction, stream: TcpStream) -> io::Result<Self> {
        let local = super::socket::normalize_addr(stream.local_addr()?);
        let remote = super::socket::normalize_addr(stream.peer_addr()?);
        let (r, w) = stream.into_split();
        let ctx = SessionContext::default();
        Ok(Connection {
            id,
            direction,
            local,
            remote,
            want_room: false,
            want_flushed: false,
            reader: FramedRead::new(r, BgpCodec::new(ctx)),
            writer: w,
            out: Outbox::new(),
            ctx,
            blocked: false,
            read_done: false,
        })
    }

    /// Switches encoding and decoding to the negotiated context. Takes effect for the
    /// next message read: earlier ones were decoded one at a time as they were handled.
    pub fn set_context(&mut self, ctx: SessionContext) {
        self.ctx = ctx;
        self.reader.decoder_mut().set_context(ctx);
    }

    /// The context messages are encoded with.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Encodes `message` into the output queue (see [`Outbox`] for the order).
    pub fn queue(&mut self, message: &Message) -> Result<(), EncodeError> {
        self.out.push(message, &self.ctx)
    }

    /// Octets queued and not yet taken by the socket.
    pub fn queued(&self) -> usize {
        self.out.len()
    }

    /// Writes what the socket takes, then reads one message; returns the first event.
    pub fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<IoEvent> {
        let id = self.id;
        let mut progressed = false;
        while !self.out.is_empty() {
            match Pin::new(&mut self.writer).poll_write(cx, self.out.chunk()) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(IoEvent::Closed(id, Some(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => {
                    self.out.advance(n);
                    progressed = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(IoEvent::Closed(id, Some(e))),
                Poll::Pending => {
                    if !self.blocked {
                        self.blocked = true;
                        return Poll::Ready(IoEvent::SendBlocked(id, true));
                    }
                    break;
                }
            }
        }
        if progressed && self.blocked && !self.out.is_empty() {
            return Poll::Ready(IoEvent::SendProgress(id));
        }
        if self.out.is_empty() && self.blocked {
            self.blocked = false;
            return Poll::Ready(IoEvent::SendBlocked(id, false));
        }
        if self.want_room && self.out.len() < OUT_LOW_WATER {
            self.want_room = false;
            return Poll::Ready(IoEvent::Drained(id));
        }
        if self.want_flushed && self.out.is_empty() {
            self.want_flushed = false;
            return Poll::Ready(IoEvent::Flushed(id));
        }
        if !self.read_done {
            match self.reader.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(m))) => return Poll::Ready(IoEvent::Received(id, Box::new(m))),
                Poll::Ready(Some(Err(CodecError::Message(e)))) => {
                    self.read_done = true;
                    return Poll::Ready(IoEvent::DecodeFailed(id, e));
                }
                Poll::Ready(Some(Err(CodecError::Io(e)))) => {
                    self.read_done = true;
                    return Poll::Ready(IoEvent::Closed(id, Some(e)));
                }
                Poll::Ready(Some(Err(CodecError::Encode(e)))) => {
                    self.read_done = true;
                    return Poll::Ready(IoEvent::Closed(id, Some(io::Error::other(e))));
                }
                Poll::Ready(None) => {
                    self.read_done = true;
                    return Poll::Ready(IoEvent::Closed(id, None));
                }
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }

    /// Closes gracefully: writes what is queued, sends FIN, and reads until the peer
    /// closes too, all within `linger`. Reading to the end matters: closing a socket with
    /// unread data makes Linux send RST, and the peer may then never see a NOTIFICATION
    /// written just before.
    pub async fn close(self, linger: Duration) {
        let Connection {
            reader,
            mut writer,
            out,
            ..
        } = self;
        let _ = tokio::time::timeout(linger, async move {
            if writer.write_all(&out.into_bytes()).await.is_err() {
                return;
            }
            if writer.shutdown().await.is_err() {
                return;
            }
            let mut r = reader.into_inner();
            let mut scratch = [0u8; 4096];
            while let Ok(n) = r.read(&mut scratch).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}

impl UpdateSink for Connection {
    fn queued(&self) -> usize {
        Connection::queued(self)
    }

    fn queue(&mut self, message: &Message) -> Result<(), EncodeError> {
        Connection::queue(self, message)
    }
}

/// Polls every connection in turn; the first event wins.
pub fn poll_all<'a>(
    conns: impl Iterator<Item = &'a mut Connection>,
    cx: &mut Context<'_>,
) -> Poll<IoEvent> {
    for c in conns {
        if let Poll::Ready(ev) = c.poll_io(cx) {
            return Poll::Ready(ev);
        }
    }
    Poll::Pending
}

#[cfg(test)]
mod tests;
