//! Route changes to UPDATEs: coalescing, urgency, End-of-RIB, output bounds, and the
//! report of changes written.

use super::*;

#[test]
fn an_announcement_after_a_quiet_spell_goes_at_once() {
    let mut h = Harness::established(config(), peer_open(false));
    h.advance(ANNOUNCE_COALESCE * 2);
    let out = h.commands(vec![announce(1)]);
    assert!(asks_for_updates(&out), "no window is open, so no wait");
    assert_eq!(h.speaker.next_deadline(), None);
}

#[test]
fn announcements_within_the_window_of_a_send_wait_for_its_end() {
    let mut h = Harness::established(config(), peer_open(false));
    h.advance(ANNOUNCE_COALESCE * 2);
    let mut sink = Sink::default();
    let out = h.commands(vec![announce(1)]);
    h.fill_from(&out, &mut sink);
    let window_end = h.now + ANNOUNCE_COALESCE;
    h.now += ANNOUNCE_COALESCE / 2;
    let out = h.commands(vec![announce(2)]);
    assert!(!asks_for_updates(&out), "not before the window ends");
    assert_eq!(h.speaker.next_deadline(), Some(window_end));
    // More announcements within the window do not move its end.
    h.now += ANNOUNCE_COALESCE / 4;
    h.commands(vec![announce(3)]);
    assert_eq!(h.speaker.next_deadline(), Some(window_end));
    let out = h.advance(window_end - h.now);
    assert!(asks_for_updates(&out));
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    let nlri: usize = sink.updates().iter().map(|u| u.nlri.len()).sum();
    assert_eq!(nlri, 2, "both waiting announcements, packed");
    assert_eq!(sink.updates().len(), 1);
    assert_eq!(h.speaker.next_deadline(), None);
}

#[test]
fn an_announcement_right_after_a_withdrawal_goes_at_once() {
    let mut h = Harness::established(config(), peer_open(false));
    h.advance(ANNOUNCE_COALESCE * 2);
    let out = h.commands(vec![Command::Changes {
        changes: vec![RouteChange::Withdraw(prefix(1))],
        since: None,
    }]);
    assert!(asks_for_updates(&out));
    h.now += ANNOUNCE_COALESCE / 5;
    let out = h.commands(vec![announce(1)]);
    assert!(asks_for_updates(&out), "a withdrawal opens no window");
}

#[test]
fn withdrawals_replacements_and_the_end_of_the_initial_set_go_at_once() {
    let urgent = [
        Command::Changes {
            changes: vec![RouteChange::Withdraw(prefix(1))],
            since: None,
        },
        Command::Replace(vec![(prefix(3), attrs())].into()),
        Command::InitialSetComplete,
    ];
    for command in urgent {
        let mut h = Harness::established(config(), peer_open(false));
        let out = h.commands(vec![command]);
        assert!(asks_for_updates(&out));
        assert_eq!(h.speaker.next_deadline(), None);
    }
}

#[test]
fn an_announcement_batched_with_a_withdrawal_goes_with_it() {
    let mut h = Harness::established(config(), peer_open(false));
    let out = h.commands(vec![
        announce(1),
        Command::Changes {
            changes: vec![RouteChange::Withdraw(prefix(2))],
            since: None,
        },
    ]);
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    let nlri: usize = sink.updates().iter().map(|u| u.nlri.len()).sum();
    assert_eq!(nlri, 1);
}

#[test]
fn end_of_rib_follows_the_initial_set_only_once_it_is_complete() {
    let mut h = Harness::established(config(), peer_open(false));
    let out = h.commands(vec![Command::Replace(vec![(prefix(1), attrs())].into())]);
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    assert_eq!(sink.updates().len(), 1);
    assert_eq!(sink.end_of_ribs(), 0, "the initial set is not complete yet");
    let out = h.commands(vec![Command::InitialSetComplete]);
    h.fill_from(&out, &mut sink);
    assert_eq!(sink.end_of_ribs(), 1);
    assert_eq!(
        sink.updates().last().and_then(|u| u.as_end_of_rib()),
        Some(Family::Ipv4Unicast)
    );
}

