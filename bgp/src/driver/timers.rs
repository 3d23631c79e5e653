//! The timers a session asked for, as deadlines. A session has a handful at most
//! (connect retry, and hold / keepalive / send hold per connection), so a small map
//! scanned for the earliest deadline is all that is needed.

use crate::session::Timer;
use std::collections::HashMap;
use tokio::time::Instant;

/// Armed timers keyed by [`Timer`]; arming one again moves its deadline.
#[derive(Debug, Default)]
pub struct TimerSet {
    deadlines: HashMap<Timer, Instant>,
}

impl TimerSet {
    /// Arms (or re-arms) `timer` to fire at `at`.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines.insert(timer, at);
    }

    /// Disarms `timer`; nothing happens if it is not armed.
    pub fn cancel(&mut self, timer: Timer) {
        self.deadlines.remove(&timer);
    }

    /// The earliest deadline, if any timer is armed.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.values().min().copied()
    }

    /// Removes and returns the timers due at `now`, earliest first.
    pub fn take_expired(&mut self, now: Instant) -> Vec<Timer> {
        let mut due: Vec<(Instant, Timer)> = self
            .deadlines
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(t, at)| (*at, *t))
            .collect();
        due.sort_by_key(|(at, _)| *at);
        for (_, t) in &due {
            self.deadlines.remove(t);
        }
        due.into_iter().map(|(_, t)| t).collect()
    }

    /// Disarms every timer of a connection that no longer exists.
    pub fn cancel_connection(&mut self, conn: crate::session::ConnectionId) {
        self.deadlines.retain(|t, _| match t {
            Timer::ConnectRetry | Timer::BackoffReset => true,
            Timer::Hold(c) | Timer::Keepalive(c) | Timer::SendHold(c) => *c != conn,
        });
    }

    /// True when no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.deadlines.is_empty()
    }
}

#[cfg(test)]
mod tests {
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
}
