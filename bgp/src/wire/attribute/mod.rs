//! Path attributes (RFC 4271 section 5 and the RFCs of each attribute).
//!
//! - [`decode`]: the attribute section walker, applying the RFC 7606 table of
//!   [`super::error`] to every malformed attribute.
//! - [`encode`]: the encoder, and the exact encoded size ([`PathAttributes::encoded_len`]).
//! - [`as_path`]: AS_PATH / AS4_PATH segments and the RFC 6793 conversions.
//! - [`mp`]: MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760, RFC 2545, RFC 8950).
//! - [`values`]: the fixed-layout attributes (ORIGIN, MED, communities, ...).
//! - [`extended`]: EXTENDED COMMUNITIES (RFC 4360), with link bandwidth typed.

pub mod as_path;
pub mod decode;
pub mod encode;
pub mod extended;
pub mod mp;
pub mod values;

pub use encode::attribute_len;
pub use extended::{ExtendedCommunity, LinkBandwidth};

use crate::types::{Asn, Family};
use bytes::Bytes;
use ipnet::IpNet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Bits of the Attribute Flags octet (RFC 4271 section 4.3).
pub mod flags {
    /// Optional (1) or well-known (0).
    pub const OPTIONAL: u8 = 0x80;
    /// Transitive (1) or non-transitive (0).
    pub const TRANSITIVE: u8 = 0x40;
    /// Partial: some speaker on the path did not recognize this optional transitive attribute.
    pub const PARTIAL: u8 = 0x20;
    /// The length field is two octets instead of one.
    pub const EXTENDED_LENGTH: u8 = 0x10;
    /// The two bits that say what kind of attribute this is (RFC 7606 section 3 (c)).
    pub const KIND: u8 = OPTIONAL | TRANSITIVE;
    /// Well-known (mandatory or discretionary) attributes.
    pub const WELL_KNOWN: u8 = TRANSITIVE;
    /// Optional transitive attributes.
    pub const OPTIONAL_TRANSITIVE: u8 = OPTIONAL | TRANSITIVE;
    /// Optional non-transitive attributes.
    pub const OPTIONAL_NON_TRANSITIVE: u8 = OPTIONAL;
}

/// ORIGIN (type 1, well-known mandatory).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// 0: learned from an interior protocol (what an originator of its own prefixes uses).
    #[default]
    Igp,
    /// 1: EGP.
    Egp,
    /// 2: INCOMPLETE.
    Incomplete,
}

/// One AS_PATH segment (RFC 4271 section 4.3; confederation types of RFC 5065).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AsPathSegment {
    /// Type 1: AS_SET.
    Set(Vec<Asn>),
    /// Type 2: AS_SEQUENCE.
    Sequence(Vec<Asn>),
    /// Type 3: AS_CONFED_SEQUENCE.
    ConfedSequence(Vec<Asn>),
    /// Type 4: AS_CONFED_SET.
    ConfedSet(Vec<Asn>),
}

/// AS_PATH (type 2), always held with 4-octet ASNs. On a session without the 4-octet AS
/// capability the codec converts to and from AS_PATH + AS4_PATH (RFC 6793 section 4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsPath {
    /// Segments in wire order.
    pub segments: Vec<AsPathSegment>,
}

/// AGGREGATOR (type 7), with a 4-octet ASN (AS4_AGGREGATOR merged in on 2-octet sessions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Aggregator {
    /// The aggregating AS.
    pub asn: Asn,
    /// The aggregating speaker's address.
    pub address: Ipv4Addr,
}

/// A standard community (RFC 1997), written `ASN:VALUE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Community(pub u32);

