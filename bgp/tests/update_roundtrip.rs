//! Property tests of the UPDATE codec: every valid UPDATE survives encode -> decode on
//! 2-octet and 4-octet AS sessions, iBGP and eBGP; no byte string makes the decoder panic.

use bgp::wire::{
    Aggregator, AsPath, AsPathSegment, Community, ExtendedCommunity, LargeCommunity, MpReach,
    MpUnreach, NextHop, Origin, PathAttributes, RawAttribute, SessionContext, Update,
};
use bgp::{Asn, Family};
use bytes::{Bytes, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn v4_prefix() -> impl Strategy<Value = Ipv4Net> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| Ipv4Net::new(Ipv4Addr::from(a), l).unwrap().trunc())
}

fn v6_prefix() -> impl Strategy<Value = Ipv6Net> {
    (any::<u128>(), 0u8..=128)
        .prop_map(|(a, l)| Ipv6Net::new(Ipv6Addr::from(a), l).unwrap().trunc())
}

fn asn() -> impl Strategy<Value = Asn> {
    prop_oneof![0u32..=65535, any::<u32>(), Just(23456)].prop_map(Asn)
}

fn asns() -> impl Strategy<Value = Vec<Asn>> {
    prop::collection::vec(asn(), 1..8)
}

fn as_path() -> impl Strategy<Value = AsPath> {
    // Confederation segments only lead the path (RFC 5065 section 3).
    let confed = prop_oneof![
        asns().prop_map(AsPathSegment::ConfedSequence),
        asns().prop_map(AsPathSegment::ConfedSet),
    ];
    let main = prop_oneof![
        3 => asns().prop_map(AsPathSegment::Sequence),
        1 => asns().prop_map(AsPathSegment::Set),
    ];
    (
        prop::collection::vec(confed, 0..2),
        prop::collection::vec(main, 0..4),
    )
        .prop_map(|(mut segments, main)| {
            segments.extend(main);
            AsPath { segments }
        })
}

fn v6_next_hop() -> impl Strategy<Value = NextHop> {
    (any::<u128>(), prop::option::of(any::<u128>())).prop_map(|(g, ll)| NextHop::V6 {
        global: Ipv6Addr::from(g),
        link_local: ll.map(Ipv6Addr::from),
    })
}

fn mp_reach() -> impl Strategy<Value = MpReach> {
    prop_oneof![
        (
            prop_oneof![
                any::<u32>().prop_map(|a| NextHop::V4(Ipv4Addr::from(a))),
                v6_next_hop()
            ],
            prop::collection::vec(v4_prefix().prop_map(IpNet::V4), 0..6)
        )
            .prop_map(|(next_hop, nlri)| MpReach {
                family: Family::Ipv4Unicast,
                next_hop,
                nlri
            }),
        (
            v6_next_hop(),
            prop::collection::vec(v6_prefix().prop_map(IpNet::V6), 0..6)
        )
            .prop_map(|(next_hop, nlri)| MpReach {
                family: Family::Ipv6Unicast,
                next_hop,
                nlri
            }),
    ]
}

fn mp_unreach() -> impl Strategy<Value = MpUnreach> {
    prop_oneof![
        prop::collection::vec(v4_prefix().prop_map(IpNet::V4), 0..6).prop_map(|withdrawn| {
            MpUnreach {
                family: Family::Ipv4Unicast,
                withdrawn,
            }
        }),
        prop::collection::vec(v6_prefix().prop_map(IpNet::V6), 0..6).prop_map(|withdrawn| {
            MpUnreach {
                family: Family::Ipv6Unicast,
                withdrawn,
            }
        }),
    ]
}

fn unknown() -> impl Strategy<Value = Vec<RawAttribute>> {
    // Distinct codes no one has defined here, in ascending order (the encoder sorts by
    // code); received optional transitive attributes carry the Partial bit.
    prop::collection::btree_map(40u8..=250, prop::collection::vec(any::<u8>(), 0..300), 0..3)
        .prop_map(|m| {
            m.into_iter()
                .map(|(type_code, value)| RawAttribute {
                    flags: 0xe0,
                    type_code,
                    value: Bytes::from(value),
                })
                .collect()
        })
}

