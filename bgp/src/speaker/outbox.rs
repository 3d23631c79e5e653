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
mod tests {
    use super::*;
    use crate::wire::{ErrorCode, Notification, Update};
    use ipnet::Ipv4Net;

    fn ctx() -> SessionContext {
        SessionContext::default()
    }

    /// An UPDATE withdrawing `n` distinct /32s: big enough to be written in pieces.
    fn update(n: u32) -> Message {
        Message::Update(Update {
            withdrawn: (0..n)
                .map(|i| Ipv4Net::from(std::net::Ipv4Addr::from(0x0a00_0000 + i)))
                .collect(),
            ..Update::default()
        })
    }

    fn encoded(m: &Message) -> Vec<u8> {
        let mut b = BytesMut::new();
        m.encode(&ctx(), &mut b).unwrap();
        b.to_vec()
    }

    /// Writes everything in pieces of at most `step` octets, as a slow socket would.
    fn drain(o: &mut Outbox, step: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        while !o.is_empty() {
            let c = o.chunk();
            let n = c.len().min(step);
            assert!(n > 0, "a non-empty queue offers octets");
            wire.extend_from_slice(&c[..n]);
            o.advance(n);
        }
        wire
    }

    /// The messages in a byte stream, decoded one by one.
    fn messages(mut wire: &[u8]) -> Vec<Message> {
        let mut out = Vec::new();
        while !wire.is_empty() {
            let len = usize::from(u16::from_be_bytes([wire[16], wire[17]]));
            out.push(Message::decode(&wire[..len], &ctx()).expect("whole messages"));
            wire = &wire[len..];
        }
        out
    }

    #[test]
    fn keepalive_goes_ahead_of_queued_updates_at_the_next_message_boundary() {
        let mut o = Outbox::new();
        // 128 KiB and more of UPDATEs.
        let big = update(700);
        let per = encoded(&big).len();
        let count = 128 * 1024 / per + 2;
        for _ in 0..count {
            o.push(&big, &ctx()).unwrap();
        }
        // The socket took part of the first UPDATE.
        let n = 100;
        let mut wire = o.chunk()[..n].to_vec();
        o.advance(n);
        o.push(&Message::Keepalive, &ctx()).unwrap();
        wire.extend(drain(&mut o, 1000));
        let got = messages(&wire);
        assert_eq!(got.len(), count + 1);
        assert_eq!(got[0], big, "the UPDATE on the wire is finished first");
        assert_eq!(
            got[1],
            Message::Keepalive,
            "then the KEEPALIVE, not after 128 KiB"
        );
        assert!(got[2..].iter().all(|m| *m == big));
    }

    #[test]
    fn updates_keep_their_order_and_urgent_messages_never_split_one() {
        let mut o = Outbox::new();
        let updates: Vec<Message> = (1..=20).map(update).collect();
        let mut wire = Vec::new();
        for (i, u) in updates.iter().enumerate() {
            o.push(u, &ctx()).unwrap();
            if i % 3 == 0 {
                o.push(&Message::Keepalive, &ctx()).unwrap();
            }
            // Odd step sizes cut messages anywhere.
            let c = o.chunk();
            let n = c.len().min(7 + i);
            wire.extend_from_slice(&c[..n]);
            o.advance(n);
        }
        wire.extend(drain(&mut o, 13));
        let got = messages(&wire);
        let got_updates: Vec<&Message> = got
            .iter()
            .filter(|m| matches!(m, Message::Update(_)))
            .collect();
        assert_eq!(got_updates, updates.iter().collect::<Vec<_>>());
        assert_eq!(got.len(), 20 + 7);
    }

    #[test]
    fn a_notification_ends_the_update_stream_after_the_update_on_the_wire() {
        let mut o = Outbox::new();
        let big = update(500);
        for _ in 0..5 {
            o.push(&big, &ctx()).unwrap();
        }
        let mut wire = o.chunk()[..50].to_vec();
        o.advance(50);
        let cease = Message::Notification(Notification::new(ErrorCode::Cease, 2, Vec::new()));
        o.push(&cease, &ctx()).unwrap();
        o.push(&big, &ctx()).unwrap();
        wire.extend(drain(&mut o, 300));
        assert_eq!(messages(&wire), vec![big, cease]);
    }

    #[test]
    fn remaining_bytes_at_close_are_in_wire_order() {
        let mut o = Outbox::new();
        let a = update(300);
        let b = update(301);
        o.push(&a, &ctx()).unwrap();
        o.push(&b, &ctx()).unwrap();
        let mut wire = o.chunk()[..10].to_vec();
        o.advance(10);
        o.push(&Message::Keepalive, &ctx()).unwrap();
        wire.extend_from_slice(&o.into_bytes());
        assert_eq!(messages(&wire), vec![a, Message::Keepalive, b]);
    }
}
