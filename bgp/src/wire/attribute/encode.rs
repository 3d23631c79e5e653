//! Encoding path attributes, and their exact encoded size.
//!
//! Order on the wire: MP_UNREACH_NLRI and MP_REACH_NLRI first (RFC 7606 section 5.1: so a
//! receiver can locate the NLRI even if a later attribute is malformed), then the others
//! in ascending type code (RFC 4271 section 5), unrecognized ones interleaved by code.
//!
//! Both [`PathAttributes::encoded_len`] and the encoder walk the same list of
//! attribute items, so the size computed is the size written.

use super::as_path;
use super::flags::{EXTENDED_LENGTH, OPTIONAL_NON_TRANSITIVE as ONT};
use super::flags::{OPTIONAL_TRANSITIVE as OT, WELL_KNOWN as WK};
use super::{Aggregator, AsPath, MpReach, MpUnreach, Origin, PathAttributes, RawAttribute};
use super::{Community, ExtendedCommunity, LargeCommunity, extended, mp, values};
use crate::wire::SessionContext;
use crate::wire::error::{EncodeError, type_code as tc};
use bytes::{BufMut, BytesMut};
use std::net::Ipv4Addr;

/// The encoded size of one path attribute whose value is `value_len` octets: 3 octets of
/// flags, type and length, 4 when the value exceeds 255 octets and needs the Extended
/// Length form (RFC 4271 section 4.3), plus the value.
pub fn attribute_len(value_len: usize) -> usize {
    if value_len > 255 {
        4 + value_len
    } else {
        3 + value_len
    }
}

