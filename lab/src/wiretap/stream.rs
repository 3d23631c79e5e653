//! From pcap bytes to the BGP messages each side sent: packet headers parsed with
//! `pcap-file` and `etherparse`, each direction's TCP payload put back in sequence order,
//! then cut into messages and decoded with the `bgp` crate's wire codec. Pure: bytes in,
//! events out, so every step is tested without a capture.

use super::WiretapError;
use bgp::wire::header::MARKER;
use bgp::wire::{Header, MAX_EXTENDED_MESSAGE_LEN, Message, SessionContext};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// One direction of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Direction {
    /// The sender.
    pub from: SocketAddr,
    /// The receiver.
    pub to: SocketAddr,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.from, self.to)
    }
}

/// What one side put on the wire, in stream order.
// A capture holds a handful of messages, nearly all of them the large variant: boxing
// would only make matching on them clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireEvent {
    /// A whole BGP message.
    Message(Message),
    /// The sender closed its side (FIN): nothing follows it in this direction.
    Fin,
    /// The sender reset the connection (RST).
    Reset,
}

/// One TCP segment as captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Sequence number of the first payload octet (or of the SYN).
    pub seq: u32,
    /// SYN flag: the stream's data starts at `seq + 1`.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The TCP payload.
    pub payload: Vec<u8>,
}

/// The TCP segments of every direction seen in a pcap file, in capture order.
pub fn segments(pcap: &[u8]) -> Result<BTreeMap<Direction, Vec<Segment>>, WiretapError> {
    let mut reader = PcapReader::new(pcap).map_err(|e| WiretapError::Pcap(e.to_string()))?;
    let datalink = reader.header().datalink;
    let mut out: BTreeMap<Direction, Vec<Segment>> = BTreeMap::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.map_err(|e| WiretapError::Pcap(e.to_string()))?;
        let sliced = match datalink {
            DataLink::ETHERNET => SlicedPacket::from_ethernet(&packet.data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(&packet.data),
            other => return Err(WiretapError::Pcap(format!("link type {other:?}"))),
        };
        // Anything that is not TCP over IP (ARP, neighbour discovery) is not ours.
        let Ok(sliced) = sliced else { continue };
        let (Some(net), Some(TransportSlice::Tcp(tcp))) = (sliced.net, sliced.transport) else {
            continue;
        };
        let (from, to) = match net {
            NetSlice::Ipv4(ip) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            NetSlice::Ipv6(ip) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let direction = Direction {
            from: SocketAddr::new(from, tcp.source_port()),
            to: SocketAddr::new(to, tcp.destination_port()),
        };
        out.entry(direction).or_default().push(Segment {
            seq: tcp.sequence_number(),
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            payload: tcp.payload().to_vec(),
        });
    }
    Ok(out)
}

/// One direction's payload in sequence order, and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reassembled {
    /// The payload octets, retransmissions counted once.
    pub data: Vec<u8>,
    /// A FIN closed the stream right after `data`.
    pub fin: bool,
    /// An RST was seen.
    pub reset: bool,
}

/// Puts one direction's segments back in sequence order. The stream starts after the SYN
/// when the capture saw it, else at the first captured segment (a capture started on a
/// live session): data sent before that is dropped. A hole in the sequence space (a
/// segment the capture missed) is an error: what follows could not be trusted.
pub fn reassemble(direction: Direction, segments: &[Segment]) -> Result<Reassembled, WiretapError> {
    let Some(first) = segments.first() else {
        return Ok(Reassembled::default());
    };
    let base = match segments.iter().find(|s| s.syn) {
        Some(syn) => syn.seq.wrapping_add(1),
        None => first.seq,
    };
    // Offsets from the base; sequence numbers wrap, so the difference is taken modulo 2^32
    // and read as signed: data from before the base comes out negative.
    let offset = |seq: u32| i64::from(seq.wrapping_sub(base) as i32);
    let mut ordered: Vec<&Segment> = segments.iter().filter(|s| !s.syn).collect();
    ordered.sort_by_key(|s| offset(s.seq));
    let mut out = Reassembled::default();
    for s in ordered {
        out.reset |= s.rst;
        let start = offset(s.seq);
        let have = out.data.len() as i64;
        if s.payload.is_empty() {
            // No data, no hole: a bare ACK after the FIN is one past the data's end.
            out.fin |= s.fin && start == have;
            continue;
        }
        if start > have {
            return Err(WiretapError::Gap {
                direction,
                at: have as u64,
                next: start as u64,
            });
        }
        let end = start + s.payload.len() as i64;
        if end > have {
            // Skip the part already taken (a retransmission overlapping what we have).
            let skip = usize::try_from(have - start).unwrap_or(0);
            out.data.extend_from_slice(&s.payload[skip..]);
        }
        if s.fin && end == out.data.len() as i64 {
            out.fin = true;
        }
    }
    Ok(out)
}

/// Cuts a reassembled stream into BGP messages and decodes them. A stream picked up in
/// the middle of a message starts at the first marker; an incomplete message at the end
/// (the capture stopped mid-message) is left out.
pub fn events(direction: Direction, stream: &Reassembled) -> Result<Vec<WireEvent>, WiretapError> {
    // The OPENs are usually not in the capture, so the session's options are unknown:
    // 4-octet ASNs (every router here announces the capability) and extended messages
    // accepted, so no valid message is refused.
    let ctx = SessionContext {
        max_message_len: MAX_EXTENDED_MESSAGE_LEN,
        ..SessionContext::default()
    };
    let data = &stream.data;
    let mut at = data
        .windows(MARKER.len())
        .position(|w| w == MARKER)
        .unwrap_or(data.len());
    let mut out = Vec::new();
    while at < data.len() {
        let rest = &data[at..];
        let header =
            Header::parse(rest, ctx.max_message_len).map_err(|e| WiretapError::Decode {
                direction,
                offset: at,
                reason: e.to_string(),
            })?;
        let Some(header) = header else { break };
        let Some(bytes) = rest.get(..header.length) else {
            break;
        };
        let message = Message::decode(bytes, &ctx).map_err(|e| WiretapError::Decode {
            direction,
            offset: at,
            reason: e.to_string(),
        })?;
        out.push(WireEvent::Message(message));
        at += header.length;
    }
    if stream.fin {
        out.push(WireEvent::Fin);
    }
    if stream.reset {
        out.push(WireEvent::Reset);
    }
    Ok(out)
}

/// Every direction's events, from the bytes of a pcap file.
pub fn decode_pcap(pcap: &[u8]) -> Result<BTreeMap<Direction, Vec<WireEvent>>, WiretapError> {
    segments(pcap)?
        .into_iter()
        .map(|(direction, segments)| {
            let stream = reassemble(direction, &segments)?;
            Ok((direction, events(direction, &stream)?))
        })
        .collect()
}
