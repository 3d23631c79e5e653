//! Byte-level tests of UPDATE and path attribute encoding, and one test per RFC 7606 rule.

use super::*;
use crate::types::Asn;
use crate::wire::attribute::{
    Aggregator, AsPath, AsPathSegment, Community, LargeCommunity, MpReach, NextHop, Origin,
    RawAttribute,
};
use crate::wire::notification::ErrorCode;
use std::net::{Ipv4Addr, Ipv6Addr};

const IBGP4: SessionContext = SessionContext {
    four_octet_as: true,
    max_message_len: 4096,
    ebgp: false,
};
const EBGP4: SessionContext = SessionContext {
    ebgp: true,
    ..IBGP4
};
const IBGP2: SessionContext = SessionContext {
    four_octet_as: false,
    ..IBGP4
};

// A valid iBGP announcement of 10.0.0.0/24 is ORIGIN + AS_PATH + NEXT_HOP + LOCAL_PREF.
const ORIGIN_IGP: &[u8] = &[0x40, 1, 1, 0];
const AS_PATH_EMPTY: &[u8] = &[0x40, 2, 0];
const NEXT_HOP: &[u8] = &[0x40, 3, 4, 192, 0, 2, 1];
const LOCAL_PREF: &[u8] = &[0x40, 5, 4, 0, 0, 0, 100];
const NLRI: &[u8] = &[24, 10, 0, 0];

fn body(attrs: &[&[u8]], nlri: &[u8]) -> Vec<u8> {
    let attrs: Vec<u8> = attrs.concat();
    let mut b = vec![0, 0];
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(&attrs);
    b.extend_from_slice(nlri);
    b
}

/// The valid iBGP announcement with the attribute of type `code` replaced by `attr`
/// (or `attr` appended when none of the four has that code).
fn announcement_with(code: u8, attr: &[u8]) -> Vec<u8> {
    let mut attrs: Vec<&[u8]> = vec![ORIGIN_IGP, AS_PATH_EMPTY, NEXT_HOP, LOCAL_PREF];
    match attrs.iter().position(|a| a[1] == code) {
        Some(i) => attrs[i] = attr,
        None => attrs.push(attr),
    }
    body(&attrs, NLRI)
}

fn action_for(update: &Update, code: u8) -> Option<AttributeAction> {
    update
        .issues
        .iter()
        .find(|i| i.type_code == code)
        .map(|i| i.action)
}

fn decode(body: &[u8], ctx: &SessionContext) -> Update {
    Update::decode_body(body, ctx).expect("decodes")
}

/// The valid announcement with `attr` in place of the attribute of its type, decoded on
/// `ctx`; with the action recorded for that type.
fn decode_in_place(attr: &[u8], ctx: &SessionContext) -> (Update, Option<AttributeAction>) {
    let code = attr[1];
    let u = decode(&announcement_with(code, attr), ctx);
    let action = action_for(&u, code);
    (u, action)
}

fn reset(body: &[u8], ctx: &SessionContext) -> (u8, Vec<u8>) {
    let err = Update::decode_body(body, ctx).expect_err("session reset");
    assert_eq!(err.notification.code, ErrorCode::Update);
    (err.notification.subcode, err.notification.data.to_vec())
}

fn encode(update: &Update, ctx: &SessionContext) -> Vec<u8> {
    let mut out = BytesMut::new();
    update.encode_body(ctx, &mut out).expect("encodes");
    assert_eq!(out.len() + HEADER_LEN, update.encoded_len(ctx));
    out.to_vec()
}

/// Encodes `attrs` alone and expects `wire` as the attribute section; decodes `wire`
/// and expects `attrs` back.
fn both_ways(attrs: PathAttributes, ctx: &SessionContext, wire: &[u8]) {
    let update = Update {
        attributes: attrs,
        ..Update::default()
    };
    let expected = body(&[wire], &[]);
    assert_eq!(encode(&update, ctx), expected, "encode");
    // Only the attributes: an announcement without ORIGIN etc. has "missing" issues.
    assert_eq!(
        decode(&expected, ctx).attributes,
        update.attributes,
        "decode"
    );
    assert_eq!(update.attributes.encoded_len(ctx), wire.len());
}

fn seq(asns: &[u32]) -> AsPathSegment {
    AsPathSegment::Sequence(asns.iter().map(|a| Asn(*a)).collect())
}

fn attrs() -> PathAttributes {
    PathAttributes::default()
}

// ---- every attribute, both directions ----

#[test]
fn origin_bytes() {
    let a = PathAttributes {
        origin: Some(Origin::Incomplete),
        ..attrs()
    };
    both_ways(a, &IBGP4, &[0x40, 1, 1, 2]);
}

#[test]
fn as_path_four_octet_bytes() {
    let a = PathAttributes {
        as_path: Some(AsPath {
            segments: vec![
                seq(&[65001, 4_200_000_000]),
                AsPathSegment::Set(vec![Asn(1)]),
            ],
        }),
        ..attrs()
    };
    both_ways(
        a,
        &IBGP4,
        &[
            0x40, 2, 16, 2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 0x00, 1, 1, 0, 0, 0, 1,
        ],
    );
}

