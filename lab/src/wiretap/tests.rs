//! The wiretap on captures built here: real pcap bytes and real TCP/IP headers
//! (`etherparse`'s builder), BGP messages from the `bgp` crate's encoder.

use super::stream::{Reassembled, Segment, decode_pcap, events, reassemble};
use super::*;
use bgp::wire::notification::cease_subcode;
use bgp::wire::{Notification, SessionContext, Update};
use bytes::BytesMut;
use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};
use std::net::{IpAddr, Ipv4Addr};

const NODE: [u8; 4] = [10, 85, 3, 2];
const TOR: [u8; 4] = [10, 85, 3, 1];

fn bytes_of(message: &Message) -> Vec<u8> {
    let mut out = BytesMut::new();
    message
        .encode(&SessionContext::default(), &mut out)
        .expect("encodable");
    out.to_vec()
}

fn withdraw_both() -> Message {
    Message::Update(Update::withdrawal(
        vec!["203.0.113.10/32".parse().unwrap()],
        vec!["fd00:203::10/128".parse().unwrap()],
    ))
}

fn cease() -> Message {
    Message::Notification(Notification::cease_with_reason(
        cease_subcode::ADMINISTRATIVE_SHUTDOWN,
        "",
    ))
}

/// One Ethernet frame node -> ToR (port 40000 -> 179) with these flags and payload.
fn frame(seq: u32, flags: &str, payload: &[u8]) -> Vec<u8> {
    let mut tcp = PacketBuilder::ethernet2([2; 6], [4; 6])
        .ipv4(NODE, TOR, 64)
        .tcp(40000, 179, seq, 1000)
        .ack(1);
    for flag in flags.chars() {
        tcp = match flag {
            'S' => tcp.syn(),
            'F' => tcp.fin(),
            'R' => tcp.rst(),
            _ => tcp,
        };
    }
    let mut out = Vec::new();
    tcp.write(&mut out, payload).expect("frame");
    out
}

fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut writer = PcapWriter::new(Vec::new()).expect("pcap header");
    for (i, f) in frames.iter().enumerate() {
        let at = std::time::Duration::from_millis(i as u64);
        writer
            .write_packet(&PcapPacket::new(at, f.len() as u32, f))
            .expect("pcap packet");
    }
    writer.into_writer()
}

fn node_events(pcap: &[u8]) -> Vec<WireEvent> {
    let streams = decode_pcap(pcap).expect("decodes");
    sent_by(&streams, IpAddr::V4(Ipv4Addr::from(NODE)))
}

fn prefixes() -> BTreeSet<IpNet> {
    ["203.0.113.10/32", "fd00:203::10/128"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect()
}

#[test]
fn a_capture_decodes_into_the_messages_in_stream_order() {
    let (w, c, k) = (
        bytes_of(&withdraw_both()),
        bytes_of(&cease()),
        bytes_of(&Message::Keepalive),
    );
    let isn = 4_000_000_000u32;
    let start = isn.wrapping_add(1);
    let after_w = start.wrapping_add(w.len() as u32);
    // Out of order on the capture, one segment retransmitted, the sequence space wrapping.
    let frames = [
        frame(isn, "S", &[]),
        frame(after_w, "", &c),
        frame(start, "", &w),
        frame(start, "", &w),
        frame(after_w.wrapping_add(c.len() as u32), "F", &k),
        // The last ACK, one past the FIN: no data, no hole.
        frame(
            after_w.wrapping_add((c.len() + k.len() + 1) as u32),
            "",
            &[],
        ),
    ];
    let seen = node_events(&pcap(&frames));
    assert_eq!(
        seen,
        vec![
            WireEvent::Message(withdraw_both()),
            WireEvent::Message(cease()),
            WireEvent::Message(Message::Keepalive),
            WireEvent::Fin
        ]
    );
    withdrawn_before_cease(&seen, &prefixes()).expect("the order holds");
}

#[test]
fn a_message_split_over_segments_is_reassembled() {
    let w = bytes_of(&withdraw_both());
    let (head, tail) = w.split_at(10);
    let frames = [
        frame(100, "", head),
        frame(110, "", tail),
        frame(100 + w.len() as u32, "F", &bytes_of(&cease())),
    ];
    let seen = node_events(&pcap(&frames));
    assert_eq!(seen[0], WireEvent::Message(withdraw_both()));
    assert_eq!(seen.last(), Some(&WireEvent::Fin));
}

#[test]
fn a_capture_started_mid_message_resumes_at_the_next_marker() {
    let k = bytes_of(&Message::Keepalive);
    let mut data = k[5..].to_vec();
    data.extend_from_slice(&bytes_of(&cease()));
    let seen = events(
        direction(),
        &Reassembled {
            data,
            ..Reassembled::default()
        },
    )
    .expect("decodes");
    assert_eq!(seen, vec![WireEvent::Message(cease())]);
}

#[test]
fn a_hole_in_the_sequence_space_is_an_error() {
    let data = |seq| Segment {
        seq,
        syn: false,
        fin: false,
        rst: false,
        payload: vec![0xff; 19],
    };
    let segments = [data(1), data(40)];
    let err = reassemble(direction(), &segments).unwrap_err();
    assert!(
        matches!(
            err,
            WiretapError::Gap {
                at: 19,
                next: 39,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn garbage_in_the_stream_is_a_decode_error_not_a_panic() {
    let mut data = bytes_of(&Message::Keepalive);
    data.extend_from_slice(&[0xff; 16]);
    data.extend_from_slice(&[0, 3, 9]); // length 3: below the header's own size
    let err = events(
        direction(),
        &Reassembled {
            data,
            ..Reassembled::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, WiretapError::Decode { offset: 19, .. }),
        "{err}"
    );
    assert!(matches!(
        decode_pcap(b"not a pcap"),
        Err(WiretapError::Pcap(_))
    ));
}

/// A sequence the order check must refuse, and what its error must name.
struct Refused {
    name: &'static str,
    seen: Vec<WireEvent>,
    prefixes: BTreeSet<IpNet>,
    error: &'static str,
}

#[test]
fn the_order_check_refuses_every_wrong_order() {
    let mut more = prefixes();
    more.insert("203.0.113.20/32".parse().unwrap());
    let withdrawal = || WireEvent::Message(withdraw_both());
    let notification = || WireEvent::Message(cease());
    let cases = [
        Refused {
            name: "a cease before the withdrawals",
            seen: vec![notification(), withdrawal(), WireEvent::Fin],
            prefixes: prefixes(),
            error: "not withdrawn before",
        },
        Refused {
            name: "a FIN before the cease",
            seen: vec![withdrawal(), WireEvent::Fin, notification()],
            prefixes: prefixes(),
            error: "FIN before the NOTIFICATION",
        },
        Refused {
            name: "no FIN",
            seen: vec![withdrawal(), notification()],
            prefixes: prefixes(),
            error: "no FIN",
        },
        Refused {
            name: "a prefix never withdrawn",
            seen: vec![withdrawal(), notification(), WireEvent::Fin],
            prefixes: more,
            error: "203.0.113.20/32",
        },
    ];
    for case in cases {
        let err = withdrawn_before_cease(&case.seen, &case.prefixes)
            .expect_err(&format!("{}: accepted", case.name));
        assert!(err.contains(case.error), "{}: {err}", case.name);
    }
}

fn direction() -> Direction {
    Direction {
        from: "10.85.3.2:40000".parse().unwrap(),
        to: "10.85.3.1:179".parse().unwrap(),
    }
}
