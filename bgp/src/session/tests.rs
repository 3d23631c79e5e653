//! One test per protocol rule, driving [`Session`] with events and checking its actions.

use super::*;
use crate::types::{Afi, Safi};
use crate::wire::notification::{cease_subcode, fsm_subcode, open_subcode};
use crate::wire::{
    Capability, ErrorCode, GracefulRestart, GracefulRestartFamily, MessageError, Open,
    RouteRefresh, RouteRefreshSubtype, Update,
};
use std::net::Ipv4Addr;

const OUT: ConnectionId = ConnectionId(1);
const IN: ConnectionId = ConnectionId(2);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn rid(a: u8, b: u8, c: u8, d: u8) -> RouterId {
    RouterId(Ipv4Addr::new(a, b, c, d))
}

fn config() -> SessionConfig {
    SessionConfig {
        local_asn: Asn(65001),
        peer_asn: Asn(65002),
        router_id: rid(10, 0, 0, 1),
        hold_time: 90,
        connect_retry: secs(5),
        connect_retry_max: secs(60),
        passive: false,
        families: vec![Family::Ipv4Unicast, Family::Ipv6Unicast],
        graceful_restart: None,
        hostname: None,
        extended_message: false,
        send_hold_time: None,
    }
}

/// An OPEN the peer of [`config`] would send.
fn peer_open() -> Open {
    Open {
        version: 4,
        my_as: 65002,
        hold_time: 90,
        router_id: rid(10, 0, 0, 2),
        capabilities: vec![
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
            },
            Capability::Multiprotocol {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
            },
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(65002)),
        ],
    }
}

fn recv(conn: ConnectionId, message: Message) -> Event {
    Event::Received { conn, message }
}

fn connected(conn: ConnectionId, direction: Direction) -> Event {
    Event::Connected { conn, direction }
}

fn notification(code: ErrorCode, subcode: u8) -> Notification {
    Notification::new(code, subcode, Vec::new())
}

/// A started machine with `conn` in OpenSent.
fn open_sent(cfg: SessionConfig, conn: ConnectionId, direction: Direction) -> Session {
    let mut s = Session::new(cfg, 1);
    s.handle(Event::Start);
    s.handle(connected(conn, direction));
    assert_eq!(s.state(), State::OpenSent);
    s
}

/// A machine Established on `OUT` with the peer OPEN given.
fn established_with(cfg: SessionConfig, open: Open) -> Session {
    let mut s = open_sent(cfg, OUT, Direction::Outbound);
    s.handle(recv(OUT, Message::Open(open)));
    assert_eq!(s.state(), State::OpenConfirm);
    s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(s.state(), State::Established);
    s
}

fn established() -> Session {
    established_with(config(), peer_open())
}

/// What the peer's OPEN leads to: the negotiation, or the NOTIFICATION we sent.
fn negotiate_open(cfg: SessionConfig, open: Open) -> Result<Negotiated, Notification> {
    let mut s = open_sent(cfg, OUT, Direction::Outbound);
    let actions = s.handle(recv(OUT, Message::Open(open)));
    if let Some(n) = notification_sent(&actions, OUT) {
        assert!(
            closed(&actions, OUT),
            "a refused OPEN closes the connection"
        );
        assert_eq!(s.state(), State::Idle);
        return Err(n.clone());
    }
    s.handle(recv(OUT, Message::Keepalive));
    Ok(s.negotiated().expect("established").clone())
}

fn sent(actions: &[Action], conn: ConnectionId) -> Vec<&Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { conn: c, message } if *c == conn => Some(message),
            _ => None,
        })
        .collect()
}

fn notification_sent(actions: &[Action], conn: ConnectionId) -> Option<&Notification> {
    sent(actions, conn).into_iter().find_map(|m| match m {
        Message::Notification(n) => Some(n),
        _ => None,
    })
}

fn closed(actions: &[Action], conn: ConnectionId) -> bool {
    actions.contains(&Action::Close { conn })
}

fn timer_set(actions: &[Action], timer: Timer) -> Option<Duration> {
    actions.iter().find_map(|a| match a {
        Action::SetTimer { timer: t, after } if *t == timer => Some(*after),
        _ => None,
    })
}

fn down_reason(actions: &[Action]) -> Option<&DownReason> {
    actions.iter().find_map(|a| match a {
        Action::Down { reason } => Some(reason),
        _ => None,
    })
}

// ---- start, connect, stop ----

#[test]
fn manual_start_active_connects_and_arms_connect_retry() {
    let mut s = Session::new(config(), 1);
    assert_eq!(s.state(), State::Idle);
    let a = s.handle(Event::Start);
    assert_eq!(a.first(), Some(&Action::Connect));
    let retry = timer_set(&a, Timer::ConnectRetry).expect("connect retry armed");
    assert!(
        retry >= secs(5).mul_f64(0.75) && retry <= secs(5),
        "{retry:?}"
    );
    assert_eq!(s.state(), State::Connect);
    assert!(a.contains(&Action::StateChanged {
        from: State::Idle,
        to: State::Connect
    }));
}

#[test]
fn manual_start_passive_waits_in_active_without_connecting() {
    let mut s = Session::new(
        SessionConfig {
            passive: true,
            ..config()
        },
        1,
    );
    let a = s.handle(Event::Start);
    assert!(!a.contains(&Action::Connect));
    assert_eq!(timer_set(&a, Timer::ConnectRetry), None);
    assert_eq!(s.state(), State::Active);
    // An outbound connection is refused, an inbound one accepted.
    let a = s.handle(connected(OUT, Direction::Outbound));
    assert!(closed(&a, OUT));
    let a = s.handle(connected(IN, Direction::Inbound));
    assert!(matches!(sent(&a, IN)[..], [Message::Open(_)]));
    assert_eq!(s.state(), State::OpenSent);
}

#[test]
fn repeated_start_is_ignored() {
    let mut s = Session::new(config(), 1);
    s.handle(Event::Start);
    assert_eq!(s.handle(Event::Start), vec![]);
}

#[test]
fn connection_up_sends_open_stops_connect_retry_and_arms_4_minute_hold_timer() {
    let mut s = Session::new(config(), 1);
    s.handle(Event::Start);
    let a = s.handle(connected(OUT, Direction::Outbound));
    assert!(a.contains(&Action::CancelTimer(Timer::ConnectRetry)));
    assert_eq!(sent(&a, OUT), vec![&Message::Open(s.local_open())]);
    // RFC 4271 8.2.2: "a large value", 4 minutes suggested.
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), Some(secs(240)));
    assert_eq!(s.state(), State::OpenSent);
}

