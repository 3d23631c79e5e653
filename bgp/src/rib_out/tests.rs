//! The Adj-RIB-Out rules, one test each, and a model check of the whole table.

use super::*;
use crate::wire::{
    AsPath, AsPathSegment, ExtendedCommunity, LinkBandwidth, MAX_EXTENDED_MESSAGE_LEN,
    MAX_MESSAGE_LEN, Message, NextHop,
};
use bytes::BytesMut;
use proptest::prelude::*;
use std::collections::HashMap;

const LOCAL_ASN: Asn = Asn(64512);
const NH4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const NH6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const NH6_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);

fn policy(ebgp: bool) -> ExportPolicy {
    ExportPolicy {
        local_asn: LOCAL_ASN,
        kind: if ebgp {
            PeerKind::External
        } else {
            PeerKind::Internal
        },
        next_hops: NextHops {
            v4: Some(NH4),
            v6: Some(NH6),
            v6_link_local: None,
        },
    }
}

fn session_with(families: &[Family], ebgp: bool, max_message_len: usize) -> PeerSession {
    PeerSession {
        context: SessionContext {
            four_octet_as: true,
            max_message_len,
            ebgp,
        },
        families: families.to_vec(),
        policy: policy(ebgp),
    }
}

fn session(families: &[Family]) -> PeerSession {
    session_with(families, true, MAX_MESSAGE_LEN)
}

fn both() -> PeerSession {
    session(&Family::ALL)
}

fn net(text: &str) -> IpNet {
    text.parse().expect("valid prefix")
}

fn v4_host(i: u32) -> IpNet {
    IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + i), 32).expect("valid /32"))
}

fn v6_host(i: u32) -> IpNet {
    let address = Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0000_0000u128 + u128::from(i));
    IpNet::V6(ipnet::Ipv6Net::new(address, 128).expect("valid /128"))
}

fn attrs_med(med: u32) -> Arc<RouteAttributes> {
    Arc::new(RouteAttributes {
        med: Some(med),
        ..RouteAttributes::default()
    })
}

/// A table whose initial set is complete, whose session is up and whose initial
/// transfer (End-of-RIB included) has been drained.
fn up(session: PeerSession) -> AdjRibOut {
    let mut rib = AdjRibOut::new();
    rib.initial_set_complete();
    rib.session_up(session);
    rib.take_updates();
    rib
}

fn announced(update: &Update) -> Vec<IpNet> {
    update.announced().collect()
}

fn withdrawn(update: &Update) -> Vec<IpNet> {
    update.withdrawn_prefixes().collect()
}

fn is_end_of_rib(update: &Update) -> Option<Family> {
    update.as_end_of_rib()
}

/// The length of `update` on the wire, header included, as the encoder writes it; also
/// checks that it decodes back to the same UPDATE.
fn encoded_len(update: &Update, ctx: &SessionContext) -> usize {
    let message = Message::Update(update.clone());
    let mut out = BytesMut::new();
    message
        .encode(ctx, &mut out)
        .expect("every UPDATE built encodes");
    assert_eq!(out.len(), update.encoded_len(ctx));
    let decoded = Message::decode(&out, ctx).expect("every UPDATE built decodes");
    assert_eq!(decoded, message);
    out.len()
}

#[test]
fn withdraws_precede_announcements() {
    let mut rib = up(both());
    let old = [v4_host(1), v4_host(2), v6_host(1)];
    for prefix in old {
        rib.announce(prefix, attrs_med(1));
    }
    rib.take_updates();
    // Announcements queued before the withdrawals still go out after them.
    rib.announce(v4_host(10), attrs_med(1));
    rib.announce(v6_host(10), attrs_med(1));
    for prefix in old {
        rib.withdraw(prefix);
    }
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 3, "{updates:?}");
    let mut gone = withdrawn(&updates[0]);
    gone.sort();
    let mut want = old.to_vec();
    want.sort();
    assert_eq!(gone, want);
    assert!(announced(&updates[0]).is_empty());
    assert!(updates[1..].iter().all(|u| withdrawn(u).is_empty()));
    assert_eq!(announced(&updates[1]), vec![v4_host(10)]);
    assert_eq!(announced(&updates[2]), vec![v6_host(10)]);
}