impl Community {
    /// GRACEFUL_SHUTDOWN (RFC 8326): the receiver lowers the route's preference.
    pub const GRACEFUL_SHUTDOWN: Community = Community(0xFFFF_0000);
    /// NO_EXPORT (RFC 1997).
    pub const NO_EXPORT: Community = Community(0xFFFF_FF01);
    /// NO_ADVERTISE (RFC 1997).
    pub const NO_ADVERTISE: Community = Community(0xFFFF_FF02);
    /// NO_EXPORT_SUBCONFED (RFC 1997).
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xFFFF_FF03);

    /// The community `asn:value`.
    pub fn new(asn: u16, value: u16) -> Community {
        Community((u32::from(asn) << 16) | u32::from(value))
    }
}

/// A large community (RFC 8092), written `GLOBAL:LOCAL1:LOCAL2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LargeCommunity {
    /// Global administrator (an ASN).
    pub global: u32,
    /// First local data part.
    pub local1: u32,
    /// Second local data part.
    pub local2: u32,
}

/// The next hop of an MP_REACH_NLRI attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// An IPv4 next hop (IPv4 unicast over MP-BGP).
    V4(Ipv4Addr),
    /// An IPv6 next hop: the global address, and the link-local one when the peer is on
    /// the same link (RFC 2545 section 3: 32-octet form).
    V6 {
        /// Global (or unique local) address.
        global: Ipv6Addr,
        /// Link-local address, if sent.
        link_local: Option<Ipv6Addr>,
    },
}

/// MP_REACH_NLRI (type 14, RFC 4760 section 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpReach {
    /// The family of `nlri`.
    pub family: Family,
    /// The next hop for all of `nlri`.
    pub next_hop: NextHop,
    /// Announced prefixes; all of `family`.
    pub nlri: Vec<IpNet>,
}

/// MP_UNREACH_NLRI (type 15, RFC 4760 section 4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpUnreach {
    /// The family of `withdrawn`.
    pub family: Family,
    /// Withdrawn prefixes; all of `family`. Empty: End-of-RIB for `family`.
    pub withdrawn: Vec<IpNet>,
}

/// An attribute kept as bytes: an unrecognized optional attribute (passed on with the
/// Partial bit set if transitive, RFC 4271 section 5), or one we do not interpret.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawAttribute {
    /// Flags octet, sent as is except for the Extended Length bit, which is recomputed on
    /// encode. The decoder clears Extended Length and, on an unrecognized optional
    /// transitive attribute, sets Partial: RFC 4271 section 5 says it is passed on so.
    pub flags: u8,
    /// Type code.
    pub type_code: u8,
    /// Value.
    pub value: Bytes,
}

/// The path attributes of one UPDATE, typed. `None`/empty means absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathAttributes {
    /// ORIGIN (1).
    pub origin: Option<Origin>,
    /// AS_PATH (2), merged with AS4_PATH (17) on 2-octet sessions.
    pub as_path: Option<AsPath>,
    /// NEXT_HOP (3), for IPv4 NLRI in the classic fields.
    pub next_hop: Option<Ipv4Addr>,
    /// MULTI_EXIT_DISC (4).
    pub med: Option<u32>,
    /// LOCAL_PREF (5).
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE (6).
    pub atomic_aggregate: bool,
    /// AGGREGATOR (7), merged with AS4_AGGREGATOR (18) on 2-octet sessions.
    pub aggregator: Option<Aggregator>,
    /// COMMUNITIES (8).
    pub communities: Vec<Community>,
    /// ORIGINATOR_ID (9, RFC 4456).
    pub originator_id: Option<Ipv4Addr>,
    /// CLUSTER_LIST (10, RFC 4456).
    pub cluster_list: Vec<Ipv4Addr>,
    /// EXTENDED COMMUNITIES (16, RFC 4360), in the order received.
    pub extended_communities: Vec<ExtendedCommunity>,
    /// MP_REACH_NLRI (14).
    pub mp_reach: Option<MpReach>,
    /// MP_UNREACH_NLRI (15).
    pub mp_unreach: Option<MpUnreach>,
    /// LARGE_COMMUNITY (32).
    pub large_communities: Vec<LargeCommunity>,
    /// Every other attribute, in the order received.
    pub unknown: Vec<RawAttribute>,
}