#[test]
fn routes_given_before_the_session_are_sent_when_it_comes_up() {
    let mut h = Harness::started(config());
    let out = h.commands(vec![
        Command::Replace(vec![(prefix(1), attrs()), (prefix(2), attrs())].into()),
        Command::InitialSetComplete,
    ]);
    assert!(!asks_for_updates(&out), "no session to send on");
    let out = h.open_session(peer_open(false));
    let established = out
        .iter()
        .position(|o| matches!(o, Output::Established { .. }));
    let updates = out
        .iter()
        .position(|o| matches!(o, Output::SendUpdates { .. }));
    assert!(
        established < updates && updates.is_some(),
        "the codec context is set before UPDATEs are encoded: {out:?}"
    );
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    assert_eq!(sink.end_of_ribs(), 1);
    assert_eq!(h.speaker.status().prefixes_sent, 2);
}

#[test]
fn updates_stop_at_the_high_water_mark_and_resume_when_there_is_room() {
    let mut h = Harness::established(config(), peer_open(false));
    let routes: Vec<_> = (0..40_000u32)
        .map(|i| {
            let net: ipnet::IpNet = ipnet::Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + i), 32)
                .unwrap()
                .into();
            // Distinct attributes: one UPDATE each.
            let attrs = Arc::new(RouteAttributes {
                med: Some(i),
                ..RouteAttributes::default()
            });
            (net, attrs)
        })
        .collect();
    let out = h.commands(vec![Command::Replace(routes.into())]);
    let mut sink = Sink::default();
    assert!(h.fill_from(&out, &mut sink), "more waits for room");
    let first = sink.octets;
    assert!((OUT_HIGH_WATER..OUT_HIGH_WATER + 4096).contains(&first));
    // The socket took everything: room again.
    sink.octets = 0;
    let out = h.handle(Input::Room { conn: C1 });
    assert!(asks_for_updates(&out));
    h.fill_from(&out, &mut sink);
    assert!(sink.octets >= OUT_HIGH_WATER);
    assert!(h.speaker.status().prefixes_sent < 40_000);
}

#[test]
fn changes_are_reported_written_once_their_output_is_flushed() {
    let mut h = Harness::established(config(), peer_open(false));
    let seen = h.now;
    let out = h.commands(vec![Command::Changes {
        changes: vec![RouteChange::Withdraw(prefix(1))],
        since: Some(seen),
    }]);
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    let out = h.drain();
    assert!(out.contains(&Output::WatchFlushed { conn: C1 }), "{out:?}");
    let out = h.handle(Input::Flushed { conn: C1 });
    assert_eq!(out, vec![Output::Written(vec![seen])]);
}

#[test]
fn changes_made_without_a_session_are_not_reported_written() {
    let mut h = Harness::started(config());
    h.commands(vec![Command::Changes {
        changes: vec![RouteChange::Withdraw(prefix(1))],
        since: Some(h.now),
    }]);
    let out = h.handle(Input::Flushed { conn: C1 });
    assert!(!out.iter().any(|o| matches!(o, Output::Written(_))));
}

#[test]
fn a_route_refresh_sends_the_family_again() {
    let open = Open {
        capabilities: [
            peer_open(false).capabilities,
            vec![Capability::RouteRefresh],
        ]
        .concat(),
        ..peer_open(false)
    };
    let mut h = Harness::established(config(), open);
    let out = h.commands(vec![
        Command::Replace(vec![(prefix(1), attrs())].into()),
        Command::InitialSetComplete,
    ]);
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    let before = sink.updates().len();
    let out = h.handle(Input::Received {
        conn: C1,
        message: Box::new(Message::RouteRefresh(crate::wire::RouteRefresh {
            afi: Afi::Ipv4,
            safi: Safi::Unicast,
            subtype: crate::wire::RouteRefreshSubtype::Request,
        })),
    });
    h.fill_from(&out, &mut sink);
    let again: usize = sink.updates()[before..].iter().map(|u| u.nlri.len()).sum();
    assert_eq!(again, 1);
}