#[test]
fn identical_attributes_share_one_update() {
    let mut rib = up(both());
    let a = attrs_med(7);
    let b = attrs_med(8);
    for i in 0..100 {
        // Equal values in distinct Arcs still count as identical.
        rib.announce(v4_host(i), Arc::new((*a).clone()));
        rib.announce(v4_host(1000 + i), Arc::clone(&b));
        rib.announce(v6_host(i), Arc::clone(&a));
    }
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 3, "one UPDATE per attribute set and family");
    let mut meds: Vec<(Option<u32>, usize)> = updates
        .iter()
        .map(|u| (u.attributes.med, announced(u).len()))
        .collect();
    meds.sort();
    assert_eq!(meds, vec![(Some(7), 100), (Some(7), 100), (Some(8), 100)]);
}

fn bandwidth(bytes_per_second: f32) -> Arc<RouteAttributes> {
    Arc::new(RouteAttributes {
        extended_communities: vec![ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
            64512,
            bytes_per_second,
            false,
        ))],
        ..RouteAttributes::default()
    })
}

#[test]
fn equal_link_bandwidths_share_an_update_and_different_ones_do_not() {
    let mut rib = up(both());
    for i in 0..50 {
        // Weighted anycast: every address of a Service with 3 local endpoints carries the
        // same bandwidth (equal values in distinct Arcs), one with 1 endpoint another.
        rib.announce(v4_host(i), bandwidth(3e6));
        rib.announce(v4_host(1000 + i), bandwidth(1e6));
    }
    let updates = rib.take_updates();
    let mut split: Vec<(u32, usize)> = updates
        .iter()
        .map(|u| {
            let lb = u.attributes.extended_communities[0]
                .link_bandwidth()
                .unwrap();
            (lb.bytes_per_second() as u32, announced(u).len())
        })
        .collect();
    split.sort();
    assert_eq!(split, vec![(1_000_000, 50), (3_000_000, 50)]);
    // A new bandwidth for one address re-announces that address alone.
    rib.announce(v4_host(0), bandwidth(2e6));
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(announced(&updates[0]), vec![v4_host(0)]);
}

fn assert_packing_fills(max_len: usize, four_octet_as: bool) {
    let mut ctx_session = session_with(&Family::ALL, true, max_len);
    ctx_session.context.four_octet_as = four_octet_as;
    // A 4-octet ASN: towards a 2-octet peer it costs AS_TRANS plus an AS4_PATH.
    ctx_session.policy.local_asn = Asn(4_200_000_000);
    let ctx = ctx_session.context;
    let mut rib = up(ctx_session);
    let attrs = Arc::new(RouteAttributes {
        communities: (0..40).map(|i| Community::new(64512, i)).collect(),
        ..RouteAttributes::default()
    });
    let count = 30_000;
    for i in 0..count {
        rib.announce(v4_host(i), Arc::clone(&attrs));
        rib.announce(v6_host(i), Arc::clone(&attrs));
    }
    let updates = rib.take_updates();
    let mut total = [0usize; 2];
    for (n, update) in updates.iter().enumerate() {
        let len = encoded_len(update, &ctx);
        assert!(len <= max_len, "UPDATE {n} is {len} octets, max {max_len}");
        let family = if update.nlri.is_empty() { 1 } else { 0 };
        total[family] += announced(update).len();
        // Tight: every UPDATE but the last of a family has no room for one more prefix.
        let next_is_same_family = updates
            .get(n + 1)
            .is_some_and(|next| next.nlri.is_empty() == update.nlri.is_empty());
        if next_is_same_family {
            let one_more = if family == 0 { 5 } else { 17 };
            assert!(
                len + one_more > max_len,
                "UPDATE {n} of {len} octets could hold another prefix"
            );
        }
    }
    assert_eq!(total, [count as usize; 2]);
    rib.replace(Vec::new());
    let updates = rib.take_updates();
    let mut gone = 0;
    for update in &updates {
        let len = encoded_len(update, &ctx);
        assert!(len <= max_len, "withdrawal of {len} octets, max {max_len}");
        gone += withdrawn(update).len();
    }
    assert_eq!(gone, 2 * count as usize);
}