#[test]
fn connect_failure_waits_in_active_for_connect_retry() {
    let mut s = Session::new(config(), 1);
    s.handle(Event::Start);
    let a = s.handle(Event::ConnectFailed);
    assert!(!a.contains(&Action::Connect));
    assert_eq!(s.state(), State::Active);
    let a = s.handle(Event::TimerExpired(Timer::ConnectRetry));
    assert_eq!(a.first(), Some(&Action::Connect));
    assert_eq!(s.state(), State::Connect);
}

#[test]
fn open_and_keepalive_reach_established_with_negotiated_parameters() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    let a = s.handle(recv(OUT, Message::Open(peer_open())));
    assert_eq!(sent(&a, OUT), vec![&Message::Keepalive]);
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), Some(secs(90)));
    let k = timer_set(&a, Timer::Keepalive(OUT)).expect("keepalive armed");
    assert!(k >= secs(30).mul_f64(0.75) && k <= secs(30), "{k:?}");
    assert_eq!(s.state(), State::OpenConfirm);
    assert_eq!(s.negotiated(), None, "negotiated only while Established");

    let a = s.handle(recv(OUT, Message::Keepalive));
    let negotiated = a
        .iter()
        .find_map(|a| match a {
            Action::Established { conn, negotiated } if *conn == OUT => Some(negotiated.clone()),
            _ => None,
        })
        .expect("Established action");
    assert_eq!(s.negotiated(), Some(&negotiated));
    assert_eq!(s.established_connection(), Some(OUT));
    assert_eq!(negotiated.peer_asn, Asn(65002));
    assert_eq!(negotiated.peer_router_id, rid(10, 0, 0, 2));
    assert_eq!(
        negotiated.families,
        vec![Family::Ipv4Unicast, Family::Ipv6Unicast]
    );
    assert!(negotiated.route_refresh);
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), Some(secs(90)));
    assert!(a.contains(&Action::StateChanged {
        from: State::OpenConfirm,
        to: State::Established
    }));
}

#[test]
fn manual_stop_sends_cease_with_reason() {
    let mut s = established();
    let stop =
        Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, "maintenance");
    assert_eq!(
        stop.shutdown_communication().as_deref(),
        Some("maintenance")
    );
    let a = s.handle(Event::Stop(stop.clone()));
    assert_eq!(sent(&a, OUT), vec![&Message::Notification(stop)]);
    assert!(closed(&a, OUT));
    assert_eq!(down_reason(&a), Some(&DownReason::Stopped));
    assert!(a.contains(&Action::CancelTimer(Timer::Hold(OUT))));
    assert!(a.contains(&Action::CancelTimer(Timer::Keepalive(OUT))));
    assert!(a.contains(&Action::CancelTimer(Timer::ConnectRetry)));
    assert_eq!(s.state(), State::Idle);
    assert_eq!(s.negotiated(), None);
    // No automatic restart: no timer, and a stale ConnectRetry does nothing.
    assert_eq!(timer_set(&a, Timer::ConnectRetry), None);
    assert_eq!(s.handle(Event::TimerExpired(Timer::ConnectRetry)), vec![]);
    // Connections are refused until the next start.
    let a = s.handle(connected(IN, Direction::Inbound));
    assert!(closed(&a, IN));
}

#[test]
fn manual_stop_notifies_every_open_connection() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    s.handle(connected(IN, Direction::Inbound));
    let stop = notification(ErrorCode::Cease, cease_subcode::PEER_DECONFIGURED);
    let a = s.handle(Event::Stop(stop.clone()));
    for conn in [OUT, IN] {
        assert_eq!(notification_sent(&a, conn), Some(&stop));
        assert!(closed(&a, conn));
    }
    assert_eq!(down_reason(&a), None, "never Established");
    assert_eq!(s.connections().count(), 0);
}

#[test]
fn stop_for_restart_closes_without_notification() {
    let mut s = established();
    let a = s.handle(Event::StopForRestart);
    assert!(
        sent(&a, OUT).is_empty(),
        "the peer must keep our routes: {a:?}"
    );
    assert!(closed(&a, OUT));
    assert_eq!(down_reason(&a), Some(&DownReason::Stopped));
    assert_eq!(s.state(), State::Idle);
    assert_eq!(timer_set(&a, Timer::ConnectRetry), None);
}

#[test]
fn local_error_sends_its_notification_and_restarts() {
    let mut s = established();
    let n = notification(ErrorCode::Cease, cease_subcode::OUT_OF_RESOURCES);
    let a = s.handle(Event::LocalError {
        conn: OUT,
        notification: n.clone(),
    });
    assert_eq!(sent(&a, OUT), vec![&Message::Notification(n.clone())]);
    assert!(closed(&a, OUT));
    assert_eq!(down_reason(&a), Some(&DownReason::NotificationSent(n)));
    assert!(timer_set(&a, Timer::ConnectRetry).is_some());
}

#[test]
fn start_after_stop_connects_again() {
    let mut s = established();
    s.handle(Event::Stop(notification(ErrorCode::Cease, 2)));
    let a = s.handle(Event::Start);
    assert_eq!(a.first(), Some(&Action::Connect));
    assert_eq!(s.state(), State::Connect);
}

// ---- timers ----

#[test]
fn hold_timer_expiry_sends_notification_4_0_and_closes() {
    let mut s = established();
    let a = s.handle(Event::TimerExpired(Timer::Hold(OUT)));
    let expected = notification(ErrorCode::HoldTimerExpired, 0);
    assert_eq!(notification_sent(&a, OUT), Some(&expected));
    assert!(closed(&a, OUT));
    assert_eq!(
        down_reason(&a),
        Some(&DownReason::NotificationSent(expected.clone()))
    );
    assert_eq!(s.state(), State::Idle);
    assert_eq!(
        s.last_error(),
        Some(&DownReason::NotificationSent(expected))
    );
    assert!(
        timer_set(&a, Timer::ConnectRetry).is_some(),
        "automatic restart"
    );
}

