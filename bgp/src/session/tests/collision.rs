//! Connection collisions (RFC 4271 section 6.8).

use super::*;

/// Both connections up and in OpenSent; the peer's OPEN arrives on `first`.
fn collide(local_id: RouterId, first: ConnectionId) -> (Session, Vec<Action>) {
    let mut s = open_sent(
        SessionConfig {
            router_id: local_id,
            ..config()
        },
        OUT,
        Direction::Outbound,
    );
    s.handle(connected(IN, Direction::Inbound));
    let a = s.handle(recv(first, Message::Open(peer_open())));
    (s, a)
}

#[test]
fn collision_keeps_connection_initiated_by_higher_router_id() {
    // Peer is 10.0.0.2. We are higher: our outbound connection survives, whichever
    // connection the OPEN arrives on first. We are lower: the peer's (inbound) one does.
    for (local_id, (kept, direction), lost) in [
        (rid(10, 0, 0, 9), (OUT, Direction::Outbound), IN),
        (rid(10, 0, 0, 1), (IN, Direction::Inbound), OUT),
    ] {
        for first in [OUT, IN] {
            let case = format!("we are {local_id:?}, first on {first:?}");
            let (s, a) = collide(local_id, first);
            assert_eq!(
                notification_sent(&a, lost),
                Some(&notification(
                    ErrorCode::Cease,
                    cease_subcode::CONNECTION_COLLISION_RESOLUTION
                )),
                "{case}"
            );
            assert!(closed(&a, lost), "{case}");
            assert!(!closed(&a, kept), "{case}");
            let left: Vec<_> = s.connections().map(|(id, dir, _)| (id, dir)).collect();
            assert_eq!(left, vec![(kept, direction)], "{case}");
        }
    }
}

#[test]
fn collision_winner_goes_on_to_established_without_restart() {
    let (mut s, a) = collide(rid(10, 0, 0, 9), OUT);
    assert_eq!(
        timer_set(&a, Timer::ConnectRetry),
        None,
        "no restart for a collision"
    );
    assert_eq!(s.state(), State::OpenConfirm);
    s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(s.established_connection(), Some(OUT));
}

#[test]
fn collision_is_resolved_when_other_connection_is_in_open_confirm() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    s.handle(recv(OUT, Message::Open(peer_open())));
    s.handle(connected(IN, Direction::Inbound));
    assert_eq!(s.state(), State::OpenConfirm);
    // We are 10.0.0.1 < 10.0.0.2: the inbound connection survives.
    let a = s.handle(recv(IN, Message::Open(peer_open())));
    assert!(closed(&a, OUT));
    assert_eq!(down_reason(&a), None);
    assert_eq!(s.connections().count(), 1);
    assert_eq!(s.state(), State::OpenConfirm);
}

#[test]
fn connection_while_established_is_closed_with_cease_7() {
    let mut s = established();
    let a = s.handle(connected(IN, Direction::Inbound));
    assert_ceased(&a, IN, cease_subcode::CONNECTION_COLLISION_RESOLUTION);
    assert!(!closed(&a, OUT));
    assert_eq!(s.state(), State::Established);
}

#[test]
fn open_on_new_connection_after_other_became_established_is_dumped() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    s.handle(recv(OUT, Message::Open(peer_open())));
    // IN comes up while OUT is in OpenConfirm, then OUT reaches Established.
    s.handle(connected(IN, Direction::Inbound));
    s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(s.established_connection(), Some(OUT));
    // RFC 4271 8.2.2 Established, OpenCollisionDump: the newer connection goes, even
    // though the peer has the higher identifier.
    let a = s.handle(recv(IN, Message::Open(peer_open())));
    assert_ceased(&a, IN, cease_subcode::CONNECTION_COLLISION_RESOLUTION);
    assert_eq!(down_reason(&a), None);
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.connections().count(), 1);
}

#[test]
fn outbound_connection_completing_after_established_is_closed_with_cease_7() {
    let mut s = Session::new(config(), 1);
    s.handle(Event::Start);
    s.handle(connected(IN, Direction::Inbound));
    s.handle(recv(IN, Message::Open(peer_open())));
    s.handle(recv(IN, Message::Keepalive));
    assert_eq!(s.established_connection(), Some(IN));
    let a = s.handle(connected(OUT, Direction::Outbound));
    assert_ceased(&a, OUT, cease_subcode::CONNECTION_COLLISION_RESOLUTION);
    assert_eq!(s.state(), State::Established);
}

#[test]
fn stale_outbound_connection_after_stop_is_closed_silently() {
    let mut s = Session::new(config(), 1);
    s.handle(Event::Start);
    s.handle(Event::Stop(notification(ErrorCode::Cease, 2)));
    let a = s.handle(connected(OUT, Direction::Outbound));
    assert_eq!(a, vec![Action::Close { conn: OUT }]);
}

#[test]
fn second_connection_in_same_direction_is_rejected_with_cease_5() {
    let mut s = open_sent(config(), IN, Direction::Inbound);
    let a = s.handle(connected(ConnectionId(3), Direction::Inbound));
    assert_ceased(&a, ConnectionId(3), cease_subcode::CONNECTION_REJECTED);
    assert_eq!(s.connections().count(), 1);
}