/// One attribute to put on the wire, borrowed from a [`PathAttributes`].
enum Item<'a> {
    MpUnreach(&'a MpUnreach),
    MpReach(&'a MpReach),
    Origin(Origin),
    AsPath(&'a AsPath, usize),
    NextHop(Ipv4Addr),
    Med(u32),
    LocalPref(u32),
    AtomicAggregate,
    Aggregator(Aggregator, bool),
    Communities(&'a [Community]),
    OriginatorId(Ipv4Addr),
    ClusterList(&'a [Ipv4Addr]),
    ExtendedCommunities(&'a [ExtendedCommunity]),
    As4Path(&'a AsPath),
    As4Aggregator(Aggregator),
    LargeCommunities(&'a [LargeCommunity]),
    Raw(&'a RawAttribute),
}

impl Item<'_> {
    fn flags_and_code(&self) -> (u8, u8) {
        match self {
            Item::MpUnreach(_) => (ONT, tc::MP_UNREACH_NLRI),
            Item::MpReach(_) => (ONT, tc::MP_REACH_NLRI),
            Item::Origin(_) => (WK, tc::ORIGIN),
            Item::AsPath(..) => (WK, tc::AS_PATH),
            Item::NextHop(_) => (WK, tc::NEXT_HOP),
            Item::Med(_) => (ONT, tc::MULTI_EXIT_DISC),
            Item::LocalPref(_) => (WK, tc::LOCAL_PREF),
            Item::AtomicAggregate => (WK, tc::ATOMIC_AGGREGATE),
            Item::Aggregator(..) => (OT, tc::AGGREGATOR),
            Item::Communities(_) => (OT, tc::COMMUNITIES),
            Item::OriginatorId(_) => (ONT, tc::ORIGINATOR_ID),
            Item::ClusterList(_) => (ONT, tc::CLUSTER_LIST),
            // RFC 4360 section 2: the attribute is optional transitive; whether each
            // community crosses an AS is said by its own Type octet.
            Item::ExtendedCommunities(_) => (OT, tc::EXTENDED_COMMUNITIES),
            Item::As4Path(_) => (OT, tc::AS4_PATH),
            Item::As4Aggregator(_) => (OT, tc::AS4_AGGREGATOR),
            Item::LargeCommunities(_) => (OT, tc::LARGE_COMMUNITY),
            // The decoder already set the Partial bit of what it did not recognize
            // (RFC 4271 section 5); an attribute built locally keeps the flags it was
            // given, as its originator would send them.
            Item::Raw(raw) => (raw.flags & !EXTENDED_LENGTH, raw.type_code),
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Item::MpUnreach(u) => mp::unreach_value_len(u),
            Item::MpReach(r) => mp::reach_value_len(r),
            Item::Origin(_) => 1,
            Item::AsPath(p, octets) => as_path::value_len(p, *octets, false),
            Item::NextHop(_) | Item::Med(_) | Item::LocalPref(_) | Item::OriginatorId(_) => 4,
            Item::AtomicAggregate => 0,
            Item::Aggregator(_, true) | Item::As4Aggregator(_) => 8,
            Item::Aggregator(_, false) => 6,
            Item::Communities(c) => 4 * c.len(),
            Item::ClusterList(c) => 4 * c.len(),
            Item::ExtendedCommunities(c) => 8 * c.len(),
            Item::As4Path(p) => as_path::value_len(p, 4, true),
            Item::LargeCommunities(c) => 12 * c.len(),
            Item::Raw(raw) => raw.value.len(),
        }
    }

    fn write_value(&self, out: &mut BytesMut) {
        match self {
            Item::MpUnreach(u) => mp::write_unreach(u, out),
            Item::MpReach(r) => mp::write_reach(r, out),
            Item::Origin(o) => out.put_u8(values::origin_code(*o)),
            Item::AsPath(p, octets) => as_path::encode(p, *octets, false, out),
            Item::NextHop(a) | Item::OriginatorId(a) => out.put_slice(&a.octets()),
            Item::Med(v) | Item::LocalPref(v) => out.put_u32(*v),
            Item::AtomicAggregate => {}
            Item::Aggregator(a, four) => values::write_aggregator(a.asn.0, a.address, *four, out),
            Item::As4Aggregator(a) => values::write_aggregator(a.asn.0, a.address, true, out),
            Item::Communities(c) => c.iter().for_each(|c| out.put_u32(c.0)),
            Item::ClusterList(c) => c.iter().for_each(|a| out.put_slice(&a.octets())),
            Item::ExtendedCommunities(c) => extended::write(c, out),
            Item::As4Path(p) => as_path::encode(p, 4, true, out),
            Item::LargeCommunities(c) => c.iter().for_each(|c| {
                out.put_u32(c.global);
                out.put_u32(c.local1);
                out.put_u32(c.local2);
            }),
            Item::Raw(raw) => out.put_slice(&raw.value),
        }
    }

    fn encoded_len(&self) -> usize {
        attribute_len(self.value_len())
    }

    fn write(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let (flags, code) = self.flags_and_code();
        let len = self.value_len();
        if len > 255 {
            let len =
                u16::try_from(len).map_err(|_| EncodeError::FieldOverflow("path attribute"))?;
            out.put_u8(flags | EXTENDED_LENGTH);
            out.put_u8(code);
            out.put_u16(len);
        } else {
            out.put_u8(flags & !EXTENDED_LENGTH);
            out.put_u8(code);
            out.put_u8(len as u8);
        }
        self.write_value(out);
        Ok(())
    }
}

/// Calls `f` with every attribute to send for `attrs` on a session in `ctx`, in wire
/// order, unrecognized attributes excluded (they are merged in by type code).
fn for_each_known<'a>(
    attrs: &'a PathAttributes,
    ctx: &SessionContext,
    mut f: impl FnMut(Item<'a>),
) {
    let four = ctx.four_octet_as;
    if let Some(u) = &attrs.mp_unreach {
        f(Item::MpUnreach(u));
    }
    if let Some(r) = &attrs.mp_reach {
        f(Item::MpReach(r));
    }
    if let Some(o) = attrs.origin {
        f(Item::Origin(o));
    }
    if let Some(p) = &attrs.as_path {
        f(Item::AsPath(p, if four { 4 } else { 2 }));
    }
    if let Some(nh) = attrs.next_hop {
        f(Item::NextHop(nh));
    }
    if let Some(med) = attrs.med {
        f(Item::Med(med));
    }
    if let Some(lp) = attrs.local_pref {
        f(Item::LocalPref(lp));
    }
    if attrs.atomic_aggregate {
        f(Item::AtomicAggregate);
    }
    if let Some(a) = attrs.aggregator {
        f(Item::Aggregator(a, four));
    }
    // Empty lists are not sent: a zero-length COMMUNITIES, CLUSTER_LIST or LARGE_COMMUNITY
    // is malformed (RFC 7606 sections 7.8, 7.10; RFC 8092 section 6).
    if !attrs.communities.is_empty() {
        f(Item::Communities(&attrs.communities));
    }
    if let Some(id) = attrs.originator_id {
        f(Item::OriginatorId(id));
    }
    if !attrs.cluster_list.is_empty() {
        f(Item::ClusterList(&attrs.cluster_list));
    }
    // RFC 7606 section 7.14: an empty EXTENDED COMMUNITIES is malformed, so none is sent.
    if !attrs.extended_communities.is_empty() {
        f(Item::ExtendedCommunities(&attrs.extended_communities));
    }
    if !four {
        // RFC 6793 section 4.2.2: towards a 2-octet peer, AS4_PATH and AS4_AGGREGATOR
        // carry what AS_TRANS replaced, and are sent only when something was replaced.
        if let Some(p) = attrs
            .as_path
            .as_ref()
            .filter(|p| as_path::needs_as4_path(p))
        {
            f(Item::As4Path(p));
        }
        if let Some(a) = attrs.aggregator.filter(|a| !a.asn.is_two_octet()) {
            f(Item::As4Aggregator(a));
        }
    }
    if !attrs.large_communities.is_empty() {
        f(Item::LargeCommunities(&attrs.large_communities));
    }
}

fn sort_key(item: &Item<'_>) -> u16 {
    // MP attributes (of any family) sort first, everything else by type code.
    match item.flags_and_code().1 {
        tc::MP_UNREACH_NLRI => 0,
        tc::MP_REACH_NLRI => 1,
        code => 2 + u16::from(code),
    }
}

impl PathAttributes {
    /// The exact number of octets these attributes take in an UPDATE on a session in
    /// `ctx` (the Total Path Attribute Length), computed without allocating.
    ///
    /// It accounts for everything the encoder adds or changes: the 2-octet AS_PATH and
    /// the AS4_PATH / AS4_AGGREGATOR of a session without 4-octet AS, AS_PATH segments
    /// split at 255 ASNs, the Extended Length form of values over 255 octets, and empty
    /// lists left out. An UPDATE is `19 + 2 + withdrawn + 2 + encoded_len + NLRI` octets,
    /// with every prefix taking [`nlri_len`](crate::wire::update::nlri_len) octets; note
    /// that adding a prefix to an MP attribute whose value crosses 255 octets grows the
    /// attribute header by one octet too ([`attribute_len`]).
    pub fn encoded_len(&self, ctx: &SessionContext) -> usize {
        let mut total = 0;
        for_each_known(self, ctx, |item| total += item.encoded_len());
        total
            + self
                .unknown
                .iter()
                .map(|r| Item::Raw(r).encoded_len())
                .sum::<usize>()
    }

    /// Checks that the attributes can be sent as built (see [`mp::check_reach`]).
    pub(crate) fn check(&self) -> Result<(), EncodeError> {
        if let Some(r) = &self.mp_reach {
            mp::check_reach(r)?;
        }
        if let Some(u) = &self.mp_unreach {
            mp::check_unreach(u)?;
        }
        if self
            .unknown
            .iter()
            .any(|r| r.value.len() > usize::from(u16::MAX))
        {
            return Err(EncodeError::FieldOverflow("path attribute"));
        }
        Ok(())
    }

    /// Appends the attributes, [`encoded_len`](Self::encoded_len) octets. Call
    /// [`check`](Self::check) first: an error here may leave a partial write.
    pub(crate) fn encode(
        &self,
        ctx: &SessionContext,
        out: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let mut items = Vec::with_capacity(16 + self.unknown.len());
        for_each_known(self, ctx, |item| items.push(item));
        items.extend(self.unknown.iter().map(Item::Raw));
        // Stable: unrecognized attributes keep their received order among equal codes.
        items.sort_by_key(sort_key);
        for item in &items {
            item.write(out)?;
        }
        Ok(())
    }
}