#[test]
fn hold_timer_expiry_in_open_sent_sends_notification_4_0() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    let a = s.handle(Event::TimerExpired(Timer::Hold(OUT)));
    assert_eq!(
        notification_sent(&a, OUT),
        Some(&notification(ErrorCode::HoldTimerExpired, 0))
    );
    assert_eq!(down_reason(&a), None);
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn keepalive_timer_sends_keepalive_and_rearms() {
    let mut s = established();
    let a = s.handle(Event::TimerExpired(Timer::Keepalive(OUT)));
    assert_eq!(sent(&a, OUT), vec![&Message::Keepalive]);
    let k = timer_set(&a, Timer::Keepalive(OUT)).expect("re-armed");
    assert!(k >= secs(30).mul_f64(0.75) && k <= secs(30));
}

#[test]
fn received_keepalive_or_update_restarts_hold_timer() {
    let mut s = established();
    let a = s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), Some(secs(90)));
    let a = s.handle(recv(OUT, Message::Update(Update::default())));
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), Some(secs(90)));
    assert!(sent(&a, OUT).is_empty(), "nothing to answer to an UPDATE");
    assert_eq!(s.state(), State::Established);
}

#[test]
fn hold_time_zero_disables_keepalives() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    let a = s.handle(recv(
        OUT,
        Message::Open(Open {
            hold_time: 0,
            ..peer_open()
        }),
    ));
    assert_eq!(timer_set(&a, Timer::Keepalive(OUT)), None);
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), None);
    assert!(
        a.contains(&Action::CancelTimer(Timer::Hold(OUT))),
        "the 4-minute timer goes"
    );
    let a = s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(s.state(), State::Established);
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), None);
    assert_eq!(timer_set(&a, Timer::Keepalive(OUT)), None);
    let n = s.negotiated().expect("established");
    assert_eq!((n.hold_time, n.keepalive), (0, 0));
    // A stray keepalive timer event sends nothing.
    assert_eq!(s.handle(Event::TimerExpired(Timer::Keepalive(OUT))), vec![]);
    let a = s.handle(recv(OUT, Message::Update(Update::default())));
    assert_eq!(timer_set(&a, Timer::Hold(OUT)), None);
}

#[test]
fn timers_of_unknown_connections_are_ignored() {
    let mut s = established();
    let other = ConnectionId(99);
    for timer in [
        Timer::Hold(other),
        Timer::Keepalive(other),
        Timer::SendHold(other),
    ] {
        assert_eq!(s.handle(Event::TimerExpired(timer)), vec![]);
    }
    assert_eq!(s.handle(recv(other, Message::Keepalive)), vec![]);
    assert_eq!(s.handle(Event::Closed { conn: other }), vec![]);
    assert_eq!(s.state(), State::Established);
}

/// The ConnectRetry intervals of a peer that never answers.
fn retry_intervals(cfg: SessionConfig, seed: u64, n: usize) -> Vec<Duration> {
    let mut s = Session::new(cfg, seed);
    let mut got = vec![timer_set(&s.handle(Event::Start), Timer::ConnectRetry).expect("armed")];
    for _ in 1..n {
        s.handle(Event::ConnectFailed);
        let a = s.handle(Event::TimerExpired(Timer::ConnectRetry));
        assert_eq!(a.first(), Some(&Action::Connect));
        got.push(timer_set(&a, Timer::ConnectRetry).expect("re-armed"));
    }
    got
}

#[test]
fn connect_retry_backs_off_with_jitter_and_caps() {
    let got = retry_intervals(config(), 42, 8);
    let nominal = [5, 10, 20, 40, 60, 60, 60, 60].map(secs);
    for (g, n) in got.iter().zip(nominal) {
        // RFC 4271 section 10: between 75% and 100% of the value.
        assert!(
            *g >= n.mul_f64(0.75) && *g <= n,
            "{g:?} not in [0.75, 1] x {n:?}"
        );
    }
    assert!(
        got.iter().zip(nominal).any(|(g, n)| *g != n),
        "jitter must make some intervals shorter than nominal"
    );
    // Same seed, same intervals; another seed, others.
    assert_eq!(retry_intervals(config(), 42, 8), got);
    assert_ne!(retry_intervals(config(), 43, 8), got);
}

#[test]
fn errors_go_idle_and_retry_with_growing_backoff() {
    let mut s = Session::new(config(), 3);
    s.handle(Event::Start);
    let mut intervals = Vec::new();
    for i in 0..4u64 {
        let conn = ConnectionId(10 + i);
        s.handle(connected(conn, Direction::Outbound));
        let a = s.handle(Event::Closed { conn });
        assert_eq!(s.state(), State::Idle);
        intervals.push(timer_set(&a, Timer::ConnectRetry).expect("restart armed"));
        // Idle refuses connections while waiting out the backoff.
        let a = s.handle(connected(ConnectionId(100 + i), Direction::Inbound));
        assert_eq!(
            notification_sent(&a, ConnectionId(100 + i)),
            Some(&notification(
                ErrorCode::Cease,
                cease_subcode::CONNECTION_REJECTED
            ))
        );
        let a = s.handle(Event::TimerExpired(Timer::ConnectRetry));
        assert_eq!(a.first(), Some(&Action::Connect));
        assert_eq!(s.state(), State::Connect);
    }
    // Attempt 0 was the start itself; the restarts use 10, 20, 40, 60 (capped) nominal.
    for (g, n) in intervals.iter().zip([10, 20, 40, 60].map(secs)) {
        assert!(*g >= n.mul_f64(0.75) && *g <= n, "{g:?} vs {n:?}");
    }
}

#[test]
fn backoff_resets_after_session_stays_established_for_hold_time() {
    let mut s = Session::new(config(), 5);
    s.handle(Event::Start);
    for _ in 0..5 {
        s.handle(Event::ConnectFailed);
        s.handle(Event::TimerExpired(Timer::ConnectRetry));
    }
    s.handle(connected(OUT, Direction::Outbound));
    s.handle(recv(OUT, Message::Open(peer_open())));
    let a = s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(timer_set(&a, Timer::BackoffReset), Some(secs(90)));
    s.handle(Event::TimerExpired(Timer::BackoffReset));
    let a = s.handle(Event::Closed { conn: OUT });
    assert!(a.contains(&Action::CancelTimer(Timer::BackoffReset)));
    let retry = timer_set(&a, Timer::ConnectRetry).expect("restart");
    assert!(retry <= secs(5), "backoff started over: {retry:?}");
}