#[test]
fn updates_never_exceed_max_message_len() {
    for four_octet_as in [true, false] {
        assert_packing_fills(MAX_MESSAGE_LEN, four_octet_as);
        assert_packing_fills(MAX_EXTENDED_MESSAGE_LEN, four_octet_as);
    }
}

#[test]
fn updates_never_exceed_max_message_len_across_extended_length_boundary() {
    // MP_REACH_NLRI grows a length octet when its value passes 255 octets; with a limit
    // chosen around that point, packing must still stay within it.
    for max_len in 250..330 {
        let ctx_session = session_with(&[Family::Ipv6Unicast], true, max_len);
        let ctx = ctx_session.context;
        let mut rib = up(ctx_session);
        for i in 0..40 {
            rib.announce(v6_host(i), attrs_med(1));
        }
        let updates = rib.take_updates();
        let mut sent = 0;
        for update in &updates {
            assert!(encoded_len(update, &ctx) <= max_len, "max {max_len}");
            sent += announced(update).len();
        }
        assert_eq!(sent, 40, "max {max_len}");
    }
}

#[test]
fn attributes_too_large_for_any_message_are_held_back() {
    let mut rib = up(both());
    let huge = Arc::new(RouteAttributes {
        large_communities: (0..400)
            .map(|i| LargeCommunity {
                global: 64512,
                local1: i,
                local2: 0,
            })
            .collect(),
        ..RouteAttributes::default()
    });
    rib.announce(v4_host(1), Arc::clone(&huge));
    rib.announce(v4_host(2), attrs_med(1));
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(announced(&updates[0]), vec![v4_host(2)]);
    assert_eq!(rib.sent_len(Family::Ipv4Unicast), 1);
    assert!(!rib.has_pending());
}

#[test]
fn end_of_rib_follows_initial_transfer_per_family() {
    let mut rib = AdjRibOut::new();
    rib.initial_set_complete();
    for i in 0..2000 {
        rib.announce(v4_host(i), attrs_med(i % 3));
        rib.announce(v6_host(i), attrs_med(i % 2));
    }
    rib.session_up(both());
    let updates = rib.take_updates();
    let eors: Vec<(usize, Family)> = updates
        .iter()
        .enumerate()
        .filter_map(|(n, u)| is_end_of_rib(u).map(|f| (n, f)))
        .collect();
    assert_eq!(eors.len(), 2, "one End-of-RIB per family");
    let (eor4, eor6) = (eors[0], eors[1]);
    assert_eq!(eor4.1, Family::Ipv4Unicast);
    assert_eq!(eor6.1, Family::Ipv6Unicast);
    assert_eq!(eor6.0, updates.len() - 1);
    for (n, update) in updates.iter().enumerate() {
        if !update.nlri.is_empty() {
            assert!(n < eor4.0, "IPv4 route after its End-of-RIB");
        }
        if update.attributes.mp_reach.is_some() {
            assert!(n < eor6.0, "IPv6 route after its End-of-RIB");
        }
    }
    assert_eq!(rib.sent_len(Family::Ipv4Unicast), 2000);
    assert_eq!(rib.sent_len(Family::Ipv6Unicast), 2000);
    // Once only: later changes bring no new End-of-RIB.
    rib.announce(v4_host(5000), attrs_med(1));
    let later = rib.take_updates();
    assert_eq!(later.len(), 1);
    assert_eq!(is_end_of_rib(&later[0]), None);
    // A session with nothing to send still ends its (empty) initial transfer.
    let mut empty = AdjRibOut::new();
    empty.initial_set_complete();
    empty.session_up(session(&[Family::Ipv6Unicast]));
    let updates = empty.take_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(is_end_of_rib(&updates[0]), Some(Family::Ipv6Unicast));
}

