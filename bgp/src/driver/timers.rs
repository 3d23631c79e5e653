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
mod tests;
