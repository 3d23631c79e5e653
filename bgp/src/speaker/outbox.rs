//! The output queue of one connection: encoded messages waiting for the socket, with
//! KEEPALIVE and NOTIFICATION ahead of queued UPDATEs.
//!
//! A connection may hold up to 128 KiB of UPDATEs for a slow router. A KEEPALIVE queued
//! behind them could take longer than the hold time to reach the wire, and the router
//! would drop a session that is working (RFC 4271 section 4.4 only asks that one arrives
//! within the hold time). So every message other than UPDATE goes into a small urgent
//! queue that is written first, at the next message boundary of the UPDATE stream: the
//! byte stream always stays a sequence of whole messages. The order among UPDATEs (and
//! End-of-RIB after them) is kept; nothing orders a KEEPALIVE against UPDATEs.
//!
//! A NOTIFICATION ends the connection (RFC 4271 section 4.5): once one is queued, UPDATEs
//! not yet started are dropped, since nothing may follow it.

use crate::wire::{EncodeError, Message, SessionContext};
use bytes::{Buf, BytesMut};
use std::collections::VecDeque;

/// Encoded messages waiting for the socket. Write [`chunk`](Outbox::chunk), then report
/// what the socket took with [`advance`](Outbox::advance), with no `push` in between.
#[derive(Debug, Default)]
pub struct Outbox {
    /// KEEPALIVE, NOTIFICATION, OPEN, ROUTE-REFRESH: written first.
    urgent: BytesMut,
    /// UPDATEs, in order.
    bulk: BytesMut,
    /// Octets left to write of each UPDATE in `bulk`, oldest first.
    bulk_messages: VecDeque<usize>,
    /// Part of the oldest UPDATE is on the wire: it must be finished before anything else.
    bulk_started: bool,
    /// A NOTIFICATION was queued: no new UPDATE may start.
    ended: bool,
}

impl Outbox {
    /// An empty queue.
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// Encodes `message` into its queue. UPDATEs queued after a NOTIFICATION are dropped.
    pub fn push(&mut self, message: &Message, ctx: &SessionContext) -> Result<(), EncodeError> {
        match message {
            Message::Update(_) => {
                if self.ended {
                    return Ok(());
                }
                let before = self.bulk.len();
                message.encode(ctx, &mut self.bulk)?;
                self.bulk_messages.push_back(self.bulk.len() - before);
            }
            Message::Notification(_) => {
                message.encode(ctx, &mut self.urgent)?;
                self.end_bulk();
            }
            _ => message.encode(ctx, &mut self.urgent)?,
        }
        Ok(())
    }

    /// Octets queued in all.
    pub fn len(&self) -> usize {
        self.urgent.len() + self.bulk.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The octets to write next: urgent messages when the UPDATE stream is at a message
    /// boundary, else the rest of the UPDATE on the wire (only that one when urgent
    /// messages wait), else the queued UPDATEs.
    pub fn chunk(&self) -> &[u8] {
        if self.urgent_next() {
            &self.urgent
        } else if !self.urgent.is_empty() {
            let head = self.bulk_messages.front().copied().unwrap_or(0);
            &self.bulk[..head.min(self.bulk.len())]
        } else {
            &self.bulk
        }
    }

    /// The socket took the first `n` octets of the last [`chunk`](Outbox::chunk).
    pub fn advance(&mut self, n: usize) {
        if self.urgent_next() {
            let n = n.min(self.urgent.len());
            self.urgent.advance(n);
            return;
        }
        let mut n = n.min(self.bulk.len());
        self.bulk.advance(n);
        while n > 0 {
            let Some(head) = self.bulk_messages.front_mut() else {
                break;
            };
            let k = n.min(*head);
            *head -= k;
            n -= k;
            if *head == 0 {
                self.bulk_messages.pop_front();
                self.bulk_started = false;
            } else {
                self.bulk_started = true;
            }
        }
    }

    /// Everything still to write when the connection closes, in wire order: the rest of
    /// the UPDATE on the wire, the urgent messages, then the other UPDATEs (dropped
    /// already if a NOTIFICATION is among them).
    pub fn into_bytes(self) -> BytesMut {
        let head = if self.bulk_started {
            self.bulk_messages.front().copied().unwrap_or(0)
        } else {
            0
        };
        let mut bulk = self.bulk;
        let rest = bulk.split_off(head.min(bulk.len()));
        let mut out = bulk;
        out.extend_from_slice(&self.urgent);
        out.extend_from_slice(&rest);
        out
    }

    fn urgent_next(&self) -> bool {
        !self.urgent.is_empty() && !self.bulk_started
    }

    /// Drops every UPDATE not yet started; a started one is finished so the stream
    /// stays whole messages up to the NOTIFICATION.
    fn end_bulk(&mut self) {
        self.ended = true;
        let keep = if self.bulk_started {
            self.bulk_messages.front().copied().unwrap_or(0)
        } else {
            0
        };
        self.bulk.truncate(keep.min(self.bulk.len()));
        self.bulk_messages.truncate(usize::from(keep > 0));
    }
}

#[cfg(test)]
mod tests;