#[test]
fn state_reports_the_most_advanced_connection() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    s.handle(connected(IN, Direction::Inbound));
    assert_eq!(s.state(), State::OpenSent);
    s.handle(Event::Closed { conn: IN });
    assert_eq!(s.state(), State::OpenSent, "OUT is still up: no restart");
    s.handle(recv(OUT, Message::Open(peer_open())));
    assert_eq!(s.state(), State::OpenConfirm);
}

/// The peer's OPEN with the graceful restart capability (RFC 4724).
fn gr_peer_open() -> Open {
    let mut open = peer_open();
    open.capabilities
        .push(Capability::GracefulRestart(GracefulRestart {
            restart_state: true,
            notification: false,
            restart_time: 120,
            families: vec![],
        }));
    open
}

fn established_action(actions: &[Action]) -> Option<ConnectionId> {
    actions.iter().find_map(|a| match a {
        Action::Established { conn, .. } => Some(*conn),
        _ => None,
    })
}

/// A machine Established on `first` (`direction`) with a graceful restart peer, which
/// then connects again on `second`; checks that the new session replaces the old.
fn gr_peer_restart_replaces_session(passive: bool, first: ConnectionId, direction: Direction) {
    let cfg = SessionConfig {
        passive,
        ..config()
    };
    let mut s = open_sent(cfg, first, direction);
    s.handle(recv(first, Message::Open(gr_peer_open())));
    s.handle(recv(first, Message::Keepalive));
    assert_eq!(s.established_connection(), Some(first));

    let second = ConnectionId(9);
    let a = s.handle(connected(second, Direction::Inbound));
    assert!(!closed(&a, second), "the new connection is heard: {a:?}");
    assert!(matches!(sent(&a, second)[..], [Message::Open(_)]), "{a:?}");
    assert_eq!(
        s.state(),
        State::Established,
        "the old session still carries routes"
    );

    let a = s.handle(recv(second, Message::Open(gr_peer_open())));
    assert!(closed(&a, first), "the old session is closed: {a:?}");
    assert_eq!(notification_sent(&a, first), None, "its far end is gone");
    assert_eq!(down_reason(&a), Some(&DownReason::ReplacedByPeerRestart));
    assert!(!closed(&a, second));
    assert_eq!(sent(&a, second), vec![&Message::Keepalive]);
    assert_eq!(
        timer_set(&a, Timer::ConnectRetry),
        None,
        "no restart of ours"
    );
    assert_eq!(s.state(), State::OpenConfirm);

    let a = s.handle(recv(second, Message::Keepalive));
    assert_eq!(
        established_action(&a),
        Some(second),
        "routes go out on the new one"
    );
    let left: Vec<_> = s.connections().map(|(id, _, state)| (id, state)).collect();
    assert_eq!(left, vec![(second, State::Established)]);
}

#[test]
fn graceful_restart_peer_connecting_while_established_replaces_the_old_session() {
    gr_peer_restart_replaces_session(false, OUT, Direction::Outbound);
}

#[test]
fn graceful_restart_peer_reconnecting_to_a_passive_speaker_replaces_the_old_session() {
    // The old session is inbound too: the one-per-direction rule must not refuse it.
    gr_peer_restart_replaces_session(true, IN, Direction::Inbound);
}

#[test]
fn non_graceful_restart_peer_connecting_while_established_gets_cease_7() {
    // `established()` negotiated without the capability: RFC 4271 6.8 applies.
    let mut s = established();
    let a = s.handle(connected(IN, Direction::Inbound));
    assert_ceased(&a, IN, cease_subcode::CONNECTION_COLLISION_RESOLUTION);
    assert_eq!(s.established_connection(), Some(OUT));
}

#[test]
fn new_open_without_graceful_restart_is_dumped_and_the_old_session_stays() {
    let mut s = established_with(config(), gr_peer_open());
    s.handle(connected(IN, Direction::Inbound));
    let a = s.handle(recv(IN, Message::Open(peer_open())));
    assert_ceased(&a, IN, cease_subcode::CONNECTION_COLLISION_RESOLUTION);
    assert!(!closed(&a, OUT));
    assert_eq!(down_reason(&a), None);
    assert_eq!(s.established_connection(), Some(OUT));
}

#[test]
fn only_one_restart_candidate_is_heard_at_a_time() {
    let mut s = established_with(config(), gr_peer_open());
    s.handle(connected(IN, Direction::Inbound));
    let third = ConnectionId(3);
    let a = s.handle(connected(third, Direction::Inbound));
    assert_ceased(&a, third, cease_subcode::CONNECTION_REJECTED);
    assert_eq!(s.connections().count(), 2);
    // Our own outbound connection is never a restart of the peer.
    let mut s = established_with(config(), gr_peer_open());
    let a = s.handle(connected(third, Direction::Outbound));
    assert!(closed(&a, third));
    assert_eq!(s.connections().count(), 1);
}