#[test]
fn backoff_keeps_growing_when_session_falls_before_it_is_stable() {
    let mut s = Session::new(config(), 5);
    s.handle(Event::Start);
    for _ in 0..5 {
        s.handle(Event::ConnectFailed);
        s.handle(Event::TimerExpired(Timer::ConnectRetry));
    }
    s.handle(connected(OUT, Direction::Outbound));
    s.handle(recv(OUT, Message::Open(peer_open())));
    s.handle(recv(OUT, Message::Keepalive));
    let a = s.handle(Event::Closed { conn: OUT });
    let retry = timer_set(&a, Timer::ConnectRetry).expect("restart");
    assert!(retry >= secs(45), "still backed off: {retry:?}");
}

#[test]
fn send_hold_timer_runs_only_while_output_is_blocked() {
    let mut s = established();
    let a = s.handle(Event::SendBlocked {
        conn: OUT,
        blocked: true,
    });
    // RFC 9687: max(8 minutes, 2 x 90 s).
    assert_eq!(timer_set(&a, Timer::SendHold(OUT)), Some(secs(480)));
    // Repeated reports do not push the deadline back.
    let again = s.handle(Event::SendBlocked {
        conn: OUT,
        blocked: true,
    });
    assert_eq!(again, vec![]);
    let a = s.handle(Event::SendBlocked {
        conn: OUT,
        blocked: false,
    });
    assert_eq!(a, vec![Action::CancelTimer(Timer::SendHold(OUT))]);
    // A late expiry after the drain does nothing.
    assert_eq!(s.handle(Event::TimerExpired(Timer::SendHold(OUT))), vec![]);
    assert_eq!(s.state(), State::Established);
}

#[test]
fn send_hold_time_defaults_to_twice_a_long_hold_time_or_configured_value() {
    let mut s = established_with(
        SessionConfig {
            hold_time: 300,
            ..config()
        },
        Open {
            hold_time: 300,
            ..peer_open()
        },
    );
    let a = s.handle(Event::SendBlocked {
        conn: OUT,
        blocked: true,
    });
    assert_eq!(timer_set(&a, Timer::SendHold(OUT)), Some(secs(600)));

    let mut s = open_sent(
        SessionConfig {
            send_hold_time: Some(secs(30)),
            ..config()
        },
        OUT,
        Direction::Outbound,
    );
    let a = s.handle(Event::SendBlocked {
        conn: OUT,
        blocked: true,
    });
    assert_eq!(timer_set(&a, Timer::SendHold(OUT)), Some(secs(30)));
}

#[test]
fn send_hold_timer_expiry_closes_without_notification() {
    let mut s = established();
    s.handle(Event::SendBlocked {
        conn: OUT,
        blocked: true,
    });
    let a = s.handle(Event::TimerExpired(Timer::SendHold(OUT)));
    assert!(sent(&a, OUT).is_empty(), "nothing more is queued: {a:?}");
    assert!(closed(&a, OUT));
    assert_eq!(
        down_reason(&a),
        Some(&DownReason::NotSent(notification(
            ErrorCode::SendHoldTimerExpired,
            0
        )))
    );
    assert_eq!(s.state(), State::Idle);
    assert!(timer_set(&a, Timer::ConnectRetry).is_some());
}

// ---- OPEN validation ----

#[test]
fn bad_peer_as_is_refused_with_open_error_2() {
    let got = negotiate_open(
        config(),
        Open {
            my_as: 65003,
            capabilities: vec![Capability::FourOctetAs(Asn(65003))],
            ..peer_open()
        },
    );
    assert_eq!(
        got,
        Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS))
    );
}

#[test]
fn four_octet_as_inconsistent_with_my_as_is_bad_peer_as() {
    let bad = Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS));
    let big = SessionConfig {
        peer_asn: Asn(4_200_000_000),
        ..config()
    };
    // A 4-octet ASN must come with AS_TRANS in My Autonomous System (RFC 6793 4.1).
    let open = Open {
        my_as: 65002,
        capabilities: vec![Capability::FourOctetAs(Asn(4_200_000_000))],
        ..peer_open()
    };
    assert_eq!(negotiate_open(big.clone(), open), bad);
    // A 2-octet one must be repeated there.
    let open = Open {
        my_as: 65009,
        capabilities: vec![Capability::FourOctetAs(Asn(65002))],
        ..peer_open()
    };
    assert_eq!(negotiate_open(config(), open), bad);
    // AS 0 and AS_TRANS are never a peer's ASN (RFC 7607, RFC 6793).
    let open = Open {
        my_as: 0,
        capabilities: vec![],
        ..peer_open()
    };
    assert_eq!(negotiate_open(config(), open), bad);
    let open = Open {
        my_as: 23456,
        capabilities: vec![Capability::FourOctetAs(Asn::TRANS)],
        ..peer_open()
    };
    assert_eq!(
        negotiate_open(
            SessionConfig {
                peer_asn: Asn::TRANS,
                ..config()
            },
            open
        ),
        bad
    );
}

#[test]
fn four_octet_peer_asn_is_accepted_with_as_trans() {
    let cfg = SessionConfig {
        peer_asn: Asn(4_200_000_000),
        ..config()
    };
    let open = Open {
        my_as: 23456,
        capabilities: vec![Capability::FourOctetAs(Asn(4_200_000_000))],
        ..peer_open()
    };
    let n = negotiate_open(cfg.clone(), open).expect("accepted");
    assert_eq!(n.peer_asn, Asn(4_200_000_000));
    // Without the capability the peer is AS_TRANS, not the configured ASN.
    let open = Open {
        my_as: 23456,
        capabilities: vec![],
        ..peer_open()
    };
    assert_eq!(
        negotiate_open(cfg, open),
        Err(notification(ErrorCode::Open, open_subcode::BAD_PEER_AS))
    );
}

#[test]
fn hold_time_1_or_2_is_refused_with_unacceptable_hold_time() {
    for hold_time in [1, 2] {
        assert_eq!(
            negotiate_open(
                config(),
                Open {
                    hold_time,
                    ..peer_open()
                }
            ),
            Err(notification(
                ErrorCode::Open,
                open_subcode::UNACCEPTABLE_HOLD_TIME
            ))
        );
    }
    assert!(
        negotiate_open(
            config(),
            Open {
                hold_time: 3,
                ..peer_open()
            }
        )
        .is_ok()
    );
}

