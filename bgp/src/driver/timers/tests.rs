use super::*;
use crate::session::ConnectionId;
use std::time::Duration;

const C1: ConnectionId = ConnectionId(1);

#[test]
fn expired_timers_come_out_earliest_first_and_once() {
    let t0 = Instant::now();
    let mut s = TimerSet::default();
    s.set(Timer::Hold(C1), t0 + Duration::from_secs(9));
    s.set(Timer::Keepalive(C1), t0 + Duration::from_secs(3));
    s.set(Timer::ConnectRetry, t0 + Duration::from_secs(30));
    assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(3)));
    assert!(s.take_expired(t0).is_empty());
    assert_eq!(
        s.take_expired(t0 + Duration::from_secs(10)),
        vec![Timer::Keepalive(C1), Timer::Hold(C1)]
    );
    assert!(s.take_expired(t0 + Duration::from_secs(10)).is_empty());
    assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(30)));
}

#[test]
fn rearming_moves_the_deadline_and_cancel_disarms() {
    let t0 = Instant::now();
    let mut s = TimerSet::default();
    s.set(Timer::Hold(C1), t0 + Duration::from_secs(1));
    s.set(Timer::Hold(C1), t0 + Duration::from_secs(5));
    assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(5)));
    s.cancel(Timer::Hold(C1));
    assert!(s.is_empty());
    s.cancel(Timer::Hold(C1));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn closing_a_connection_disarms_only_its_timers() {
    let t0 = Instant::now();
    let mut s = TimerSet::default();
    let c2 = ConnectionId(2);
    s.set(Timer::Hold(C1), t0);
    s.set(Timer::SendHold(C1), t0);
    s.set(Timer::Hold(c2), t0);
    s.set(Timer::ConnectRetry, t0);
    s.cancel_connection(C1);
    let mut left = s.take_expired(t0);
    left.sort_by_key(|t| format!("{t:?}"));
    assert_eq!(left, vec![Timer::ConnectRetry, Timer::Hold(c2)]);
}
