//! Hold, keepalive, connect retry backoff and send hold timers.

use super::*;

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
        assert_ceased(
            &a,
            ConnectionId(100 + i),
            cease_subcode::CONNECTION_REJECTED,
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

/// A machine that failed to connect five times, then reached Established on `OUT`; with
/// the actions of that last step.
fn established_after_five_failures() -> (Session, Vec<Action>) {
    let mut s = Session::new(config(), 5);
    s.handle(Event::Start);
    for _ in 0..5 {
        s.handle(Event::ConnectFailed);
        s.handle(Event::TimerExpired(Timer::ConnectRetry));
    }
    s.handle(connected(OUT, Direction::Outbound));
    s.handle(recv(OUT, Message::Open(peer_open())));
    let a = s.handle(recv(OUT, Message::Keepalive));
    (s, a)
}

#[test]
fn backoff_resets_after_session_stays_established_for_hold_time() {
    let (mut s, a) = established_after_five_failures();
    assert_eq!(timer_set(&a, Timer::BackoffReset), Some(secs(90)));
    s.handle(Event::TimerExpired(Timer::BackoffReset));
    let a = s.handle(Event::Closed { conn: OUT });
    assert!(a.contains(&Action::CancelTimer(Timer::BackoffReset)));
    let retry = timer_set(&a, Timer::ConnectRetry).expect("restart");
    assert!(retry <= secs(5), "backoff started over: {retry:?}");
}

#[test]
fn backoff_keeps_growing_when_session_falls_before_it_is_stable() {
    let (mut s, _) = established_after_five_failures();
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
            hold_time: HoldTime::new(300).unwrap(),
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