#[test]
fn zero_bgp_identifier_is_refused_with_bad_bgp_identifier() {
    assert_eq!(
        negotiate_open(
            config(),
            Open {
                router_id: rid(0, 0, 0, 0),
                ..peer_open()
            }
        ),
        Err(notification(
            ErrorCode::Open,
            open_subcode::BAD_BGP_IDENTIFIER
        ))
    );
}

#[test]
fn own_bgp_identifier_is_refused_on_ibgp_and_allowed_on_ebgp() {
    let ibgp = SessionConfig {
        peer_asn: Asn(65001),
        ..config()
    };
    let open = Open {
        my_as: 65001,
        router_id: rid(10, 0, 0, 1),
        capabilities: vec![Capability::FourOctetAs(Asn(65001))],
        ..peer_open()
    };
    assert_eq!(
        negotiate_open(ibgp, open),
        Err(notification(
            ErrorCode::Open,
            open_subcode::BAD_BGP_IDENTIFIER
        ))
    );
    // RFC 6286 section 2.2: between ASes the same identifier is fine.
    let n = negotiate_open(
        config(),
        Open {
            router_id: rid(10, 0, 0, 1),
            ..peer_open()
        },
    )
    .expect("eBGP accepts");
    assert!(n.context.ebgp);
}

#[test]
fn unsupported_version_is_refused_with_open_error_1_naming_version_4() {
    assert_eq!(
        negotiate_open(
            config(),
            Open {
                version: 3,
                ..peer_open()
            }
        ),
        Err(Notification::new(
            ErrorCode::Open,
            open_subcode::UNSUPPORTED_VERSION,
            vec![0, 4]
        ))
    );
}

// ---- negotiation ----

#[test]
fn hold_time_is_the_smaller_proposal_and_keepalive_a_third() {
    let n = negotiate_open(
        config(),
        Open {
            hold_time: 30,
            ..peer_open()
        },
    )
    .expect("ok");
    assert_eq!((n.hold_time, n.keepalive), (30, 10));
    let n = negotiate_open(
        config(),
        Open {
            hold_time: 240,
            ..peer_open()
        },
    )
    .expect("ok");
    assert_eq!((n.hold_time, n.keepalive), (90, 30));
    let n = negotiate_open(
        SessionConfig {
            hold_time: 0,
            ..config()
        },
        peer_open(),
    )
    .expect("ok");
    assert_eq!((n.hold_time, n.keepalive), (0, 0));
}

#[test]
fn families_are_those_both_sides_announce() {
    let open = Open {
        capabilities: vec![
            Capability::Multiprotocol {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
            },
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unknown(128),
            },
            Capability::FourOctetAs(Asn(65002)),
        ],
        ..peer_open()
    };
    let n = negotiate_open(config(), open).expect("ok");
    assert_eq!(n.families, vec![Family::Ipv6Unicast]);
    let n = negotiate_open(
        SessionConfig {
            families: vec![Family::Ipv4Unicast],
            ..config()
        },
        peer_open(),
    )
    .expect("ok");
    assert_eq!(n.families, vec![Family::Ipv4Unicast]);
}

#[test]
fn peer_without_multiprotocol_capability_implies_ipv4_unicast() {
    let open = Open {
        capabilities: vec![Capability::FourOctetAs(Asn(65002))],
        ..peer_open()
    };
    let n = negotiate_open(config(), open.clone()).expect("ok");
    assert_eq!(n.families, vec![Family::Ipv4Unicast]);
    let n = negotiate_open(
        SessionConfig {
            families: vec![Family::Ipv6Unicast],
            ..config()
        },
        open,
    )
    .expect("ok");
    assert_eq!(
        n.families,
        vec![],
        "IPv4 implied, but we did not ask for it"
    );
}

#[test]
fn four_octet_as_negotiated_only_when_both_announce() {
    let n = negotiate_open(config(), peer_open()).expect("ok");
    assert!(n.four_octet_as && n.context.four_octet_as);
    let open = Open {
        capabilities: vec![Capability::RouteRefresh],
        ..peer_open()
    };
    let n = negotiate_open(config(), open).expect("ok");
    assert!(!n.four_octet_as && !n.context.four_octet_as);
    assert!(
        s_open_has(&config(), |c| matches!(
            c,
            Capability::FourOctetAs(Asn(65001))
        )),
        "we always announce it"
    );
}

fn s_open_has(cfg: &SessionConfig, pred: impl Fn(&Capability) -> bool) -> bool {
    negotiate::build_open(cfg).capabilities.iter().any(pred)
}

#[test]
fn extended_message_negotiated_only_when_both_announce() {
    let with_ext = Open {
        capabilities: [peer_open().capabilities, vec![Capability::ExtendedMessage]].concat(),
        ..peer_open()
    };
    let ours = SessionConfig {
        extended_message: true,
        ..config()
    };
    let n = negotiate_open(ours.clone(), with_ext.clone()).expect("ok");
    assert!(n.extended_message);
    assert_eq!(n.context.max_message_len, 65535);
    let n = negotiate_open(config(), with_ext).expect("ok");
    assert!(!n.extended_message);
    assert_eq!(n.context.max_message_len, 4096);
    let n = negotiate_open(ours, peer_open()).expect("ok");
    assert!(!n.extended_message);
    assert_eq!(n.context.max_message_len, 4096);
}

#[test]
fn context_is_ebgp_when_asns_differ() {
    let n = negotiate_open(config(), peer_open()).expect("ok");
    assert!(n.context.ebgp);
    let ibgp = SessionConfig {
        peer_asn: Asn(65001),
        ..config()
    };
    let open = Open {
        my_as: 65001,
        capabilities: vec![Capability::FourOctetAs(Asn(65001))],
        ..peer_open()
    };
    let n = negotiate_open(ibgp, open).expect("ok");
    assert!(!n.context.ebgp);
}

#[test]
fn peer_graceful_restart_and_hostname_are_reported() {
    let gr = GracefulRestart {
        restart_state: true,
        notification: false,
        restart_time: 120,
        families: vec![],
    };
    let open = Open {
        capabilities: [
            peer_open().capabilities,
            vec![
                Capability::GracefulRestart(gr.clone()),
                Capability::Hostname {
                    hostname: "tor1".into(),
                    domain: "lab".into(),
                },
            ],
        ]
        .concat(),
        ..peer_open()
    };
    let n = negotiate_open(config(), open).expect("ok");
    assert_eq!(n.peer_graceful_restart, Some(gr));
    assert_eq!(n.peer_hostname.as_deref(), Some("tor1"));
    let n = negotiate_open(config(), peer_open()).expect("ok");
    assert_eq!((n.peer_graceful_restart, n.peer_hostname), (None, None));
}

