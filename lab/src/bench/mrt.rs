//! An MRT TABLE_DUMP_V2 file (RFC 6396) of IPv4 /32s, for GoBGP's fastest preload: `gobgp
//! mrt inject global FILE` streams it into the global RIB over gRPC, far faster than one
//! `gobgp global rib add` per prefix. Written by hand: the format is three fixed records,
//! and no maintained crate writes it.

use std::io::{self, Write};
use std::net::Ipv4Addr;

const TABLE_DUMP_V2: u16 = 13;
const PEER_INDEX_TABLE: u16 = 1;
const RIB_IPV4_UNICAST: u16 = 2;

/// Writes `prefixes` as /32 RIB entries learned from one peer (`peer`, AS `asn`), each
/// with ORIGIN IGP, an empty AS_PATH (locally originated) and NEXT_HOP `next_hop`.
/// GoBGP drops injected paths whose peer has its own router ID, so `peer` must differ.
pub fn write_host_routes(
    out: &mut impl Write,
    peer: Ipv4Addr,
    asn: u32,
    next_hop: Ipv4Addr,
    prefixes: impl Iterator<Item = Ipv4Addr>,
) -> io::Result<()> {
    let mut index = Vec::new();
    index.extend_from_slice(&peer.octets()); // collector BGP ID
    index.extend_from_slice(&0u16.to_be_bytes()); // view name length
    index.extend_from_slice(&1u16.to_be_bytes()); // peer count
    index.push(0b10); // peer type: IPv4 address, 4-octet AS
    index.extend_from_slice(&peer.octets());
    index.extend_from_slice(&peer.octets());
    index.extend_from_slice(&asn.to_be_bytes());
    record(out, PEER_INDEX_TABLE, &index)?;

    let mut attrs = Vec::new();
    attrs.extend_from_slice(&[0x40, 1, 1, 0]); // ORIGIN IGP
    attrs.extend_from_slice(&[0x40, 2, 0]); // AS_PATH, empty
    attrs.extend_from_slice(&[0x40, 3, 4]); // NEXT_HOP
    attrs.extend_from_slice(&next_hop.octets());
    let attr_len = u16::try_from(attrs.len()).map_err(io::Error::other)?;

    let mut entry = Vec::with_capacity(64);
    for (seq, prefix) in prefixes.enumerate() {
        entry.clear();
        entry.extend_from_slice(&(seq as u32).to_be_bytes());
        entry.push(32);
        entry.extend_from_slice(&prefix.octets());
        entry.extend_from_slice(&1u16.to_be_bytes()); // entry count
        entry.extend_from_slice(&0u16.to_be_bytes()); // peer index
        entry.extend_from_slice(&0u32.to_be_bytes()); // originated time
        entry.extend_from_slice(&attr_len.to_be_bytes());
        entry.extend_from_slice(&attrs);
        record(out, RIB_IPV4_UNICAST, &entry)?;
    }
    Ok(())
}

fn record(out: &mut impl Write, subtype: u16, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len()).map_err(io::Error::other)?;
    out.write_all(&0u32.to_be_bytes())?; // timestamp
    out.write_all(&TABLE_DUMP_V2.to_be_bytes())?;
    out.write_all(&subtype.to_be_bytes())?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(body)
}

#[cfg(test)]
mod tests;