#[test]
fn end_of_rib_waits_until_the_initial_set_is_complete() {
    let mut rib = AdjRibOut::new();
    rib.announce(v4_host(1), attrs_med(1));
    rib.session_up(both());
    // Routes flow as they come, but the End-of-RIB would tell a graceful restart helper
    // to delete our other stale routes, whose fresh copies are not decided yet.
    let first = rib.take_updates();
    assert_eq!(first.len(), 1);
    assert_eq!(announced(&first[0]), vec![v4_host(1)]);
    assert!(!rib.has_pending());
    rib.announce(v6_host(1), attrs_med(1));
    let second = rib.take_updates();
    assert_eq!(second.len(), 1);
    assert_eq!(is_end_of_rib(&second[0]), None);
    // The last route of the set comes with the mark: End-of-RIB for each family follows
    // that family's last route.
    rib.announce(v4_host(2), attrs_med(1));
    rib.initial_set_complete();
    assert!(rib.has_pending());
    let last = rib.take_updates();
    assert_eq!(last.len(), 3, "{last:?}");
    assert_eq!(announced(&last[0]), vec![v4_host(2)]);
    assert_eq!(is_end_of_rib(&last[1]), Some(Family::Ipv4Unicast));
    assert_eq!(is_end_of_rib(&last[2]), Some(Family::Ipv6Unicast));
    assert!(
        rib.take_updates().is_empty(),
        "End-of-RIB goes once per session"
    );
}

#[test]
fn end_of_rib_of_a_later_session_follows_the_full_table_at_once() {
    let mut rib = AdjRibOut::new();
    rib.announce(v4_host(1), attrs_med(1));
    rib.initial_set_complete();
    rib.session_up(session(&[Family::Ipv4Unicast]));
    assert_eq!(rib.take_updates().len(), 2);
    rib.session_down();
    // A reconnect within the same process: the set is already complete.
    rib.session_up(session(&[Family::Ipv4Unicast]));
    let again = rib.take_updates();
    assert_eq!(again.len(), 2);
    assert_eq!(announced(&again[0]), vec![v4_host(1)]);
    assert_eq!(is_end_of_rib(&again[1]), Some(Family::Ipv4Unicast));
}

#[test]
fn marking_the_initial_set_complete_before_a_session_sends_nothing_yet() {
    let mut rib = AdjRibOut::new();
    rib.initial_set_complete();
    assert!(rib.is_initial_set_complete());
    assert!(!rib.has_pending());
    assert!(rib.take_updates().is_empty());
}

#[test]
fn no_update_when_change_reverts_before_sending() {
    let mut rib = up(both());
    let prefix = net("198.51.100.0/24");
    rib.announce(prefix, attrs_med(1));
    assert_eq!(rib.take_updates().len(), 1);
    rib.announce(prefix, attrs_med(2));
    rib.announce(prefix, attrs_med(3));
    rib.withdraw(prefix);
    rib.announce(prefix, attrs_med(1));
    assert!(!rib.has_pending());
    assert!(rib.take_updates().is_empty());
    assert_eq!(rib.pending_announcements(Family::Ipv4Unicast), 0);
    // The same through replace.
    rib.replace(vec![(prefix, attrs_med(9))]);
    rib.replace(vec![(prefix, attrs_med(1))]);
    assert!(rib.take_updates().is_empty());
}

#[test]
fn withdraw_of_unsent_prefix_sends_nothing() {
    let mut rib = up(both());
    rib.withdraw(net("203.0.113.0/24"));
    assert!(rib.take_updates().is_empty());
    // Announced then withdrawn before it was sent: nothing either.
    rib.announce(net("203.0.113.0/24"), attrs_med(1));
    rib.withdraw(net("203.0.113.0/24"));
    assert!(!rib.has_pending());
    assert!(rib.take_updates().is_empty());
}