#[test]
fn open_announces_as_trans_for_4_octet_asn_and_configured_capabilities() {
    let cfg = SessionConfig {
        local_asn: Asn(4_200_000_001),
        extended_message: true,
        graceful_restart: Some(GracefulRestartConfig {
            restart_time: 120,
            restarting: true,
        }),
        hostname: Some("node-a".into()),
        ..config()
    };
    let open = negotiate::build_open(&cfg);
    assert_eq!(open.version, 4);
    assert_eq!(open.my_as, 23456);
    assert_eq!(open.hold_time, 90);
    assert_eq!(open.router_id, rid(10, 0, 0, 1));
    assert_eq!(open.asn(), Asn(4_200_000_001));
    let caps = &open.capabilities;
    assert!(caps.contains(&Capability::Multiprotocol {
        afi: Afi::Ipv4,
        safi: Safi::Unicast
    }));
    assert!(caps.contains(&Capability::Multiprotocol {
        afi: Afi::Ipv6,
        safi: Safi::Unicast
    }));
    assert!(caps.contains(&Capability::RouteRefresh));
    assert!(caps.contains(&Capability::ExtendedMessage));
    assert!(!caps.contains(&Capability::EnhancedRouteRefresh));
    assert!(caps.contains(&Capability::GracefulRestart(GracefulRestart {
        restart_state: true,
        notification: false,
        restart_time: 120,
        families: vec![
            GracefulRestartFamily {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
                forwarding_preserved: false
            },
            GracefulRestartFamily {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
                forwarding_preserved: false
            },
        ],
    })));
    assert!(caps.contains(&Capability::Hostname {
        hostname: "node-a".into(),
        domain: String::new()
    }));
}

#[test]
fn open_without_optional_config_has_no_optional_capabilities() {
    let open = negotiate::build_open(&config());
    assert_eq!(open.my_as, 65001);
    assert!(!open.capabilities.iter().any(|c| matches!(
        c,
        Capability::ExtendedMessage | Capability::GracefulRestart(_) | Capability::Hostname { .. }
    )));
}

#[test]
fn our_open_survives_the_codec_and_a_mirrored_peer_accepts_it() {
    let cfg = SessionConfig {
        local_asn: Asn(4_200_000_001),
        extended_message: true,
        graceful_restart: Some(GracefulRestartConfig {
            restart_time: 120,
            restarting: false,
        }),
        hostname: Some("node-a".into()),
        ..config()
    };
    let open = negotiate::build_open(&cfg);
    let mut buf = bytes::BytesMut::new();
    Message::Open(open.clone())
        .encode(&SessionContext::default(), &mut buf)
        .expect("encodes");
    let decoded = Message::decode(&buf, &SessionContext::default()).expect("decodes");
    assert_eq!(decoded, Message::Open(open.clone()));
    // A peer configured the other way round accepts it and agrees on everything.
    let mirror = SessionConfig {
        local_asn: Asn(65002),
        peer_asn: Asn(4_200_000_001),
        router_id: rid(10, 0, 0, 2),
        extended_message: true,
        ..config()
    };
    let n = negotiate::negotiate(&mirror, &open).expect("accepted");
    assert_eq!(n.peer_asn, Asn(4_200_000_001));
    assert_eq!(n.families, vec![Family::Ipv4Unicast, Family::Ipv6Unicast]);
    assert!(n.four_octet_as && n.route_refresh && n.extended_message);
    assert_eq!(n.peer_hostname.as_deref(), Some("node-a"));
    assert_eq!(n.peer_graceful_restart.map(|g| g.restart_time), Some(120));
}

#[test]
fn every_message_the_machine_sends_encodes() {
    // A run through establishment, keepalives, collisions, errors and a stop.
    let mut s = Session::new(config(), 9);
    let mut actions = s.handle(Event::Start);
    for event in [
        connected(OUT, Direction::Outbound),
        connected(IN, Direction::Inbound),
        recv(OUT, Message::Open(peer_open())),
        recv(IN, Message::Keepalive),
        Event::TimerExpired(Timer::Keepalive(IN)),
        Event::TimerExpired(Timer::Hold(IN)),
        Event::TimerExpired(Timer::ConnectRetry),
        connected(ConnectionId(5), Direction::Outbound),
        Event::Stop(Notification::cease_with_reason(
            cease_subcode::ADMINISTRATIVE_SHUTDOWN,
            "node drained for maintenance",
        )),
    ] {
        actions.extend(s.handle(event));
    }
    let messages: Vec<&Message> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert!(messages.len() >= 6, "{messages:?}");
    for m in messages {
        let mut buf = bytes::BytesMut::new();
        m.encode(&SessionContext::default(), &mut buf)
            .unwrap_or_else(|e| panic!("{m:?}: {e}"));
        assert_eq!(
            &Message::decode(&buf, &SessionContext::default()).expect("decodes"),
            m
        );
    }
}

