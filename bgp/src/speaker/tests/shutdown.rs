//! Shutdown: withdraw, wait until written, drain, Cease; or close keeping routes.

use super::*;
use crate::speaker::shutdown::{ShutdownPlan, WITHDRAW_LIMIT, plan};

fn withdraw(drain: Duration) -> Command {
    Command::Shutdown {
        mode: ShutdownMode::Withdraw { drain },
        reason: "maintenance".into(),
    }
}

/// Established with one route sent, its output written.
fn with_one_route(config: SessionConfig, peer: Open) -> (Harness, Sink) {
    let mut h = Harness::established(config, peer);
    let out = h.commands(vec![
        Command::Replace(vec![(prefix(1), attrs())].into()),
        Command::InitialSetComplete,
    ]);
    let mut sink = Sink::default();
    h.fill_from(&out, &mut sink);
    sink.messages.clear();
    (h, sink)
}

#[test]
fn shutdown_withdraws_then_waits_until_written_then_drains_then_ceases() {
    let (mut h, mut sink) = with_one_route(config(), peer_open(false));
    let drain = Duration::from_secs(2);
    let out = h.commands(vec![withdraw(drain)]);
    assert!(!cease_sent(&out), "no Cease before the withdrawals");
    h.fill_from(&out, &mut sink);
    assert_eq!(sink.updates().len(), 1);
    assert_eq!(sink.updates()[0].withdrawn.len(), 1);
    assert!(out.contains(&Output::WatchFlushed { conn: C1 }));
    // Not written yet: only the withdrawal limit bounds the wait.
    assert_eq!(h.speaker.next_deadline(), Some(h.now + WITHDRAW_LIMIT));
    h.now += Duration::from_millis(300);
    let out = h.handle(Input::Flushed { conn: C1 });
    assert!(!cease_sent(&out), "the drain time comes first");
    assert_eq!(h.speaker.next_deadline(), Some(h.now + drain));
    let out = h.advance(drain - Duration::from_millis(1));
    assert!(!cease_sent(&out));
    let out = h.advance(Duration::from_millis(1));
    let cease = out.iter().position(|o| {
        matches!(o, Output::Send { message: Message::Notification(n), .. }
            if n.shutdown_communication().as_deref() == Some("maintenance"))
    });
    let close = out.iter().position(|o| *o == Output::Close { conn: C1 });
    assert!(
        cease.is_some() && cease < close,
        "Cease, then close: {out:?}"
    );
    assert!(h.speaker.is_finished());
}

#[test]
fn a_peer_that_does_not_read_the_withdrawals_gets_the_cease_after_the_limit() {
    let (mut h, mut sink) = with_one_route(config(), peer_open(false));
    let out = h.commands(vec![withdraw(Duration::from_secs(30))]);
    h.fill_from(&out, &mut sink);
    let out = h.advance(WITHDRAW_LIMIT - Duration::from_millis(1));
    assert!(!cease_sent(&out));
    let out = h.advance(Duration::from_millis(1));
    assert!(cease_sent(&out), "no drain once the limit passed: {out:?}");
    assert!(closes(&out));
}

/// [`with_one_route`] with graceful restart configured on our side and, when
/// `peer_restarts`, on the peer's; then told to shut down keeping routes. The outputs of
/// that command.
fn shut_down_keeping_routes(peer_restarts: bool) -> (Harness, Sink, Vec<Output>) {
    let (mut h, sink) = with_one_route(
        SessionConfig {
            graceful_restart: graceful_restart(false),
            ..config()
        },
        peer_open(peer_restarts),
    );
    let out = h.commands(vec![Command::Shutdown {
        mode: ShutdownMode::KeepRoutes,
        reason: "upgrade".into(),
    }]);
    (h, sink, out)
}

#[test]
fn keep_routes_closes_without_a_notification_when_graceful_restart_was_negotiated() {
    let (mut h, mut sink, out) = shut_down_keeping_routes(true);
    assert!(!cease_sent(&out));
    h.fill_from(&out, &mut sink);
    assert!(sink.updates().is_empty(), "no withdrawals: {out:?}");
    assert!(closes(&out));
    assert!(h.speaker.is_finished());
    assert_eq!(h.speaker.status().state, State::Idle);
}