#[test]
fn route_refresh_resends_family() {
    let mut rib = up(both());
    for i in 0..10 {
        rib.announce(v4_host(i), attrs_med(1));
        rib.announce(v6_host(i), attrs_med(1));
    }
    rib.take_updates();
    rib.route_refresh(Family::Ipv6Unicast);
    assert_eq!(rib.pending_announcements(Family::Ipv6Unicast), 10);
    // Re-announcing an unchanged route does not cancel the refresh.
    rib.announce(v6_host(3), attrs_med(1));
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 1, "no End-of-RIB after a refresh");
    let mut again = announced(&updates[0]);
    again.sort();
    assert_eq!(again, (0..10).map(v6_host).collect::<Vec<_>>());
    assert_eq!(updates[0].attributes.med, Some(1));
    assert_eq!(rib.sent_len(Family::Ipv6Unicast), 10);
    // A family that was not negotiated has nothing to refresh.
    let mut v4_only = up(session(&[Family::Ipv4Unicast]));
    v4_only.announce(v6_host(1), attrs_med(1));
    v4_only.route_refresh(Family::Ipv6Unicast);
    assert!(v4_only.take_updates().is_empty());
}

#[test]
fn ebgp_prepends_local_asn_and_drops_local_pref() {
    let mut rib = up(both());
    let attrs = Arc::new(RouteAttributes {
        origin: Origin::Incomplete,
        as_path_prepend: 2,
        med: Some(50),
        local_pref: Some(300),
        communities: vec![Community::new(64512, 1)],
        large_communities: vec![LargeCommunity {
            global: 64512,
            local1: 1,
            local2: 2,
        }],
        extended_communities: vec![ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
            64512, 1e6, false,
        ))],
    });
    rib.announce(net("192.0.2.0/24"), attrs);
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 1);
    let got = &updates[0].attributes;
    assert_eq!(
        got.as_path,
        Some(AsPath {
            segments: vec![AsPathSegment::Sequence(vec![LOCAL_ASN; 3])]
        })
    );
    assert_eq!(got.local_pref, None);
    assert_eq!(got.med, Some(50));
    assert_eq!(got.origin, Some(Origin::Incomplete));
    assert_eq!(got.next_hop, Some(NH4));
    assert_eq!(got.communities, vec![Community::new(64512, 1)]);
    assert_eq!(got.large_communities.len(), 1);
    assert_eq!(
        got.extended_communities,
        vec![ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
            64512, 1e6, false
        ))]
    );
}

#[test]
fn ibgp_sends_local_pref_default_100() {
    let mut rib = up(session_with(&Family::ALL, false, MAX_MESSAGE_LEN));
    rib.announce(
        net("192.0.2.0/24"),
        Arc::new(RouteAttributes {
            as_path_prepend: 3,
            ..RouteAttributes::default()
        }),
    );
    rib.announce(
        net("198.51.100.0/24"),
        Arc::new(RouteAttributes {
            local_pref: Some(200),
            ..RouteAttributes::default()
        }),
    );
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 2);
    let mut prefs: Vec<Option<u32>> = updates.iter().map(|u| u.attributes.local_pref).collect();
    prefs.sort();
    assert_eq!(prefs, vec![Some(100), Some(200)]);
    for update in &updates {
        // Our own routes inside our AS: empty AS_PATH, no prepending.
        assert_eq!(update.attributes.as_path, Some(AsPath::default()));
    }
}

#[test]
fn routes_of_unnegotiated_family_are_held_back() {
    let mut rib = AdjRibOut::new();
    rib.initial_set_complete();
    rib.announce(v4_host(1), attrs_med(1));
    rib.announce(v6_host(1), attrs_med(1));
    rib.session_up(session(&[Family::Ipv4Unicast]));
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 2, "the IPv4 route and its End-of-RIB");
    assert_eq!(announced(&updates[0]), vec![v4_host(1)]);
    assert_eq!(is_end_of_rib(&updates[1]), Some(Family::Ipv4Unicast));
    assert_eq!(rib.sent_len(Family::Ipv6Unicast), 0);
    assert_eq!(rib.desired_len(), 2);
    assert_eq!(rib.desired_len_of(Family::Ipv6Unicast), 1);
    // A negotiated family without a next hop is held back too.
    let mut no_v6_next_hop = session(&Family::ALL);
    no_v6_next_hop.policy.next_hops.v6 = None;
    let mut rib = AdjRibOut::new();
    rib.announce(v6_host(1), attrs_med(1));
    rib.session_up(no_v6_next_hop);
    let updates = rib.take_updates();
    assert!(updates.iter().all(|u| announced(u).is_empty()));
    assert_eq!(rib.sent_len(Family::Ipv6Unicast), 0);
}

