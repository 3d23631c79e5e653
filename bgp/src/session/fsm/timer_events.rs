//! The machine's timers: hold, keepalive, connect retry and the send hold timer
//! (RFC 4271 sections 8.1.3 and 10; the send hold timer of RFC 9687), and the send-side
//! progress that restarts the last.

use super::*;

impl Session {
    pub(super) fn restart_hold(&mut self, id: ConnectionId, out: &mut Vec<Action>) {
        if let Some(hold) = self.find(id).and_then(Connection::hold_time)
            && hold > 0
        {
            out.push(Action::SetTimer {
                timer: Timer::Hold(id),
                after: secs(hold),
            });
        }
    }

    pub(super) fn arm_keepalive(
        &mut self,
        id: ConnectionId,
        keepalive: u16,
        out: &mut Vec<Action>,
    ) {
        // Never a zero interval, even from a misconfigured hold time of 1 or 2.
        let interval = secs(keepalive.max(1));
        out.push(Action::SetTimer {
            timer: Timer::Keepalive(id),
            after: jitter(interval, &mut self.rng),
        });
    }

    pub(super) fn on_timer(&mut self, timer: Timer, out: &mut Vec<Action>) {
        match timer {
            Timer::ConnectRetry => {
                // Never armed for a passive machine; a late expiry changes nothing.
                if !self.started || !self.conns.is_empty() || self.config.passive {
                    return;
                }
                // From Idle (after an error), Connect (attempt hung: the driver drops it
                // and starts anew) or Active (attempt failed).
                self.connect(out);
            }
            Timer::Hold(id) => {
                if self.find(id).is_some() {
                    let n = Notification::new(ErrorCode::HoldTimerExpired, 0, Vec::new());
                    self.fail(id, Some(n.clone()), DownReason::NotificationSent(n), out);
                }
            }
            Timer::Keepalive(id) => {
                // Sent on the timer only: simpler than re-arming it on every message we
                // send, and RFC 4271 4.4 only bounds the rate from above.
                let Some(conn) = self.find(id) else { return };
                if !matches!(conn.state, State::OpenConfirm | State::Established) {
                    return;
                }
                let Some(n) = conn.negotiated.as_ref() else {
                    return;
                };
                if n.hold_time == 0 {
                    return;
                }
                let keepalive = n.keepalive;
                out.push(Action::Send {
                    conn: id,
                    message: Message::Keepalive,
                });
                self.arm_keepalive(id, keepalive, out);
            }
            Timer::SendHold(id) => {
                if self.find(id).is_some_and(|c| c.send_blocked) {
                    // RFC 9687: the connection cannot drain, so no NOTIFICATION
                    // is queued behind the stuck data; just drop it.
                    let n = Notification::new(ErrorCode::SendHoldTimerExpired, 0, Vec::new());
                    self.fail(id, None, DownReason::NotSent(n), out);
                }
            }
            Timer::BackoffReset => {
                if self.established().is_some() {
                    self.attempt = 0;
                }
            }
        }
    }

    pub(super) fn on_send_blocked(
        &mut self,
        id: ConnectionId,
        blocked: bool,
        out: &mut Vec<Action>,
    ) {
        let configured = self.config.send_hold_time;
        let Some(conn) = self.find_mut(id) else {
            return;
        };
        if blocked == conn.send_blocked {
            // Repeated reports must not push the deadline back.
            return;
        }
        conn.send_blocked = blocked;
        if blocked {
            out.push(Action::SetTimer {
                timer: Timer::SendHold(id),
                after: send_hold_time(configured, conn),
            });
        } else {
            out.push(Action::CancelTimer(Timer::SendHold(id)));
        }
    }

    /// RFC 9687: the send hold timer bounds the time *without progress*. Octets accepted
    /// by the socket are progress, so it starts over; a slow but reading peer is kept.
    pub(super) fn on_send_progress(&mut self, id: ConnectionId, out: &mut Vec<Action>) {
        let configured = self.config.send_hold_time;
        let Some(conn) = self.find(id) else {
            return;
        };
        if !conn.send_blocked {
            return;
        }
        out.push(Action::SetTimer {
            timer: Timer::SendHold(id),
            after: send_hold_time(configured, conn),
        });
    }
}