#[test]
fn as_path_two_octet_without_large_asns_has_no_as4_path() {
    let a = PathAttributes {
        as_path: Some(AsPath {
            segments: vec![seq(&[65001, 23456])],
        }),
        ..attrs()
    };
    both_ways(a, &IBGP2, &[0x40, 2, 6, 2, 2, 0xfd, 0xe9, 0x5b, 0xa0]);
}

#[test]
fn as_path_two_octet_uses_as_trans_and_as4_path() {
    let a = PathAttributes {
        as_path: Some(AsPath {
            segments: vec![
                AsPathSegment::ConfedSequence(vec![Asn(64512)]),
                seq(&[65001, 4_200_000_000]),
            ],
        }),
        ..attrs()
    };
    both_ways(
        a,
        &IBGP2,
        &[
            // AS_PATH: confed sequence [64512], sequence [65001, AS_TRANS]
            0x40, 2, 10, 3, 1, 0xfc, 0x00, 2, 2, 0xfd, 0xe9, 0x5b, 0xa0,
            // AS4_PATH (17), optional transitive, without the confederation segment
            0xc0, 17, 10, 2, 2, 0, 0, 0xfd, 0xe9, 0xfa, 0x56, 0xea, 0x00,
        ],
    );
}

#[test]
fn as4_path_is_merged_into_as_path_on_two_octet_session() {
    // RFC 6793 4.2.3: AS_PATH [1 AS_TRANS AS_TRANS] with AS4_PATH [70000 80000].
    let wire = [
        0x40, 2, 8, 2, 3, 0, 1, 0x5b, 0xa0, 0x5b, 0xa0, //
        0xc0, 17, 10, 2, 2, 0, 1, 0x11, 0x70, 0, 1, 0x38, 0x80,
    ];
    let u = decode(&body(&[&wire], &[]), &IBGP2);
    assert_eq!(
        u.attributes.as_path.unwrap().segments,
        vec![seq(&[1]), seq(&[70000, 80000])]
    );
}

#[test]
fn next_hop_bytes() {
    let a = PathAttributes {
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        ..attrs()
    };
    both_ways(a, &IBGP4, NEXT_HOP);
}

#[test]
fn med_bytes() {
    let a = PathAttributes {
        med: Some(100),
        ..attrs()
    };
    both_ways(a, &IBGP4, &[0x80, 4, 4, 0, 0, 0, 100]);
}

#[test]
fn local_pref_bytes() {
    let a = PathAttributes {
        local_pref: Some(100),
        ..attrs()
    };
    both_ways(a, &IBGP4, LOCAL_PREF);
}

#[test]
fn atomic_aggregate_bytes() {
    let a = PathAttributes {
        atomic_aggregate: true,
        ..attrs()
    };
    both_ways(a, &IBGP4, &[0x40, 6, 0]);
}

fn aggregator(asn: u32) -> PathAttributes {
    PathAttributes {
        aggregator: Some(Aggregator {
            asn: Asn(asn),
            address: Ipv4Addr::new(10, 0, 0, 1),
        }),
        ..attrs()
    }
}

#[test]
fn aggregator_four_octet_bytes() {
    both_ways(
        aggregator(70000),
        &IBGP4,
        &[0xc0, 7, 8, 0, 1, 0x11, 0x70, 10, 0, 0, 1],
    );
}

#[test]
fn aggregator_two_octet_bytes() {
    both_ways(
        aggregator(65000),
        &IBGP2,
        &[0xc0, 7, 6, 0xfd, 0xe8, 10, 0, 0, 1],
    );
}

#[test]
fn aggregator_with_large_asn_on_two_octet_session_uses_as4_aggregator() {
    both_ways(
        aggregator(70000),
        &IBGP2,
        &[
            0xc0, 7, 6, 0x5b, 0xa0, 10, 0, 0, 1, //
            0xc0, 18, 8, 0, 1, 0x11, 0x70, 10, 0, 0, 1,
        ],
    );
}

#[test]
fn as4_aggregator_is_ignored_with_as4_path_when_aggregator_is_not_as_trans() {
    // RFC 6793 4.2.3.
    let wire = [
        0x40, 2, 4, 2, 1, 0x5b, 0xa0, //
        0xc0, 7, 6, 0xfd, 0xe8, 10, 0, 0, 1, //
        0xc0, 17, 6, 2, 1, 0, 1, 0x11, 0x70, //
        0xc0, 18, 8, 0, 1, 0x11, 0x70, 10, 0, 0, 1,
    ];
    let u = decode(&body(&[&wire], &[]), &IBGP2);
    assert_eq!(u.attributes.aggregator.unwrap().asn, Asn(65000));
    assert_eq!(u.attributes.as_path.unwrap().segments, vec![seq(&[23456])]);
}

#[test]
fn communities_bytes() {
    let a = PathAttributes {
        communities: vec![Community::NO_EXPORT, Community::new(65000, 100)],
        ..attrs()
    };
    both_ways(
        a,
        &IBGP4,
        &[0xc0, 8, 8, 0xff, 0xff, 0xff, 0x01, 0xfd, 0xe8, 0, 100],
    );
}