#[test]
fn session_down_forgets_sent_keeps_desired() {
    let mut rib = up(both());
    rib.announce(v4_host(1), attrs_med(1));
    rib.announce(v6_host(1), attrs_med(1));
    rib.take_updates();
    rib.session_down();
    assert_eq!(rib.sent_len(Family::Ipv4Unicast), 0);
    assert_eq!(rib.sent_len(Family::Ipv6Unicast), 0);
    assert_eq!(rib.desired_len(), 2);
    // Without a session nothing goes out, but changes are remembered.
    rib.withdraw(v6_host(1));
    rib.announce(v4_host(2), attrs_med(1));
    assert!(rib.next_update().is_none());
    assert!(!rib.has_pending());
    rib.session_up(both());
    let mut sent: Vec<IpNet> = rib.take_updates().iter().flat_map(announced).collect();
    sent.sort();
    assert_eq!(sent, vec![v4_host(1), v4_host(2)]);
}

#[test]
fn ipv6_uses_mp_reach_with_link_local() {
    let mut with_ll = both();
    with_ll.policy.next_hops.v6_link_local = Some(NH6_LL);
    let mut rib = up(with_ll);
    rib.announce(net("2001:db8:1::/48"), attrs_med(1));
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert!(update.nlri.is_empty());
    assert_eq!(
        update.attributes.next_hop, None,
        "no classic NEXT_HOP for IPv6"
    );
    let reach = update.attributes.mp_reach.as_ref().expect("MP_REACH_NLRI");
    assert_eq!(reach.family, Family::Ipv6Unicast);
    assert_eq!(
        reach.next_hop,
        NextHop::V6 {
            global: NH6,
            link_local: Some(NH6_LL)
        }
    );
    assert_eq!(reach.nlri, vec![net("2001:db8:1::/48")]);
    // Withdrawals go in MP_UNREACH_NLRI.
    rib.withdraw(net("2001:db8:1::/48"));
    let updates = rib.take_updates();
    assert_eq!(updates.len(), 1);
    let unreach = updates[0]
        .attributes
        .mp_unreach
        .as_ref()
        .expect("MP_UNREACH_NLRI");
    assert_eq!(unreach.family, Family::Ipv6Unicast);
    assert_eq!(unreach.withdrawn, vec![net("2001:db8:1::/48")]);
    assert!(updates[0].withdrawn.is_empty());
}

#[test]
fn host_bits_are_ignored() {
    let mut rib = up(both());
    rib.announce(net("192.0.2.77/24"), attrs_med(1));
    rib.withdraw(net("192.0.2.0/24"));
    assert_eq!(rib.desired_len(), 0);
    assert!(rib.take_updates().is_empty());
}

/// One event applied to the table in the model check.
#[derive(Clone, Debug)]
enum Event {
    Announce(IpNet, u8),
    Withdraw(IpNet),
    Replace(Vec<(IpNet, u8)>),
    /// A session with these families, eBGP or not, extended messages or not, 4-octet AS
    /// or not.
    SessionUp(Vec<Family>, bool, bool, bool),
    SessionDown,
    RouteRefresh(Family),
    /// Send up to this many pending UPDATEs to the peer.
    Drain(u8),
}

/// A small pool of prefixes so events collide on the same ones.
fn prefix_strategy() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (0u32..24).prop_map(v4_host),
        (0u32..24).prop_map(v6_host),
        (0u32..4).prop_map(|i| net(&format!("10.{i}.0.0/16"))),
    ]
}

fn families_strategy() -> impl Strategy<Value = Vec<Family>> {
    prop_oneof![
        Just(vec![Family::Ipv4Unicast]),
        Just(vec![Family::Ipv6Unicast]),
        Just(vec![Family::Ipv4Unicast, Family::Ipv6Unicast]),
        Just(vec![]),
    ]
}

