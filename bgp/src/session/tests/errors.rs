//! Errors: unexpected messages (RFC 6608), decode failures, NOTIFICATIONs, closes.

use super::*;

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
fn passive_session_returns_to_active_at_once_after_error() {
    let mut s = open_sent(
        SessionConfig {
            passive: true,
            ..config()
        },
        IN,
        Direction::Inbound,
    );
    let a = s.handle(Event::Closed { conn: IN });
    assert_eq!(s.state(), State::Active);
    assert_eq!(timer_set(&a, Timer::ConnectRetry), None);
    assert!(!a.contains(&Action::Connect));
    // The peer's next attempt is accepted right away.
    let a = s.handle(connected(ConnectionId(3), Direction::Inbound));
    assert!(matches!(sent(&a, ConnectionId(3))[..], [Message::Open(_)]));
}
