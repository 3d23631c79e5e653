//! The send hold timer measures the time without progress (RFC 9687), checked against a
//! fake clock that runs the timers the machine asks for.

use super::*;
use std::collections::HashMap;

/// Runs the machine's timers on a clock that only moves when told to.
struct FakeClock {
    now: Duration,
    deadlines: HashMap<Timer, Duration>,
}

impl FakeClock {
    fn new() -> FakeClock {
        FakeClock {
            now: Duration::ZERO,
            deadlines: HashMap::new(),
        }
    }

    fn apply(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::SetTimer { timer, after } => {
                    self.deadlines.insert(*timer, self.now + *after);
                }
                Action::CancelTimer(timer) => {
                    self.deadlines.remove(timer);
                }
                _ => {}
            }
        }
    }

    fn feed(&mut self, s: &mut Session, event: Event) -> Vec<Action> {
        let a = s.handle(event);
        self.apply(&a);
        a
    }

    /// Moves the clock on by `by`, firing every timer that falls due, in order.
    fn advance(&mut self, s: &mut Session, by: Duration) -> Vec<Action> {
        let target = self.now + by;
        let mut all = Vec::new();
        loop {
            let due = self
                .deadlines
                .iter()
                .filter(|(_, at)| **at <= target)
                .min_by_key(|(_, at)| **at)
                .map(|(t, at)| (*t, *at));
            let Some((timer, at)) = due else { break };
            self.deadlines.remove(&timer);
            self.now = at;
            all.extend(self.feed(s, Event::TimerExpired(timer)));
        }
        self.now = target;
        all
    }
}

/// Established with hold time 0 on both sides (no keepalive or hold timer to feed) and
/// a send hold time of 480 s.
fn established_quiet() -> Session {
    established_with(
        SessionConfig {
            hold_time: HoldTime::NONE,
            send_hold_time: Some(secs(480)),
            ..config()
        },
        Open {
            hold_time: 0,
            ..peer_open()
        },
    )
}

fn send_blocked(blocked: bool) -> Event {
    Event::SendBlocked { conn: OUT, blocked }
}

/// [`established_quiet`] with its output blocked from the start of the fake clock.
fn blocked_quiet() -> (Session, FakeClock) {
    let mut s = established_quiet();
    let mut clock = FakeClock::new();
    clock.feed(&mut s, send_blocked(true));
    (s, clock)
}

fn send_hold_expired(actions: &[Action]) -> bool {
    matches!(
        down_reason(actions),
        Some(DownReason::NotSent(n)) if n.code == ErrorCode::SendHoldTimerExpired
    )
}

#[test]
fn a_slow_peer_that_keeps_reading_is_never_dropped() {
    let (mut s, mut clock) = blocked_quiet();
    // Output stays blocked for well over the send hold time, but some octets leave
    // every 400 s: that is progress.
    for _ in 0..10 {
        let a = clock.advance(&mut s, secs(400));
        assert!(!send_hold_expired(&a), "{a:?}");
        clock.feed(&mut s, Event::SendProgress { conn: OUT });
    }
    assert!(clock.now > secs(3000));
    assert_eq!(s.state(), State::Established);
}

#[test]
fn send_hold_timer_expires_a_full_period_after_the_last_progress() {
    let (mut s, mut clock) = blocked_quiet();
    clock.advance(&mut s, secs(300));
    clock.feed(&mut s, Event::SendProgress { conn: OUT });
    let a = clock.advance(&mut s, secs(479));
    assert!(!send_hold_expired(&a), "{a:?}");
    let a = clock.advance(&mut s, secs(1));
    assert!(send_hold_expired(&a), "{a:?}");
    assert!(closed(&a, OUT));
    assert_eq!(
        notification_sent(&a, OUT),
        None,
        "nothing can be sent on it"
    );
}

#[test]
fn progress_while_not_blocked_arms_nothing() {
    let mut s = established_quiet();
    assert_eq!(s.handle(Event::SendProgress { conn: OUT }), vec![]);
    let mut clock = FakeClock::new();
    clock.feed(&mut s, send_blocked(true));
    clock.feed(&mut s, send_blocked(false));
    // Drained: a late progress report must not start the timer again.
    clock.feed(&mut s, Event::SendProgress { conn: OUT });
    let a = clock.advance(&mut s, secs(10_000));
    assert!(!send_hold_expired(&a), "{a:?}");
    assert_eq!(s.state(), State::Established);
}