fn event_strategy() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => (prefix_strategy(), 0u8..4).prop_map(|(p, a)| Event::Announce(p, a)),
        3 => prefix_strategy().prop_map(Event::Withdraw),
        1 => proptest::collection::vec((prefix_strategy(), 0u8..4), 0..12).prop_map(Event::Replace),
        1 => (families_strategy(), any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(f, ebgp, extended, four)| Event::SessionUp(f, ebgp, extended, four)),
        1 => Just(Event::SessionDown),
        1 => prop_oneof![Just(Family::Ipv4Unicast), Just(Family::Ipv6Unicast)]
            .prop_map(Event::RouteRefresh),
        2 => (0u8..4).prop_map(Event::Drain),
    ]
}

/// The attribute sets of the model check; some are large so packing splits UPDATEs.
fn model_attrs(index: u8) -> Arc<RouteAttributes> {
    Arc::new(RouteAttributes {
        med: Some(u32::from(index)),
        communities: (0..u16::from(index) * 300)
            .map(|i| Community::new(1, i))
            .collect(),
        ..RouteAttributes::default()
    })
}

/// What the peer holds: prefix to the MED and community count it was last sent with.
type PeerRib = HashMap<IpNet, (Option<u32>, usize)>;

fn apply(peer: &mut PeerRib, update: &Update, ctx: &SessionContext) {
    assert!(encoded_len(update, ctx) <= ctx.max_message_len);
    for prefix in withdrawn(update) {
        peer.remove(&prefix);
    }
    let seen = (update.attributes.med, update.attributes.communities.len());
    for prefix in announced(update) {
        peer.insert(prefix, seen);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn peer_rib_converges_to_desired_for_negotiated_families(
        events in proptest::collection::vec(event_strategy(), 0..40)
    ) {
        let mut rib = AdjRibOut::new();
        rib.initial_set_complete();
        let mut peer = PeerRib::new();
        let mut desired: HashMap<IpNet, u8> = HashMap::new();
        let mut families: Option<Vec<Family>> = None;
        let mut ctx = SessionContext::default();
        let mut end_of_rib_seen: Vec<Family> = Vec::new();
        for event in events {
            match event {
                Event::Announce(p, a) => {
                    desired.insert(p, a);
                    rib.announce(p, model_attrs(a));
                }
                Event::Withdraw(p) => {
                    desired.remove(&p);
                    rib.withdraw(p);
                }
                Event::Replace(routes) => {
                    desired = routes.iter().copied().collect();
                    rib.replace(routes.into_iter().map(|(p, a)| (p, model_attrs(a))).collect::<RouteSet>());
                }
                Event::SessionUp(f, ebgp, extended, four_octet_as) => {
                    // The peer starts empty on a new session.
                    peer.clear();
                    end_of_rib_seen.clear();
                    families = Some(f.clone());
                    let max_len = if extended { MAX_EXTENDED_MESSAGE_LEN } else { MAX_MESSAGE_LEN };
                    let mut new_session = session_with(&f, ebgp, max_len);
                    new_session.context.four_octet_as = four_octet_as;
                    new_session.policy.local_asn = Asn(4_200_000_000);
                    ctx = new_session.context;
                    rib.session_up(new_session);
                }
                Event::SessionDown => {
                    families = None;
                    rib.session_down();
                }
                Event::RouteRefresh(f) => rib.route_refresh(f),
                Event::Drain(n) => {
                    for _ in 0..n {
                        let Some(update) = rib.next_update() else { break };
                        if let Some(f) = is_end_of_rib(&update) {
                            prop_assert!(!end_of_rib_seen.contains(&f), "second End-of-RIB");
                            end_of_rib_seen.push(f);
                        }
                        apply(&mut peer, &update, &ctx);
                    }
                }
            }
        }
        let updates = rib.take_updates();
        for update in &updates {
            if let Some(f) = is_end_of_rib(update) {
                prop_assert!(!end_of_rib_seen.contains(&f), "second End-of-RIB");
                end_of_rib_seen.push(f);
            }
            apply(&mut peer, update, &ctx);
        }
        prop_assert!(!rib.has_pending());
        let Some(families) = families else {
            prop_assert!(updates.is_empty());
            return Ok(());
        };
        let want: PeerRib = desired
            .iter()
            .filter(|(p, _)| families.contains(&Family::of(p)))
            .map(|(p, a)| (*p, (Some(u32::from(*a)), usize::from(*a) * 300)))
            .collect();
        prop_assert_eq!(&peer, &want);
        end_of_rib_seen.sort();
        let mut want_eor = families.clone();
        want_eor.sort();
        prop_assert_eq!(end_of_rib_seen, want_eor);
        for family in Family::ALL {
            let count = want.keys().filter(|p| Family::of(p) == family).count();
            prop_assert_eq!(rib.sent_len(family), count);
        }
    }
}

#[test]
fn churn_before_sending_keeps_queues_bounded() {
    let mut rib = up(both());
    for i in 0..100 {
        rib.announce(v4_host(i), attrs_med(0));
    }
    rib.take_updates();
    // A flapping route set while the peer does not read: every change leaves a stale
    // queue entry behind, which must not accumulate.
    let (a, b) = (attrs_med(1), attrs_med(2));
    for round in 0..200 {
        for i in 0..100 {
            match (round + i) % 3 {
                0 => rib.announce(v4_host(i), Arc::clone(&a)),
                1 => rib.announce(v4_host(i), Arc::clone(&b)),
                _ => rib.withdraw(v4_host(i)),
            }
        }
        let live = rib.pending_announcements(Family::Ipv4Unicast)
            + rib.pending_withdrawals(Family::Ipv4Unicast);
        assert!(rib.table.queue_entries() <= 2 * live + table::COMPACT_SLACK + 1);
    }
    let mut peer: HashMap<IpNet, Option<u32>> = (0..100).map(|i| (v4_host(i), Some(0))).collect();
    for update in rib.take_updates() {
        for prefix in withdrawn(&update) {
            peer.remove(&prefix);
        }
        for prefix in announced(&update) {
            peer.insert(prefix, update.attributes.med);
        }
    }
    // Round 199: (199 + i) % 3 == 0 -> a, 1 -> b, 2 -> withdrawn.
    let want: HashMap<IpNet, Option<u32>> = (0..100)
        .filter_map(|i| match (199 + i) % 3 {
            0 => Some((v4_host(i), Some(1))),
            1 => Some((v4_host(i), Some(2))),
            _ => None,
        })
        .collect();
    assert_eq!(peer, want);
}

/// The prefixes of `updates`, announced and withdrawn, in sending order.
fn sent_order(updates: &[Update]) -> Vec<IpNet> {
    updates
        .iter()
        .flat_map(|u| withdrawn(u).into_iter().chain(announced(u)))
        .collect()
}

#[test]
fn a_change_of_many_routes_at_once_goes_out_in_prefix_order() {
    // 0..600 in a scattered order: a multiplier coprime with 600.
    let scattered: Vec<IpNet> = (0..600u32).map(|i| v4_host(i * 7 % 600)).collect();
    let mut sorted = scattered.clone();
    sorted.sort();
    let attrs = attrs_med(1);
    let routes = |prefixes: &[IpNet]| -> Vec<(IpNet, Arc<RouteAttributes>)> {
        prefixes.iter().map(|p| (*p, Arc::clone(&attrs))).collect()
    };

    // Replaced during a session.
    let mut rib = up(both());
    rib.replace(routes(&scattered));
    assert_eq!(sent_order(&rib.take_updates()), sorted, "replace");

    // Replaced before the session, sent when it comes up.
    let mut rib = AdjRibOut::new();
    rib.replace(routes(&scattered));
    rib.session_up(both());
    assert_eq!(sent_order(&rib.take_updates()), sorted, "session up");

    // Asked for again.
    rib.route_refresh(Family::Ipv4Unicast);
    assert_eq!(sent_order(&rib.take_updates()), sorted, "route refresh");

    // Withdrawn by one replace.
    rib.replace(Vec::new());
    assert_eq!(sent_order(&rib.take_updates()), sorted, "withdrawn at once");
}
