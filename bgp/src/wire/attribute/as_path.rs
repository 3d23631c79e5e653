//! AS_PATH and AS4_PATH values (RFC 4271 section 4.3, RFC 5065, RFC 6793).
//!
//! A path is held with 4-octet ASNs. Towards a peer without the 4-octet AS capability the
//! AS_PATH carries 2-octet ASNs (AS_TRANS for the larger ones) and, when some ASN did not
//! fit, an AS4_PATH with the real ones (RFC 6793 section 4.2.2); the two are merged back on
//! receipt (section 4.2.3).

use super::{AsPath, AsPathSegment};
use crate::types::Asn;
use bytes::{BufMut, BytesMut};

/// Most ASNs one segment can hold (its length field is one octet). Longer segments are
/// split into consecutive segments of the same type on encode.
pub const MAX_SEGMENT_ASNS: usize = 255;

const AS_SET: u8 = 1;
const AS_SEQUENCE: u8 = 2;
const AS_CONFED_SEQUENCE: u8 = 3;
const AS_CONFED_SET: u8 = 4;

/// Why a path is malformed (RFC 7606 section 7.2), for logs.
pub type Malformed = &'static str;

fn parts(segment: &AsPathSegment) -> (u8, &[Asn]) {
    match segment {
        AsPathSegment::Set(a) => (AS_SET, a),
        AsPathSegment::Sequence(a) => (AS_SEQUENCE, a),
        AsPathSegment::ConfedSequence(a) => (AS_CONFED_SEQUENCE, a),
        AsPathSegment::ConfedSet(a) => (AS_CONFED_SET, a),
    }
}

fn is_confed(segment: &AsPathSegment) -> bool {
    matches!(
        segment,
        AsPathSegment::ConfedSequence(_) | AsPathSegment::ConfedSet(_)
    )
}

/// Decodes an AS_PATH or AS4_PATH value with ASNs of `asn_octets` (2 or 4) octets.
///
/// RFC 7606 section 7.2: malformed when a segment type is unknown, a segment overruns the
/// attribute, a single octet is left over after the last segment, or a segment length is 0.
pub fn decode(mut value: &[u8], asn_octets: usize) -> Result<AsPath, Malformed> {
    let mut segments = Vec::new();
    while !value.is_empty() {
        let [kind, count, rest @ ..] = value else {
            return Err("AS_PATH ends with a single octet");
        };
        let count = usize::from(*count);
        if count == 0 {
            return Err("AS_PATH segment of length 0");
        }
        let octets = count * asn_octets;
        if octets > rest.len() {
            return Err("AS_PATH segment overruns the attribute");
        }
        let asns: Vec<Asn> = rest[..octets]
            .chunks_exact(asn_octets)
            .map(|c| Asn(c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))))
            .collect();
        segments.push(match *kind {
            AS_SET => AsPathSegment::Set(asns),
            AS_SEQUENCE => AsPathSegment::Sequence(asns),
            AS_CONFED_SEQUENCE => AsPathSegment::ConfedSequence(asns),
            AS_CONFED_SET => AsPathSegment::ConfedSet(asns),
            _ => return Err("AS_PATH segment of unknown type"),
        });
        value = &rest[octets..];
    }
    Ok(AsPath { segments })
}

/// The encoded value length of `path` with ASNs of `asn_octets` octets; confederation
/// segments are left out when `skip_confed` (AS4_PATH never carries them, RFC 6793
/// section 4.2.2). Empty segments are never sent (RFC 7606 section 7.2 makes them malformed).
pub fn value_len(path: &AsPath, asn_octets: usize, skip_confed: bool) -> usize {
    path.segments
        .iter()
        .filter(|s| !(skip_confed && is_confed(s)))
        .map(|s| {
            let n = parts(s).1.len();
            2 * n.div_ceil(MAX_SEGMENT_ASNS) + n * asn_octets
        })
        .sum()
}

/// Appends the value of `path` (see [`value_len`] for the arguments). 2-octet ASNs above
/// 65535 are written as AS_TRANS.
pub fn encode(path: &AsPath, asn_octets: usize, skip_confed: bool, out: &mut BytesMut) {
    for segment in &path.segments {
        if skip_confed && is_confed(segment) {
            continue;
        }
        let (kind, asns) = parts(segment);
        for chunk in asns.chunks(MAX_SEGMENT_ASNS) {
            out.put_u8(kind);
            // chunks() never yields more than MAX_SEGMENT_ASNS = 255 items.
            out.put_u8(u8::try_from(chunk.len()).unwrap_or(u8::MAX));
            for asn in chunk {
                if asn_octets == 4 {
                    out.put_u32(asn.0);
                } else {
                    out.put_u16(asn.to_two_octet());
                }
            }
        }
    }
}

/// True when a 2-octet AS_PATH would lose information that an AS4_PATH can carry: some
/// ASN outside the confederation segments does not fit in 2 octets (RFC 6793 section 4.2.2).
pub fn needs_as4_path(path: &AsPath) -> bool {
    path.segments
        .iter()
        .filter(|s| !is_confed(s))
        .any(|s| parts(s).1.iter().any(|a| !a.is_two_octet()))
}

/// Counts a path the way RFC 6793 section 4.2.3 does: an AS_SET counts 1, confederation
/// segments count 0 (RFC 4271 section 9.1.2.2, RFC 5065 section 5.3).
pub fn count_asns(path: &AsPath) -> usize {
    path.segments
        .iter()
        .map(|s| match s {
            AsPathSegment::Set(_) => 1,
            AsPathSegment::Sequence(a) => a.len(),
            AsPathSegment::ConfedSequence(_) | AsPathSegment::ConfedSet(_) => 0,
        })
        .sum()
}

/// Drops the confederation segments of a received AS4_PATH. RFC 6793 section 6: they
/// "MUST NOT be carried in the AS4_PATH"; a receiver "MUST discard these path segments
/// ... and continue processing". Returns whether any were dropped.
pub fn strip_confed(path: &mut AsPath) -> bool {
    let before = path.segments.len();
    path.segments.retain(|s| !is_confed(s));
    path.segments.len() != before
}

/// Rebuilds the path of a 2-octet session from AS_PATH and AS4_PATH (RFC 6793 section
/// 4.2.3): if AS_PATH counts fewer ASNs than AS4_PATH, AS4_PATH is ignored; otherwise the
/// leading part of AS_PATH that makes up the difference is put in front of AS4_PATH.
pub fn merge(as_path: &AsPath, as4_path: &AsPath) -> AsPath {
    let n = count_asns(as_path);
    let m = count_asns(as4_path);
    if n < m {
        return as_path.clone();
    }
    let mut budget = n - m;
    let mut segments = Vec::new();
    for segment in &as_path.segments {
        match segment {
            // Confederation segments count 0: they stay as long as the leading part lasts.
            AsPathSegment::ConfedSequence(_) | AsPathSegment::ConfedSet(_) => {
                segments.push(segment.clone());
            }
            AsPathSegment::Set(_) if budget >= 1 => {
                budget -= 1;
                segments.push(segment.clone());
            }
            AsPathSegment::Sequence(asns) if budget >= asns.len() => {
                budget -= asns.len();
                segments.push(segment.clone());
            }
            AsPathSegment::Sequence(asns) if budget > 0 => {
                segments.push(AsPathSegment::Sequence(asns[..budget].to_vec()));
                break;
            }
            _ => break,
        }
    }
    segments.extend(as4_path.segments.iter().cloned());
    AsPath { segments }
}

#[cfg(test)]
mod tests;