#[test]
fn originator_id_and_cluster_list_bytes() {
    let a = PathAttributes {
        originator_id: Some(Ipv4Addr::new(192, 0, 2, 9)),
        cluster_list: vec![Ipv4Addr::new(1, 1, 1, 1), Ipv4Addr::new(2, 2, 2, 2)],
        ..attrs()
    };
    both_ways(
        a,
        &IBGP4,
        &[
            0x80, 9, 4, 192, 0, 2, 9, //
            0x80, 10, 8, 1, 1, 1, 1, 2, 2, 2, 2,
        ],
    );
}

#[test]
fn large_community_bytes() {
    let a = PathAttributes {
        large_communities: vec![LargeCommunity {
            global: 65000,
            local1: 1,
            local2: 2,
        }],
        ..attrs()
    };
    both_ways(
        a,
        &IBGP4,
        &[0xc0, 32, 12, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 0, 0, 2],
    );
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// MP_REACH_NLRI alone, of one IPv6 unicast prefix.
fn mp_reach_v6(global: &str, link_local: Option<&str>, prefix: &str) -> PathAttributes {
    PathAttributes {
        mp_reach: Some(MpReach {
            family: Family::Ipv6Unicast,
            next_hop: NextHop::V6 {
                global: v6(global),
                link_local: link_local.map(v6),
            },
            nlri: vec![prefix.parse().unwrap()],
        }),
        ..attrs()
    }
}

#[test]
fn mp_reach_ipv6_global_next_hop_bytes() {
    let a = mp_reach_v6("2001:db8::1", None, "2001:db8:1::/48");
    let mut wire = vec![0x80, 14, 28, 0, 2, 1, 16];
    wire.extend_from_slice(&v6("2001:db8::1").octets());
    wire.extend_from_slice(&[0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]);
    both_ways(a, &IBGP4, &wire);
}

#[test]
fn mp_reach_ipv6_with_link_local_next_hop_bytes() {
    let a = mp_reach_v6("2001:db8::1", Some("fe80::1"), "2001:db8::5/128");
    let mut wire = vec![0x80, 14, 54, 0, 2, 1, 32];
    wire.extend_from_slice(&v6("2001:db8::1").octets());
    wire.extend_from_slice(&v6("fe80::1").octets());
    wire.push(0);
    wire.push(128);
    wire.extend_from_slice(&v6("2001:db8::5").octets());
    both_ways(a, &IBGP4, &wire);
}

#[test]
fn mp_reach_ipv4_bytes() {
    let a = PathAttributes {
        mp_reach: Some(MpReach {
            family: Family::Ipv4Unicast,
            next_hop: NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
            nlri: vec!["10.0.0.0/24".parse().unwrap()],
        }),
        ..attrs()
    };
    both_ways(
        a,
        &IBGP4,
        &[0x80, 14, 13, 0, 1, 1, 4, 192, 0, 2, 1, 0, 24, 10, 0, 0],
    );
}

#[test]
fn mp_unreach_ipv6_bytes() {
    let a = PathAttributes {
        mp_unreach: Some(MpUnreach {
            family: Family::Ipv6Unicast,
            withdrawn: vec!["2001:db8::/64".parse().unwrap()],
        }),
        ..attrs()
    };
    both_ways(
        a,
        &IBGP4,
        &[
            0x80, 15, 12, 0, 2, 1, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
        ],
    );
}

#[test]
fn mp_attributes_are_encoded_first() {
    // RFC 7606 section 5.1.
    let a = PathAttributes {
        origin: Some(Origin::Igp),
        mp_unreach: Some(MpUnreach {
            family: Family::Ipv6Unicast,
            withdrawn: vec![],
        }),
        ..attrs()
    };
    both_ways(a, &IBGP4, &[0x80, 15, 3, 0, 2, 1, 0x40, 1, 1, 0]);
}

#[test]
fn unknown_optional_transitive_is_passed_on_with_partial_bit() {
    let u = decode(&body(&[&[0xc0, 99, 2, 0xab, 0xcd]], &[]), &IBGP4);
    assert_eq!(
        u.attributes.unknown,
        vec![RawAttribute {
            flags: 0xe0,
            type_code: 99,
            value: Bytes::from_static(&[0xab, 0xcd]),
        }]
    );
    assert!(u.issues.is_empty());
    assert_eq!(encode(&u, &IBGP4), body(&[&[0xe0, 99, 2, 0xab, 0xcd]], &[]));
}

#[test]
fn unknown_attributes_are_encoded_in_type_code_order() {
    let mut a = PathAttributes {
        origin: Some(Origin::Igp),
        large_communities: vec![LargeCommunity {
            global: 1,
            local1: 2,
            local2: 3,
        }],
        ..attrs()
    };
    a.unknown.push(RawAttribute {
        flags: 0xe0,
        type_code: 16,
        value: Bytes::from_static(&[0; 8]),
    });
    let wire = encode(
        &Update {
            attributes: a,
            ..Update::default()
        },
        &IBGP4,
    );
    let codes: Vec<u8> = vec![wire[5], wire[5 + 4], wire[5 + 4 + 11]];
    assert_eq!(codes, vec![1, 16, 32]);
}

#[test]
fn unknown_optional_non_transitive_is_dropped_silently() {
    let u = decode(&body(&[&[0x80, 99, 1, 0]], &[]), &IBGP4);
    assert!(u.attributes.unknown.is_empty());
    assert!(u.issues.is_empty());
}

#[test]
fn extended_length_form_is_accepted_for_short_values() {
    let u = decode(&body(&[&[0x50, 1, 0, 1, 2]], &[]), &IBGP4);
    assert_eq!(u.attributes.origin, Some(Origin::Incomplete));
}

#[test]
fn extended_length_is_used_only_above_255_octets() {
    let mut a = PathAttributes {
        communities: (0..63).map(Community).collect(),
        ..attrs()
    };
    let mut wire = vec![0xc0, 8, 252];
    wire.extend((0u32..63).flat_map(|c| c.to_be_bytes()));
    both_ways(a.clone(), &IBGP4, &wire);
    a.communities = (0..64).map(Community).collect();
    let mut wire = vec![0xd0, 8, 1, 0];
    wire.extend((0u32..64).flat_map(|c| c.to_be_bytes()));
    both_ways(a, &IBGP4, &wire);
}

#[test]
fn classic_update_bytes() {
    let update = Update {
        withdrawn: vec!["192.0.2.0/24".parse().unwrap()],
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::default()),
            next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
            local_pref: Some(100),
            ..attrs()
        },
        nlri: vec!["10.0.0.0/24".parse().unwrap()],
        issues: vec![],
    };
    let mut expected = vec![0, 4, 24, 192, 0, 2, 0, 21];
    expected.extend_from_slice(&[ORIGIN_IGP, AS_PATH_EMPTY, NEXT_HOP, LOCAL_PREF].concat());
    expected.extend_from_slice(NLRI);
    assert_eq!(encode(&update, &IBGP4), expected);
    assert_eq!(decode(&expected, &IBGP4), update);
}