#[test]
fn keep_routes_without_graceful_restart_withdraws_with_no_drain() {
    let (mut h, mut sink, out) = shut_down_keeping_routes(false);
    h.fill_from(&out, &mut sink);
    assert_eq!(sink.updates()[0].withdrawn.len(), 1);
    let out = h.handle(Input::Flushed { conn: C1 });
    assert!(!cease_sent(&out));
    let out = h.advance(Duration::ZERO);
    assert!(cease_sent(&out));
}

#[test]
fn without_a_session_shutdown_stops_at_once() {
    let mut h = Harness::started(config());
    h.connect(C1);
    let out = h.commands(vec![withdraw(Duration::from_secs(5))]);
    assert!(out.contains(&Output::StopConnecting));
    assert!(closes(&out), "the connection in OpenSent closes: {out:?}");
    assert!(h.speaker.is_finished());
}

#[test]
fn commands_during_a_shutdown_are_dropped_and_no_connection_is_attempted() {
    let (mut h, _) = with_one_route(config(), peer_open(false));
    h.commands(vec![withdraw(Duration::from_secs(5))]);
    let out = h.commands(vec![announce(9)]);
    assert!(!asks_for_updates(&out));
    assert_eq!(
        h.speaker.next_deadline(),
        Some(h.now + WITHDRAW_LIMIT),
        "no coalescing window opens"
    );
    // The session goes down meanwhile: no reconnect.
    let out = h.handle(Input::Closed { conn: C1 });
    assert!(!out.contains(&Output::Connect));
    assert!(h.speaker.is_finished());
}

#[test]
fn every_handle_gone_withdraws_with_no_drain() {
    let (mut h, mut sink) = with_one_route(config(), peer_open(false));
    let out = h.handle(Input::CommandsClosed);
    h.fill_from(&out, &mut sink);
    assert_eq!(sink.updates()[0].withdrawn.len(), 1);
    h.handle(Input::Flushed { conn: C1 });
    let out = h.advance(Duration::ZERO);
    assert!(out.iter().any(
        |o| matches!(o, Output::Send { message: Message::Notification(n), .. }
        if n.shutdown_communication().as_deref() == Some("peer removed"))
    ));
}

#[test]
fn the_shutdown_plan_follows_the_mode_and_graceful_restart() {
    let drain = Duration::from_secs(3);
    assert_eq!(
        plan(&ShutdownMode::KeepRoutes, true),
        ShutdownPlan::CloseKeepingRoutes
    );
    assert_eq!(
        plan(&ShutdownMode::KeepRoutes, false),
        ShutdownPlan::Withdraw {
            drain: Duration::ZERO
        }
    );
    for negotiated in [true, false] {
        assert_eq!(
            plan(&ShutdownMode::Withdraw { drain }, negotiated),
            ShutdownPlan::Withdraw { drain }
        );
    }
}

#[test]
fn a_flush_watch_lost_with_its_connection_does_not_hold_up_a_later_shutdown() {
    let (mut h, mut sink) = with_one_route(config(), peer_open(false));
    let out = h.commands(vec![Command::Changes {
        changes: vec![RouteChange::Withdraw(prefix(1))],
        since: Some(h.now),
    }]);
    h.fill_from(&out, &mut sink);
    // The connection goes before its output was written; a new session comes up.
    h.handle(Input::Closed { conn: C1 });
    let out = h.handle(Input::TimerExpired(Timer::ConnectRetry));
    assert!(out.contains(&Output::Connect), "{out:?}");
    let c2 = ConnectionId(2);
    let out = h.open_session_on(c2, peer_open(false));
    assert!(out.iter().any(|o| matches!(o, Output::Established { .. })));
    let out = h.commands(vec![withdraw(Duration::ZERO)]);
    assert!(
        out.contains(&Output::WatchFlushed { conn: c2 }),
        "the new session's withdrawals are watched: {out:?}"
    );
}
