use super::*;
use crate::session::ConnectionId;
use std::time::Duration;

const C1: ConnectionId = ConnectionId(1);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A set with each timer armed the given seconds after the instant returned.
fn armed(timers: &[(Timer, u64)]) -> (Instant, TimerSet) {
    let t0 = Instant::now();
    let mut s = TimerSet::default();
    for &(timer, after) in timers {
        s.set(timer, t0 + secs(after));
    }
    (t0, s)
}

#[test]
fn expired_timers_come_out_earliest_first_and_once() {
    let (t0, mut s) = armed(&[
        (Timer::Hold(C1), 9),
        (Timer::Keepalive(C1), 3),
        (Timer::ConnectRetry, 30),
    ]);
    assert_eq!(s.next_deadline(), Some(t0 + secs(3)));
    assert!(s.take_expired(t0).is_empty());
    assert_eq!(
        s.take_expired(t0 + secs(10)),
        vec![Timer::Keepalive(C1), Timer::Hold(C1)]
    );
    assert!(s.take_expired(t0 + secs(10)).is_empty());
    assert_eq!(s.next_deadline(), Some(t0 + secs(30)));
}

#[test]
fn rearming_moves_the_deadline_and_cancel_disarms() {
    let (t0, mut s) = armed(&[(Timer::Hold(C1), 1)]);
    s.set(Timer::Hold(C1), t0 + secs(5));
    assert_eq!(s.next_deadline(), Some(t0 + secs(5)));
    s.cancel(Timer::Hold(C1));
    assert!(s.is_empty());
    s.cancel(Timer::Hold(C1));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn closing_a_connection_disarms_only_its_timers() {
    let c2 = ConnectionId(2);
    let (t0, mut s) = armed(&[
        (Timer::Hold(C1), 0),
        (Timer::SendHold(C1), 0),
        (Timer::Hold(c2), 0),
        (Timer::ConnectRetry, 0),
    ]);
    s.cancel_connection(C1);
    let mut left = s.take_expired(t0);
    left.sort_by_key(|t| format!("{t:?}"));
    assert_eq!(left, vec![Timer::ConnectRetry, Timer::Hold(c2)]);
}