// ---- End-of-RIB ----

#[test]
fn end_of_rib_ipv4_is_an_empty_update() {
    let eor = Update::end_of_rib(Family::Ipv4Unicast);
    assert_eq!(encode(&eor, &IBGP4), vec![0, 0, 0, 0]);
    assert_eq!(
        decode(&[0, 0, 0, 0], &IBGP4).as_end_of_rib(),
        Some(Family::Ipv4Unicast)
    );
}

#[test]
fn end_of_rib_ipv6_is_an_empty_mp_unreach() {
    let eor = Update::end_of_rib(Family::Ipv6Unicast);
    let wire = vec![0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1];
    assert_eq!(encode(&eor, &IBGP4), wire);
    assert_eq!(
        decode(&wire, &IBGP4).as_end_of_rib(),
        Some(Family::Ipv6Unicast)
    );
}

#[test]
fn updates_with_content_are_not_end_of_rib() {
    let withdraw = decode(&[0, 4, 24, 10, 0, 0, 0, 0], &IBGP4);
    assert_eq!(withdraw.as_end_of_rib(), None);
    let v6_withdraw = decode(&[0, 0, 0, 8, 0x80, 15, 5, 0, 2, 1, 8, 0x20], &IBGP4);
    assert_eq!(v6_withdraw.as_end_of_rib(), None);
    // MP_UNREACH for a family we do not speak (IPv4 VPN) is kept raw, not an IPv4 EOR.
    let vpn = decode(&[0, 0, 0, 6, 0x80, 15, 3, 0, 1, 128], &IBGP4);
    assert_eq!(vpn.as_end_of_rib(), None);
    assert_eq!(vpn.attributes.unknown.len(), 1);
    // An UPDATE whose only attribute was discarded is not a marker either.
    let discarded = decode(&body(&[&[0x40, 6, 1, 0]], &[]), &IBGP4);
    assert_eq!(discarded.as_end_of_rib(), None);
}

#[test]
fn withdrawal_without_ipv6_carries_no_mp_unreach() {
    let v4_only = Update::withdrawal(vec!["10.0.0.0/8".parse().unwrap()], vec![]);
    assert_eq!(encode(&v4_only, &IBGP4), vec![0, 2, 8, 10, 0, 0]);
    assert_eq!(v4_only.as_end_of_rib(), None);
    let both = Update::withdrawal(
        vec!["10.0.0.0/8".parse().unwrap()],
        vec!["2001:db8::/32".parse().unwrap()],
    );
    assert_eq!(
        both.withdrawn_prefixes()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        ["10.0.0.0/8", "2001:db8::/32"]
    );
}

// ---- RFC 7606, one test per rule ----

#[test]
fn valid_announcement_has_no_issues() {
    let u = decode(&announcement_with(0, &[]), &IBGP4);
    assert!(u.issues.is_empty(), "{:?}", u.issues);
    assert!(!u.is_treat_as_withdraw());
}