prop_compose! {
    fn update()(
        withdrawn in prop::collection::vec(v4_prefix(), 0..6),
        nlri in prop::collection::vec(v4_prefix(), 0..6),
        origin in prop_oneof![Just(Origin::Igp), Just(Origin::Egp), Just(Origin::Incomplete)],
        as_path in as_path(),
        next_hop in any::<u32>(),
        med in prop::option::of(any::<u32>()),
        local_pref in any::<u32>(),
        atomic_aggregate in any::<bool>(),
        aggregator in prop::option::of((asn(), any::<u32>())),
        communities in prop::collection::vec(any::<u32>().prop_map(Community), 0..70),
        originator_id in prop::option::of(any::<u32>()),
        cluster_list in prop::collection::vec(any::<u32>().prop_map(Ipv4Addr::from), 0..4),
        mp_reach in prop::option::of(mp_reach()),
        mp_unreach in prop::option::of(mp_unreach()),
        large_communities in prop::collection::vec(
            (any::<u32>(), any::<u32>(), any::<u32>())
                .prop_map(|(global, local1, local2)| LargeCommunity { global, local1, local2 }),
            0..4,
        ),
        extended_communities in prop::collection::vec(
            any::<[u8; 8]>().prop_map(ExtendedCommunity::from_bytes),
            0..6,
        ),
        unknown in unknown(),
    ) -> Update {
        Update {
            withdrawn,
            // ORIGIN, AS_PATH, NEXT_HOP and LOCAL_PREF are always there, so that an
            // announcement is complete on iBGP as well.
            attributes: PathAttributes {
                origin: Some(origin),
                as_path: Some(as_path),
                next_hop: Some(Ipv4Addr::from(next_hop)),
                med,
                local_pref: Some(local_pref),
                atomic_aggregate,
                aggregator: aggregator.map(|(asn, a)| Aggregator { asn, address: Ipv4Addr::from(a) }),
                communities,
                originator_id: originator_id.map(Ipv4Addr::from),
                cluster_list,
                mp_reach,
                mp_unreach,
                large_communities,
                extended_communities,
                unknown,
            },
            nlri,
            issues: vec![],
        }
    }
}

fn contexts() -> impl Strategy<Value = SessionContext> {
    (any::<bool>(), any::<bool>()).prop_map(|(four_octet_as, ebgp)| SessionContext {
        four_octet_as,
        max_message_len: 65535,
        ebgp,
    })
}

/// What a peer in `ctx` decodes when `update` was sent: attributes that RFC 7606 drops on
/// eBGP are gone, and confederation ASNs a 2-octet AS_PATH cannot carry read as AS_TRANS.
fn as_received(update: &Update, ctx: &SessionContext) -> Update {
    let mut expected = update.clone();
    if let (false, Some(path)) = (ctx.four_octet_as, &mut expected.attributes.as_path) {
        for segment in &mut path.segments {
            if let AsPathSegment::ConfedSequence(a) | AsPathSegment::ConfedSet(a) = segment {
                for asn in a.iter_mut() {
                    *asn = Asn(u32::from(asn.to_two_octet()));
                }
            }
        }
    }
    if ctx.ebgp {
        expected.attributes.local_pref = None;
        expected.attributes.originator_id = None;
        expected.attributes.cluster_list.clear();
    }
    expected
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_updates_round_trip(update in update(), ctx in contexts()) {
        let mut out = BytesMut::new();
        update.encode_body(&ctx, &mut out).unwrap();
        prop_assert_eq!(out.len() + 19, update.encoded_len(&ctx));
        let mut decoded = Update::decode_body(&out, &ctx).unwrap();
        if ctx.ebgp {
            // The eBGP drops are recorded as issues, and only as "discard".
            prop_assert!(!decoded.is_treat_as_withdraw(), "{:?}", decoded.issues);
            decoded.issues.clear();
        }
        prop_assert_eq!(decoded, as_received(&update, &ctx));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), ctx in contexts()) {
        if let Ok(update) = Update::decode_body(&bytes, &ctx) {
            let _ = update.encode_body(&ctx, &mut BytesMut::new());
        }
    }

    #[test]
    fn corrupted_valid_updates_never_panic(
        update in update(),
        ctx in contexts(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut out = BytesMut::new();
        update.encode_body(&ctx, &mut out).unwrap();
        let mut bytes = out.to_vec();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(update) = Update::decode_body(&bytes, &ctx) {
            let _ = update.encode_body(&ctx, &mut BytesMut::new());
        }
    }
}