// ---- collisions ----

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
    let collision = notification(
        ErrorCode::Cease,
        cease_subcode::CONNECTION_COLLISION_RESOLUTION,
    );
    // Peer is 10.0.0.2. We are higher: our outbound connection survives, whichever
    // connection the OPEN arrives on first.
    for first in [OUT, IN] {
        let (s, a) = collide(rid(10, 0, 0, 9), first);
        assert_eq!(
            notification_sent(&a, IN),
            Some(&collision),
            "first on {first:?}"
        );
        assert!(closed(&a, IN));
        assert!(!closed(&a, OUT));
        let left: Vec<_> = s.connections().map(|(id, dir, _)| (id, dir)).collect();
        assert_eq!(left, vec![(OUT, Direction::Outbound)]);
    }
    // We are lower: the peer's (inbound) connection survives.
    for first in [OUT, IN] {
        let (s, a) = collide(rid(10, 0, 0, 1), first);
        assert_eq!(
            notification_sent(&a, OUT),
            Some(&collision),
            "first on {first:?}"
        );
        assert!(closed(&a, OUT));
        assert!(!closed(&a, IN));
        let left: Vec<_> = s.connections().map(|(id, dir, _)| (id, dir)).collect();
        assert_eq!(left, vec![(IN, Direction::Inbound)]);
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
    assert_eq!(
        notification_sent(&a, IN),
        Some(&notification(
            ErrorCode::Cease,
            cease_subcode::CONNECTION_COLLISION_RESOLUTION
        ))
    );
    assert!(closed(&a, IN));
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
    assert_eq!(
        notification_sent(&a, IN),
        Some(&notification(
            ErrorCode::Cease,
            cease_subcode::CONNECTION_COLLISION_RESOLUTION
        ))
    );
    assert!(closed(&a, IN));
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
    assert_eq!(
        notification_sent(&a, OUT),
        Some(&notification(
            ErrorCode::Cease,
            cease_subcode::CONNECTION_COLLISION_RESOLUTION
        ))
    );
    assert!(closed(&a, OUT));
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
    assert_eq!(
        notification_sent(&a, ConnectionId(3)),
        Some(&notification(
            ErrorCode::Cease,
            cease_subcode::CONNECTION_REJECTED
        ))
    );
    assert!(closed(&a, ConnectionId(3)));
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

// ---- errors ----

fn fsm_error(subcode: u8) -> Notification {
    notification(ErrorCode::Fsm, subcode)
}

#[test]
fn unexpected_message_in_open_sent_is_fsm_error_1() {
    for message in [Message::Keepalive, Message::Update(Update::default())] {
        let mut s = open_sent(config(), OUT, Direction::Outbound);
        let a = s.handle(recv(OUT, message));
        assert_eq!(
            notification_sent(&a, OUT),
            Some(&fsm_error(fsm_subcode::UNEXPECTED_IN_OPEN_SENT))
        );
        assert!(closed(&a, OUT));
        assert_eq!(s.state(), State::Idle);
    }
}

#[test]
fn unexpected_message_in_open_confirm_is_fsm_error_2() {
    for message in [
        Message::Open(peer_open()),
        Message::Update(Update::default()),
    ] {
        let mut s = open_sent(config(), OUT, Direction::Outbound);
        s.handle(recv(OUT, Message::Open(peer_open())));
        let a = s.handle(recv(OUT, message));
        assert_eq!(
            notification_sent(&a, OUT),
            Some(&fsm_error(fsm_subcode::UNEXPECTED_IN_OPEN_CONFIRM))
        );
        assert_eq!(s.state(), State::Idle);
    }
}

#[test]
fn unexpected_open_in_established_is_fsm_error_3() {
    let mut s = established();
    let a = s.handle(recv(OUT, Message::Open(peer_open())));
    let n = fsm_error(fsm_subcode::UNEXPECTED_IN_ESTABLISHED);
    assert_eq!(notification_sent(&a, OUT), Some(&n));
    assert_eq!(down_reason(&a), Some(&DownReason::NotificationSent(n)));
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn decode_failure_sends_its_notification_and_closes() {
    let mut s = established();
    let n = notification(ErrorCode::Update, 1);
    let a = s.handle(Event::DecodeFailed {
        conn: OUT,
        error: MessageError {
            notification: n.clone(),
            reason: "test".into(),
        },
    });
    assert_eq!(sent(&a, OUT), vec![&Message::Notification(n.clone())]);
    assert!(closed(&a, OUT));
    assert_eq!(down_reason(&a), Some(&DownReason::NotificationSent(n)));
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn received_notification_closes_without_answer_and_retries() {
    let mut s = established();
    let n = notification(ErrorCode::Open, open_subcode::UNSUPPORTED_CAPABILITY);
    let a = s.handle(recv(OUT, Message::Notification(n.clone())));
    assert!(sent(&a, OUT).is_empty());
    assert!(closed(&a, OUT));
    assert_eq!(down_reason(&a), Some(&DownReason::NotificationReceived(n)));
    assert!(timer_set(&a, Timer::ConnectRetry).is_some());
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn connection_closed_goes_idle_then_reconnects_on_connect_retry() {
    let mut s = established();
    let a = s.handle(Event::Closed { conn: OUT });
    assert!(sent(&a, OUT).is_empty());
    assert_eq!(down_reason(&a), Some(&DownReason::ConnectionClosed));
    assert!(a.contains(&Action::StateChanged {
        from: State::Established,
        to: State::Idle
    }));
    let a = s.handle(Event::TimerExpired(Timer::ConnectRetry));
    assert_eq!(a.first(), Some(&Action::Connect));
    assert_eq!(s.state(), State::Connect);
}

#[test]
fn passive_session_returns_to_active_after_error() {
    let mut s = open_sent(
        SessionConfig {
            passive: true,
            ..config()
        },
        IN,
        Direction::Inbound,
    );
    s.handle(Event::Closed { conn: IN });
    assert_eq!(s.state(), State::Idle);
    let a = s.handle(Event::TimerExpired(Timer::ConnectRetry));
    assert!(!a.contains(&Action::Connect));
    assert_eq!(s.state(), State::Active);
}

// ---- route refresh ----

fn refresh(afi: Afi, subtype: RouteRefreshSubtype) -> Message {
    Message::RouteRefresh(RouteRefresh {
        afi,
        safi: Safi::Unicast,
        subtype,
    })
}

#[test]
fn route_refresh_for_negotiated_family_is_reported() {
    let mut s = established();
    let a = s.handle(recv(OUT, refresh(Afi::Ipv6, RouteRefreshSubtype::Request)));
    assert_eq!(a, vec![Action::RouteRefreshRequested(Family::Ipv6Unicast)]);
}

#[test]
fn route_refresh_for_other_family_or_subtype_is_ignored() {
    let open = Open {
        capabilities: vec![
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
            },
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(65002)),
        ],
        ..peer_open()
    };
    let mut s = established_with(config(), open);
    for m in [
        refresh(Afi::Ipv6, RouteRefreshSubtype::Request),
        refresh(Afi::Unknown(25), RouteRefreshSubtype::Request),
        refresh(Afi::Ipv4, RouteRefreshSubtype::Begin),
        refresh(Afi::Ipv4, RouteRefreshSubtype::Unknown(9)),
    ] {
        assert_eq!(s.handle(recv(OUT, m)), vec![]);
    }
    assert_eq!(s.state(), State::Established);
}

#[test]
fn route_refresh_before_established_is_fsm_error() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    let a = s.handle(recv(OUT, refresh(Afi::Ipv4, RouteRefreshSubtype::Request)));
    assert_eq!(
        notification_sent(&a, OUT),
        Some(&fsm_error(fsm_subcode::UNEXPECTED_IN_OPEN_SENT))
    );
}

// ---- random event sequences ----

mod random {
    use super::*;
    use proptest::prelude::*;

    /// Mostly the messages of a successful exchange, so that sequences reach
    /// Established and collisions often; the rest are errors of every kind.
    fn message() -> impl Strategy<Value = Message> {
        prop_oneof![
            6 => Just(Message::Keepalive),
            6 => Just(Message::Open(peer_open())),
            2 => Just(Message::Update(Update::default())),
            1 => (0u16..5).prop_map(|hold_time| Message::Open(Open {
                hold_time,
                ..peer_open()
            })),
            1 => Just(Message::Open(Open {
                my_as: 1,
                capabilities: vec![],
                ..peer_open()
            })),
            1 => (0u8..10).prop_map(|sub| Message::Notification(notification(ErrorCode::Cease, sub))),
            2 => (1u16..4).prop_map(|afi| refresh(Afi::from(afi), RouteRefreshSubtype::Request)),
        ]
    }

    fn conn() -> impl Strategy<Value = ConnectionId> {
        (1u64..4).prop_map(ConnectionId)
    }

    fn timer() -> impl Strategy<Value = Timer> {
        prop_oneof![
            3 => Just(Timer::ConnectRetry),
            1 => Just(Timer::BackoffReset),
            1 => conn().prop_map(Timer::Hold),
            2 => conn().prop_map(Timer::Keepalive),
            1 => conn().prop_map(Timer::SendHold),
        ]
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            2 => Just(Event::Start),
            1 => Just(Event::Stop(notification(ErrorCode::Cease, 2))),
            1 => Just(Event::StopForRestart),
            6 => (conn(), any::<bool>()).prop_map(|(conn, out)| Event::Connected {
                conn,
                direction: if out {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                }
            }),
            1 => Just(Event::ConnectFailed),
            1 => conn().prop_map(|conn| Event::LocalError {
                conn,
                notification: notification(ErrorCode::Cease, 8)
            }),
            1 => conn().prop_map(|conn| Event::Closed { conn }),
            16 => (conn(), message()).prop_map(|(conn, message)| Event::Received { conn, message }),
            1 => conn().prop_map(|conn| Event::DecodeFailed {
                conn,
                error: MessageError {
                    notification: notification(ErrorCode::MessageHeader, 2),
                    reason: "bad length".into()
                }
            }),
            4 => timer().prop_map(Event::TimerExpired),
            2 => (conn(), any::<bool>())
                .prop_map(|(conn, blocked)| Event::SendBlocked { conn, blocked }),
        ]
    }

    /// One step of a random run: a random event, or the event that moves connection
    /// `conn` one step towards Established from wherever it is, so that runs get there
    /// despite the noise.
    #[derive(Clone, Debug)]
    enum Step {
        Raw(Box<Event>),
        Advance(ConnectionId),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            2 => event().prop_map(|e| Step::Raw(Box::new(e))),
            1 => conn().prop_map(Step::Advance),
        ]
    }

    fn advance(s: &Session, conn: ConnectionId) -> Event {
        let state = s.connections().find(|c| c.0 == conn).map(|c| c.2);
        match state {
            None => {
                let outbound_taken = s.connections().any(|c| c.1 == Direction::Outbound);
                Event::Connected {
                    conn,
                    direction: if outbound_taken {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    },
                }
            }
            Some(State::OpenSent) => recv(conn, Message::Open(peer_open())),
            Some(_) => recv(conn, Message::Keepalive),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn random_event_sequences_keep_invariants(
            steps in proptest::collection::vec(step(), 1..120),
            seed in any::<u64>(),
            passive in any::<bool>(),
        ) {
            let mut s = Session::new(SessionConfig { passive, ..config() }, seed);
            let mut established_now = false;
            for step in std::iter::once(Step::Raw(Box::new(Event::Start))).chain(steps) {
                let event = match step {
                    Step::Raw(event) => *event,
                    Step::Advance(conn) => advance(&s, conn),
                };
                let before = s.state();
                let actions = s.handle(event);
                let conns: Vec<_> = s.connections().collect();
                prop_assert!(conns.len() <= 2);
                if conns.len() == 2 {
                    prop_assert_ne!(conns[0].1, conns[1].1, "one connection per direction");
                }
                prop_assert!(conns.iter().filter(|c| c.2 == State::Established).count() <= 1);
                prop_assert_eq!(s.state() == State::Established, s.negotiated().is_some());
                if !s.is_started() {
                    prop_assert!(conns.is_empty());
                    prop_assert_eq!(s.state(), State::Idle);
                    // Stopped means stopped: no attempt, no timer.
                    let restarting = actions.iter().any(|a| {
                        matches!(
                            a,
                            Action::Connect | Action::SetTimer { .. } | Action::Established { .. }
                        )
                    });
                    prop_assert!(!restarting);
                }
                for c in &conns {
                    prop_assert!(matches!(
                        c.2,
                        State::OpenSent | State::OpenConfirm | State::Established
                    ));
                }
                // Nothing is sent on a connection after it was closed.
                let mut closed_here = Vec::new();
                for a in &actions {
                    match a {
                        Action::Close { conn } => closed_here.push(*conn),
                        Action::Send { conn, .. } => prop_assert!(!closed_here.contains(conn)),
                        Action::SetTimer { after, .. } => prop_assert!(*after > Duration::ZERO),
                        _ => {}
                    }
                }
                for c in &closed_here {
                    prop_assert!(!conns.iter().any(|x| x.0 == *c), "closed but kept");
                }
                // Established and Down alternate.
                for a in &actions {
                    match a {
                        Action::Established { .. } => {
                            prop_assert!(!established_now);
                            established_now = true;
                        }
                        Action::Down { .. } => {
                            prop_assert!(established_now);
                            established_now = false;
                        }
                        _ => {}
                    }
                }
                prop_assert_eq!(established_now, s.state() == State::Established);
                let changed = actions.iter().any(|a| matches!(a, Action::StateChanged { .. }));
                prop_assert_eq!(changed, before != s.state());
            }
        }
    }
}
