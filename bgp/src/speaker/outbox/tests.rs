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