#[test]
fn origin_with_bad_length_is_treat_as_withdraw() {
    let u = decode(&announcement_with(1, &[0x40, 1, 2, 0, 0]), &IBGP4);
    assert_eq!(action_for(&u, 1), Some(AttributeAction::TreatAsWithdraw));
    assert!(u.is_treat_as_withdraw());
    assert_eq!(u.nlri, vec!["10.0.0.0/24".parse::<Ipv4Net>().unwrap()]);
}

#[test]
fn origin_with_undefined_value_is_treat_as_withdraw() {
    let u = decode(&announcement_with(1, &[0x40, 1, 1, 3]), &IBGP4);
    assert_eq!(action_for(&u, 1), Some(AttributeAction::TreatAsWithdraw));
    // The malformed ORIGIN is not reported a second time as missing.
    assert_eq!(u.issues.len(), 1);
}

/// The treat-as-withdraw errors whose only trace is the action recorded for them, one row
/// per rule of RFC 7606 section 7 (the row names the attribute and the fault).
#[test]
fn malformed_attributes_are_treat_as_withdraw() {
    let cases: [(&str, &SessionContext, &[u8]); 11] = [
        ("AS_PATH, zero-length segment", &IBGP4, &[0x40, 2, 2, 2, 0]),
        (
            "AS_PATH, segment overrun",
            &IBGP2,
            &[0x40, 2, 4, 2, 2, 0, 1],
        ),
        ("NEXT_HOP, bad length", &IBGP4, &[0x40, 3, 3, 1, 2, 3]),
        ("MED, bad length", &IBGP4, &[0x80, 4, 2, 0, 1]),
        (
            "LOCAL_PREF, bad length on iBGP",
            &IBGP4,
            &[0x40, 5, 5, 0, 0, 0, 0, 1],
        ),
        ("COMMUNITIES, bad length", &IBGP4, &[0xc0, 8, 3, 0, 0, 1]),
        ("COMMUNITIES, zero length", &IBGP4, &[0xc0, 8, 0]),
        (
            "ORIGINATOR_ID, bad length on iBGP",
            &IBGP4,
            &[0x80, 9, 2, 1, 1],
        ),
        (
            "CLUSTER_LIST, bad length on iBGP",
            &IBGP4,
            &[0x80, 10, 5, 1, 1, 1, 1, 2],
        ),
        (
            "EXTENDED COMMUNITIES, bad length",
            &IBGP4,
            &[0xc0, 16, 4, 0, 2, 0, 1],
        ),
        (
            "LARGE_COMMUNITY, bad length",
            &IBGP4,
            &[0xc0, 32, 8, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
    ];
    for (case, ctx, attr) in cases {
        let (_, action) = decode_in_place(attr, ctx);
        assert_eq!(action, Some(AttributeAction::TreatAsWithdraw), "{case}");
    }
}

/// Checks that an attribute is gone from what was decoded.
type Gone = fn(&PathAttributes) -> bool;

/// RFC 7606 "attribute discard", one row per rule of sections 3 and 7: the attribute is
/// dropped (the row's check says it is gone) and the routes are still announced.
#[test]
fn discarded_attributes_are_dropped_and_the_routes_kept() {
    let no_aggregator: Gone = |a| a.aggregator.is_none();
    // Of AS4_PATH nothing is merged: AS_PATH stays the empty one announced.
    let as_path_alone: Gone = |a| a.as_path == Some(AsPath::default());
    let cases: [(&str, &SessionContext, &[u8], Gone); 9] = [
        ("LOCAL_PREF from eBGP", &EBGP4, LOCAL_PREF, |a| {
            a.local_pref.is_none()
        }),
        ("ATOMIC_AGGREGATE length", &IBGP4, &[0x40, 6, 1, 0], |a| {
            !a.atomic_aggregate
        }),
        // 6 octets is the 2-octet form, wrong on a 4-octet session (RFC 7606 7.7).
        (
            "AGGREGATOR length",
            &IBGP4,
            &[0xc0, 7, 6, 0xfd, 0xe8, 10, 0, 0, 1],
            no_aggregator,
        ),
        (
            "AGGREGATOR flags",
            &IBGP4,
            &[0x40, 7, 8, 0, 0, 0xfd, 0xe8, 10, 0, 0, 1],
            no_aggregator,
        ),
        (
            "ORIGINATOR_ID from eBGP",
            &EBGP4,
            &[0x80, 9, 4, 1, 1, 1, 1],
            |a| a.originator_id.is_none(),
        ),
        (
            "CLUSTER_LIST from eBGP",
            &EBGP4,
            &[0x80, 10, 4, 1, 1, 1, 1],
            |a| a.cluster_list.is_empty(),
        ),
        (
            "AS4_PATH malformed, 2-octet",
            &IBGP2,
            &[0xc0, 17, 2, 2, 0],
            as_path_alone,
        ),
        (
            "AS4_AGGREGATOR length",
            &IBGP2,
            &[0xc0, 18, 6, 0, 1, 1, 1, 1, 1],
            // AS4_AGGREGATOR has no field of its own: a malformed one must not become
            // the AGGREGATOR the announcement lacks.
            no_aggregator,
        ),
        (
            "AS4_PATH on 4-octet",
            &IBGP4,
            &[0xc0, 17, 6, 2, 1, 0, 1, 0x11, 0x70],
            as_path_alone,
        ),
    ];
    for (case, ctx, attr, gone) in cases {
        let (u, action) = decode_in_place(attr, ctx);
        assert_eq!(action, Some(AttributeAction::Discard), "{case}");
        assert!(gone(&u.attributes), "{case}: {:?}", u.attributes);
        assert!(!u.is_treat_as_withdraw(), "{case}");
    }
}

#[test]
fn as4_path_confederation_segments_are_discarded() {
    // RFC 6793 section 6: drop the confed segments, keep the rest.
    let as_path = [0x40, 2, 4, 2, 1, 0x5b, 0xa0];
    let as4 = [0xc0, 17, 12, 3, 1, 0, 0, 0xfc, 0, 2, 1, 0, 1, 0x11, 0x70];
    let u = decode(&body(&[ORIGIN_IGP, &as_path, &as4], &[]), &IBGP2);
    assert_eq!(action_for(&u, 17), Some(AttributeAction::Discard));
    assert_eq!(u.attributes.as_path.unwrap().segments, vec![seq(&[70000])]);
}

#[test]
fn flags_conflict_on_well_known_attribute_is_treat_as_withdraw() {
    // ORIGIN sent as optional transitive: RFC 7606 section 3 (c).
    let u = decode(&announcement_with(1, &[0xc0, 1, 1, 0]), &IBGP4);
    assert_eq!(action_for(&u, 1), Some(AttributeAction::TreatAsWithdraw));
    assert_eq!(u.attributes.origin, None);
}

#[test]
fn flags_conflict_on_mp_reach_is_session_reset() {
    let attr = [0xc0, 14, 13, 0, 1, 1, 4, 192, 0, 2, 1, 0, 24, 10, 0, 0];
    let (subcode, data) = reset(&body(&[&attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::ATTRIBUTE_FLAGS_ERROR);
    assert_eq!(data, attr);
}

#[test]
fn duplicate_attribute_keeps_the_first() {
    let first = [0xc0, 8, 4, 0, 0, 0, 1];
    let second = [0xc0, 8, 4, 0, 0, 0, 2];
    let u = decode(&announcement_with(0, &[first, second].concat()), &IBGP4);
    assert_eq!(u.attributes.communities, vec![Community(1)]);
    assert_eq!(action_for(&u, 8), Some(AttributeAction::Discard));
    assert!(!u.is_treat_as_withdraw());
}

#[test]
fn duplicate_mp_reach_is_session_reset() {
    let attr = [0x80, 14, 13, 0, 1, 1, 4, 192, 0, 2, 1, 0, 24, 10, 0, 0];
    let (subcode, data) = reset(&body(&[&attr, &attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::MALFORMED_ATTRIBUTE_LIST);
    assert!(data.is_empty());
}

#[test]
fn duplicate_mp_unreach_is_session_reset() {
    let attr = [0x80, 15, 3, 0, 2, 1];
    let (subcode, _) = reset(&body(&[&attr, &attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::MALFORMED_ATTRIBUTE_LIST);
}

#[test]
fn mp_reach_with_bad_next_hop_length_is_session_reset() {
    // RFC 7606 7.11: a 4-octet next hop for IPv6 hides where the NLRI starts.
    let attr = [0x80, 14, 11, 0, 2, 1, 4, 192, 0, 2, 1, 0, 8, 0x20];
    let (subcode, data) = reset(&body(&[&attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::OPTIONAL_ATTRIBUTE_ERROR);
    assert_eq!(data, attr);
}

#[test]
fn mp_reach_next_hop_overrunning_attribute_is_session_reset() {
    let attr = [0x80, 14, 6, 0, 1, 1, 4, 192, 0];
    let (subcode, _) = reset(&body(&[&attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::OPTIONAL_ATTRIBUTE_ERROR);
}

#[test]
fn mp_reach_shorter_than_fixed_fields_is_session_reset() {
    let attr = [0x80, 14, 3, 0, 2, 1];
    let (subcode, data) = reset(&body(&[&attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::OPTIONAL_ATTRIBUTE_ERROR);
    assert_eq!(data, attr);
}

#[test]
fn mp_reach_with_malformed_nlri_is_session_reset() {
    // RFC 7606 5.3: prefix length 33 for IPv4.
    let attr = [0x80, 14, 14, 0, 1, 1, 4, 192, 0, 2, 1, 0, 33, 10, 0, 0, 0];
    let (subcode, data) = reset(&body(&[&attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::OPTIONAL_ATTRIBUTE_ERROR);
    assert_eq!(data, attr);
}

#[test]
fn mp_unreach_with_malformed_prefix_is_session_reset() {
    let attr = [0x80, 15, 5, 0, 2, 1, 64, 0x20];
    let (subcode, _) = reset(&body(&[&attr], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::OPTIONAL_ATTRIBUTE_ERROR);
}

#[test]
fn mp_reach_of_unknown_family_is_kept_as_raw_bytes() {
    // AFI 2 / SAFI 128 (VPN): not parsed, not an error.
    let attr = [0x80, 14, 5, 0, 2, 128, 0, 0];
    let u = decode(&body(&[&attr], &[]), &IBGP4);
    assert!(u.issues.is_empty());
    assert_eq!(u.attributes.mp_reach, None);
    assert_eq!(u.attributes.unknown[0].type_code, 14);
    assert_eq!(encode(&u, &IBGP4), body(&[&attr], &[]));
}

#[test]
fn ipv4_routes_with_ipv6_next_hop_are_accepted() {
    // RFC 8950: IPv4 NLRI with an IPv6 next hop.
    let mut attr = vec![0x80, 14, 26, 0, 1, 1, 16];
    attr.extend_from_slice(&v6("2001:db8::1").octets());
    attr.extend_from_slice(&[0, 32, 10, 0, 0, 1]);
    let u = decode(
        &body(&[ORIGIN_IGP, AS_PATH_EMPTY, LOCAL_PREF, &attr], &[]),
        &IBGP4,
    );
    let reach = u.attributes.mp_reach.as_ref().unwrap();
    assert_eq!(reach.family, Family::Ipv4Unicast);
    assert!(matches!(
        reach.next_hop,
        NextHop::V6 {
            link_local: None,
            ..
        }
    ));
    assert!(u.issues.is_empty(), "{:?}", u.issues);
}

#[test]
fn unrecognized_well_known_attribute_is_session_reset() {
    let attr = [0x40, 99, 1, 7];
    let (subcode, data) = reset(&announcement_with(99, &attr), &IBGP4);
    assert_eq!(subcode, update_subcode::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE);
    assert_eq!(data, attr);
}

#[test]
fn missing_origin_is_treat_as_withdraw() {
    let u = decode(&body(&[AS_PATH_EMPTY, NEXT_HOP, LOCAL_PREF], NLRI), &IBGP4);
    assert_eq!(action_for(&u, 1), Some(AttributeAction::TreatAsWithdraw));
}

#[test]
fn missing_as_path_is_treat_as_withdraw() {
    let u = decode(&body(&[ORIGIN_IGP, NEXT_HOP, LOCAL_PREF], NLRI), &IBGP4);
    assert_eq!(action_for(&u, 2), Some(AttributeAction::TreatAsWithdraw));
}

#[test]
fn missing_next_hop_with_classic_nlri_is_treat_as_withdraw() {
    let u = decode(
        &body(&[ORIGIN_IGP, AS_PATH_EMPTY, LOCAL_PREF], NLRI),
        &IBGP4,
    );
    assert_eq!(action_for(&u, 3), Some(AttributeAction::TreatAsWithdraw));
}

#[test]
fn missing_local_pref_on_ibgp_is_treat_as_withdraw() {
    let u = decode(&body(&[ORIGIN_IGP, AS_PATH_EMPTY, NEXT_HOP], NLRI), &IBGP4);
    assert_eq!(action_for(&u, 5), Some(AttributeAction::TreatAsWithdraw));
    let ebgp = decode(&body(&[ORIGIN_IGP, AS_PATH_EMPTY, NEXT_HOP], NLRI), &EBGP4);
    assert!(ebgp.issues.is_empty());
}

#[test]
fn next_hop_is_not_required_for_mp_reach_only() {
    let attr = [0x80, 14, 13, 0, 1, 1, 4, 192, 0, 2, 1, 0, 24, 10, 0, 0];
    let u = decode(
        &body(&[ORIGIN_IGP, AS_PATH_EMPTY, LOCAL_PREF, &attr], &[]),
        &IBGP4,
    );
    assert!(u.issues.is_empty(), "{:?}", u.issues);
}

#[test]
fn mandatory_attributes_are_not_required_without_nlri() {
    let u = decode(&[0, 4, 24, 10, 0, 0, 0, 0], &IBGP4);
    assert!(u.issues.is_empty());
    assert_eq!(u.withdrawn.len(), 1);
}

#[test]
fn attribute_error_without_nlri_leaves_nothing_to_withdraw() {
    let u = decode(&body(&[&[0x40, 1, 1, 9]], &[]), &IBGP4);
    assert!(u.is_treat_as_withdraw());
    assert_eq!(u.announced().count(), 0);
}

#[test]
fn attribute_overrunning_section_is_treat_as_withdraw() {
    // RFC 7606 section 4: the COMMUNITIES length says 8, only 4 octets remain.
    let u = decode(&announcement_with(8, &[0xc0, 8, 8, 0, 0, 0, 1]), &IBGP4);
    assert_eq!(action_for(&u, 8), Some(AttributeAction::TreatAsWithdraw));
    assert_eq!(u.nlri.len(), 1);
    assert_eq!(u.attributes.origin, Some(Origin::Igp));
}

#[test]
fn attribute_header_cut_short_is_treat_as_withdraw() {
    // RFC 7606 section 4: fewer than 3 octets left for an attribute header.
    let u = decode(&announcement_with(0, &[0x40, 6]), &IBGP4);
    assert_eq!(action_for(&u, 6), Some(AttributeAction::TreatAsWithdraw));
    let u = decode(&announcement_with(0, &[0x50, 6, 0]), &IBGP4);
    assert_eq!(action_for(&u, 6), Some(AttributeAction::TreatAsWithdraw));
    let u = decode(&announcement_with(0, &[0x40]), &IBGP4);
    assert_eq!(action_for(&u, 0), Some(AttributeAction::TreatAsWithdraw));
}

#[test]
fn mp_reach_overrunning_section_is_session_reset() {
    let (subcode, _) = reset(&body(&[&[0x80, 14, 20, 0, 2, 1]], &[]), &IBGP4);
    assert_eq!(subcode, update_subcode::MALFORMED_ATTRIBUTE_LIST);
}

#[test]
fn total_attribute_length_overrunning_message_is_session_reset() {
    let (subcode, data) = reset(&[0, 0, 0, 10, 0x40, 1, 1, 0], &IBGP4);
    assert_eq!(subcode, update_subcode::MALFORMED_ATTRIBUTE_LIST);
    assert!(data.is_empty());
}

#[test]
fn withdrawn_length_overrunning_message_is_session_reset() {
    let (subcode, _) = reset(&[0, 9, 24, 10, 0, 0, 0, 0], &IBGP4);
    assert_eq!(subcode, update_subcode::MALFORMED_ATTRIBUTE_LIST);
}

#[test]
fn body_shorter_than_its_length_fields_is_session_reset() {
    for short in [&[][..], &[0], &[0, 0], &[0, 0, 0]] {
        let (subcode, _) = reset(short, &IBGP4);
        assert_eq!(subcode, update_subcode::MALFORMED_ATTRIBUTE_LIST);
    }
}

#[test]
fn nlri_prefix_longer_than_32_is_session_reset() {
    let mut b = announcement_with(0, &[]);
    b.extend_from_slice(&[33, 1, 2, 3, 4, 5]);
    let (subcode, data) = reset(&b, &IBGP4);
    assert_eq!(subcode, update_subcode::INVALID_NETWORK_FIELD);
    assert!(data.is_empty());
}

#[test]
fn nlri_prefix_overrunning_message_is_session_reset() {
    let mut b = announcement_with(0, &[]);
    b.extend_from_slice(&[24, 10]);
    let (subcode, _) = reset(&b, &IBGP4);
    assert_eq!(subcode, update_subcode::INVALID_NETWORK_FIELD);
}

#[test]
fn withdrawn_prefix_malformed_is_session_reset() {
    let (subcode, _) = reset(&[0, 2, 40, 10, 0, 0], &IBGP4);
    assert_eq!(subcode, update_subcode::INVALID_NETWORK_FIELD);
}

#[test]
fn several_errors_use_the_strongest_action() {
    // ATOMIC_AGGREGATE malformed (discard) and MED malformed (treat-as-withdraw).
    let b = body(
        &[
            ORIGIN_IGP,
            AS_PATH_EMPTY,
            NEXT_HOP,
            LOCAL_PREF,
            &[0x80, 4, 1, 0],
            &[0x40, 6, 1, 0],
        ],
        NLRI,
    );
    let u = decode(&b, &IBGP4);
    assert_eq!(u.issues.len(), 2);
    assert!(u.is_treat_as_withdraw());
}

// ---- encoder limits ----

#[test]
fn update_over_the_maximum_length_is_refused_without_writing() {
    let update = Update {
        withdrawn: (0..1100u32)
            .map(|i| Ipv4Net::new(Ipv4Addr::from(i << 8), 24).unwrap())
            .collect(),
        ..Update::default()
    };
    let mut out = BytesMut::new();
    let err = update.encode_body(&IBGP4, &mut out).unwrap_err();
    assert_eq!(
        err,
        EncodeError::TooLong {
            len: 19 + 4 + 4400,
            max: 4096
        }
    );
    assert!(out.is_empty());
    let extended = SessionContext {
        max_message_len: 65535,
        ..IBGP4
    };
    update.encode_body(&extended, &mut out).unwrap();
    assert_eq!(out.len(), 4404);
}

#[test]
fn inconsistent_mp_reach_is_refused_without_writing() {
    let update = Update {
        attributes: PathAttributes {
            mp_reach: Some(MpReach {
                family: Family::Ipv6Unicast,
                next_hop: NextHop::V4(Ipv4Addr::LOCALHOST),
                nlri: vec![],
            }),
            ..attrs()
        },
        ..Update::default()
    };
    let mut out = BytesMut::new();
    assert!(matches!(
        update.encode_body(&IBGP4, &mut out),
        Err(EncodeError::Inconsistent(_))
    ));
    let wrong_family = Update {
        attributes: PathAttributes {
            mp_unreach: Some(MpUnreach {
                family: Family::Ipv6Unicast,
                withdrawn: vec!["10.0.0.0/8".parse().unwrap()],
            }),
            ..attrs()
        },
        ..Update::default()
    };
    assert!(wrong_family.encode_body(&IBGP4, &mut out).is_err());
    assert!(out.is_empty());
}
