//! ManualStart, ManualStop, connection setup.

use super::*;

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
