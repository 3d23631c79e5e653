//! The machine itself: [`Session`] keeps the connections of one peer and turns each
//! [`Event`] into [`Action`]s (RFC 4271 section 8).
//!
//! Simplifications of the RFC's optional attributes, all fixed here:
//! - AllowAutomaticStart is on: after an error the machine goes to Idle, waits for the
//!   ConnectRetry timer (backed off exponentially with jitter) and starts again. After a
//!   ManualStop it stays in Idle.
//! - DelayOpen and IdleHoldTime are off; damping of flapping peers is the backoff.
//! - A connection exists here only once TCP is up, and we send our OPEN at once, so every
//!   connection is in OpenSent, OpenConfirm or Established. Idle, Connect and Active
//!   describe the machine while no connection is up.
//!
//! Timer expiries and the send-side progress that feeds the send hold timer are handled
//! in [`timer_events`].

mod timer_events;

use super::collision::survivor;
use super::negotiate::{build_open, negotiate};
use super::timers::{OPEN_SENT_HOLD, backoff, default_send_hold, jitter, stable_after};
use super::{
    Action, ConnectionId, Direction, DownReason, Event, Negotiated, SessionConfig, State, Timer,
};
use crate::types::Family;
use crate::wire::notification::{cease_subcode, fsm_subcode};
use crate::wire::{ErrorCode, Message, Notification, Open, RouteRefresh, RouteRefreshSubtype};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::time::Duration;

/// One TCP connection of the peer, from the moment it is up.
#[derive(Debug)]
struct Connection {
    id: ConnectionId,
    direction: Direction,
    /// OpenSent, OpenConfirm or Established.
    state: State,
    /// Set when the peer's OPEN was accepted (OpenConfirm and Established).
    negotiated: Option<Negotiated>,
    /// Output is stuck and the send hold timer runs (RFC 9687).
    send_blocked: bool,
}

impl Connection {
    fn hold_time(&self) -> Option<u16> {
        self.negotiated.as_ref().map(|n| n.hold_time)
    }
}

/// Orders states by how far a connection got, for [`Session::state`].
fn progress(state: State) -> u8 {
    match state {
        State::Idle => 0,
        State::Connect | State::Active => 1,
        State::OpenSent => 2,
        State::OpenConfirm => 3,
        State::Established => 4,
    }
}

fn secs(s: u16) -> Duration {
    Duration::from_secs(u64::from(s))
}

/// The send hold time of a connection: as configured, else the RFC 9687 default derived
/// from its hold time (the OpenSent one before negotiation).
fn send_hold_time(configured: Option<Duration>, conn: &Connection) -> Duration {
    let hold = conn.hold_time().map_or(OPEN_SENT_HOLD, secs);
    configured.unwrap_or_else(|| default_send_hold(hold))
}

fn cease(subcode: u8) -> Notification {
    Notification::new(ErrorCode::Cease, subcode, Vec::new())
}

/// The state machine of one peer.
///
/// Feed it events with [`Session::handle`] and carry out the returned actions in order.
/// See the [module documentation](super) for what the driver must report and when.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    rng: SmallRng,
    /// ManualStart seen and no ManualStop since.
    started: bool,
    /// The state while no connection is up: Idle, Connect or Active.
    base: State,
    /// An [`Action::Connect`] is outstanding.
    connecting: bool,
    /// Connection attempts since the last start or stable session; drives the
    /// exponential backoff.
    attempt: u32,
    /// At most one per direction, so at most two (RFC 4271 section 6.8).
    conns: Vec<Connection>,
    last_error: Option<DownReason>,
    /// Send the graceful restart Restart State bit in our OPENs: configured for a
    /// process that just started, cleared once a session reached Established (RFC 4724
    /// section 3: the bit announces *this* restart, which a later reconnect is not).
    restart_state: bool,
}

impl Session {
    /// A machine in Idle. `seed` drives the jitter of its timers.
    pub fn new(config: SessionConfig, seed: u64) -> Session {
        let restart_state = config.graceful_restart.is_some_and(|gr| gr.restarting);
        Session {
            config,
            rng: SmallRng::seed_from_u64(seed),
            started: false,
            base: State::Idle,
            connecting: false,
            attempt: 0,
            restart_state,
            conns: Vec::new(),
            last_error: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Current state (of the most advanced connection).
    pub fn state(&self) -> State {
        self.conns
            .iter()
            .map(|c| c.state)
            .max_by_key(|s| progress(*s))
            .unwrap_or(self.base)
    }

    /// What was negotiated, while Established.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.established().and_then(|c| c.negotiated.as_ref())
    }

    /// The connection routes flow on, while Established.
    pub fn established_connection(&self) -> Option<ConnectionId> {
        self.established().map(|c| c.id)
    }

    /// The connections currently up, with their state (at most two).
    pub fn connections(&self) -> impl Iterator<Item = (ConnectionId, Direction, State)> + '_ {
        self.conns.iter().map(|c| (c.id, c.direction, c.state))
    }

    /// True between ManualStart and ManualStop.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Why the last connection failed or the last session ended, for status displays.
    pub fn last_error(&self) -> Option<&DownReason> {
        self.last_error.as_ref()
    }

    /// The OPEN this machine sends on its next new connection.
    pub fn local_open(&self) -> Open {
        build_open(&self.config, self.restart_state)
    }

    /// Feeds one event in; returns the actions to carry out, in order. A
    /// [`Action::StateChanged`] comes last when the state changed.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let before = self.state();
        let mut out = Vec::new();
        match event {
            Event::Start => self.on_start(&mut out),
            Event::Stop(notification) => self.on_stop(Some(notification), &mut out),
            Event::StopForRestart => self.on_stop(None, &mut out),
            Event::Reset(notification) => {
                let ids: Vec<ConnectionId> = self.conns.iter().map(|c| c.id).collect();
                for id in ids {
                    let n = notification.clone();
                    self.fail(
                        id,
                        Some(n.clone()),
                        DownReason::NotificationSent(n),
                        &mut out,
                    );
                }
            }
            Event::LocalError { conn, notification } => {
                if self.find(conn).is_some() {
                    let n = notification;
                    self.fail(
                        conn,
                        Some(n.clone()),
                        DownReason::NotificationSent(n),
                        &mut out,
                    );
                }
            }
            Event::Connected { conn, direction } => self.on_connected(conn, direction, &mut out),
            Event::ConnectFailed => self.on_connect_failed(),
            Event::Closed { conn } => {
                if self.find(conn).is_some() {
                    self.fail(conn, None, DownReason::ConnectionClosed, &mut out);
                }
            }
            Event::Received { conn, message } => self.on_message(conn, message, &mut out),
            Event::DecodeFailed { conn, error } => {
                if self.find(conn).is_some() {
                    let n = error.notification;
                    self.fail(
                        conn,
                        Some(n.clone()),
                        DownReason::NotificationSent(n),
                        &mut out,
                    );
                }
            }
            Event::TimerExpired(timer) => self.on_timer(timer, &mut out),
            Event::SendBlocked { conn, blocked } => self.on_send_blocked(conn, blocked, &mut out),
            Event::SendProgress { conn } => self.on_send_progress(conn, &mut out),
        }
        let after = self.state();
        if before != after {
            out.push(Action::StateChanged {
                from: before,
                to: after,
            });
        }
        out
    }

    fn established(&self) -> Option<&Connection> {
        self.conns.iter().find(|c| c.state == State::Established)
    }

    fn find(&self, id: ConnectionId) -> Option<&Connection> {
        self.conns.iter().find(|c| c.id == id)
    }

    fn find_mut(&mut self, id: ConnectionId) -> Option<&mut Connection> {
        self.conns.iter_mut().find(|c| c.id == id)
    }

    // ---- operator events ----

    fn on_start(&mut self, out: &mut Vec<Action>) {
        if self.started {
            return;
        }
        self.started = true;
        self.attempt = 0;
        if self.config.passive {
            // ManualStart_with_PassiveTcpEstablishment: wait in Active, no timer.
            self.base = State::Active;
        } else {
            self.connect(out);
        }
    }

    /// ManualStop (RFC 4271 8.2.2, Event 2): NOTIFICATION (if any) on every connection,
    /// close, release everything, Idle, and no automatic restart.
    fn on_stop(&mut self, notification: Option<Notification>, out: &mut Vec<Action>) {
        self.started = false;
        self.connecting = false;
        self.base = State::Idle;
        out.push(Action::CancelTimer(Timer::ConnectRetry));
        let ids: Vec<ConnectionId> = self.conns.iter().map(|c| c.id).collect();
        for id in ids {
            self.close(id, notification.clone(), DownReason::Stopped, out);
        }
        self.last_error = Some(DownReason::Stopped);
    }

    // ---- connection setup ----

    /// Connect state: ask for a connection and arm the ConnectRetry timer.
    fn connect(&mut self, out: &mut Vec<Action>) {
        self.base = State::Connect;
        self.connecting = true;
        out.push(Action::Connect);
        self.arm_connect_retry(out);
        // Each attempt lengthens the wait before the next one, whether it fails to
        // connect or fails later in the OPEN exchange or Established.
        self.attempt = self.attempt.saturating_add(1);
    }

    /// Arms ConnectRetry with the backed-off, jittered interval for the attempts made.
    fn arm_connect_retry(&mut self, out: &mut Vec<Action>) {
        let interval = backoff(
            self.config.connect_retry,
            self.config.connect_retry_max,
            self.attempt,
        );
        out.push(Action::SetTimer {
            timer: Timer::ConnectRetry,
            after: jitter(interval, &mut self.rng),
        });
    }

    fn on_connected(&mut self, id: ConnectionId, direction: Direction, out: &mut Vec<Action>) {
        if direction == Direction::Outbound {
            self.connecting = false;
        }
        if self.find(id).is_some() {
            // The driver reused a live id; nothing sensible to do but ignore it.
            return;
        }
        // (Cease subcode, whether to send it at all.)
        let reject = if !self.started || self.base == State::Idle {
            // Idle refuses all connections (RFC 4271 8.2.2): stopped, or waiting out the
            // backoff after an error. An outbound one here is a stale attempt that
            // completed after we gave it up: closing it says enough.
            Some((
                cease_subcode::CONNECTION_REJECTED,
                direction == Direction::Inbound,
            ))
        } else if direction == Direction::Outbound && self.config.passive {
            Some((cease_subcode::CONNECTION_REJECTED, false))
        } else if let Some(established) = self.established() {
            let restart_candidate = direction == Direction::Inbound
                && self.conns.len() == 1
                && established
                    .negotiated
                    .as_ref()
                    .is_some_and(|n| n.peer_graceful_restart.is_some());
            if restart_candidate {
                // RFC 4724 section 4.2: a graceful restart peer that restarted connects
                // again while our old session still looks Established. Hear its OPEN
                // (see `on_open`) instead of waiting for the hold timer.
                None
            } else if self.conns.len() > 1 {
                // A restart candidate is already being heard.
                Some((cease_subcode::CONNECTION_REJECTED, true))
            } else {
                // RFC 4271 6.8, last paragraph: a collision with an Established
                // connection closes the newly created one. It is a collision, so Cease
                // subcode 7 (RFC 4486 lists Connection Collision Resolution for exactly
                // this section).
                Some((cease_subcode::CONNECTION_COLLISION_RESOLUTION, true))
            }
        } else if self.conns.iter().any(|c| c.direction == direction) {
            // One connection per direction: a second inbound one is refused.
            Some((cease_subcode::CONNECTION_REJECTED, true))
        } else {
            None
        };
        if let Some((subcode, notify)) = reject {
            if notify {
                out.push(Action::Send {
                    conn: id,
                    message: Message::Notification(cease(subcode)),
                });
            }
            out.push(Action::Close { conn: id });
            return;
        }
        self.conns.push(Connection {
            id,
            direction,
            state: State::OpenSent,
            negotiated: None,
            send_blocked: false,
        });
        // RFC 4271 8.2.2 Connect/Active, TCP connection up: stop ConnectRetry, send OPEN,
        // hold timer to a large value, OpenSent.
        out.push(Action::CancelTimer(Timer::ConnectRetry));
        out.push(Action::Send {
            conn: id,
            message: Message::Open(self.local_open()),
        });
        out.push(Action::SetTimer {
            timer: Timer::Hold(id),
            after: OPEN_SENT_HOLD,
        });
    }

    fn on_connect_failed(&mut self) {
        if !self.connecting {
            return;
        }
        self.connecting = false;
        if self.started && self.conns.is_empty() && self.base == State::Connect {
            // Keep listening; the ConnectRetry timer armed with the attempt retries.
            self.base = State::Active;
        }
    }

    // ---- messages ----

    fn on_message(&mut self, id: ConnectionId, message: Message, out: &mut Vec<Action>) {
        let Some(conn) = self.find(id) else { return };
        let state = conn.state;
        match (state, message) {
            (_, Message::Notification(n)) => {
                self.fail(id, None, DownReason::NotificationReceived(n), out);
            }
            (State::OpenSent, Message::Open(open)) => self.on_open(id, open, out),
            (State::OpenConfirm, Message::Keepalive) => self.establish(id, out),
            (State::Established, Message::Keepalive | Message::Update(_)) => {
                // RFC 4271 8.2.2 Established: KEEPALIVE and UPDATE restart the hold timer.
                // UPDATEs are otherwise the driver's business (counted, never installed).
                self.restart_hold(id, out);
            }
            (State::Established, Message::RouteRefresh(rr)) => self.on_route_refresh(id, rr, out),
            (state, _) => {
                // RFC 6608: the subcode names the state the unexpected message arrived in.
                let subcode = match state {
                    State::OpenSent => fsm_subcode::UNEXPECTED_IN_OPEN_SENT,
                    State::OpenConfirm => fsm_subcode::UNEXPECTED_IN_OPEN_CONFIRM,
                    State::Established => fsm_subcode::UNEXPECTED_IN_ESTABLISHED,
                    _ => fsm_subcode::UNSPECIFIED,
                };
                let n = Notification::new(ErrorCode::Fsm, subcode, Vec::new());
                self.fail(id, Some(n.clone()), DownReason::NotificationSent(n), out);
            }
        }
    }

    fn on_open(&mut self, id: ConnectionId, open: Open, out: &mut Vec<Action>) {
        let negotiated = match negotiate(&self.config, &open) {
            Ok(n) => n,
            Err(n) => {
                self.fail(id, Some(n.clone()), DownReason::NotificationSent(n), out);
                return;
            }
        };
        if let Some(other) = self.conns.iter().find(|c| c.id != id) {
            // RFC 4271 6.8: the peer's identifier is now known, so the collision between
            // the two connections can be resolved.
            let other_id = other.id;
            let collision = cease(cease_subcode::CONNECTION_COLLISION_RESOLUTION);
            let reason = DownReason::NotificationSent(collision.clone());
            if other.state == State::Established {
                if negotiated.peer_graceful_restart.is_some() {
                    // RFC 4724 section 4.2: an OPEN with the graceful restart capability
                    // while the session is Established means the peer restarted. The old
                    // connection goes (no NOTIFICATION: nobody is left to read it) and
                    // this one carries on; our routes are sent again once it is up.
                    self.last_error = Some(DownReason::ReplacedByPeerRestart);
                    self.close(other_id, None, DownReason::ReplacedByPeerRestart, out);
                } else {
                    // OpenCollisionDump: the Established connection stays.
                    self.close(id, Some(collision), reason, out);
                    return;
                }
            } else {
                let keep = survivor(
                    self.config.router_id,
                    self.config.local_asn,
                    negotiated.peer_router_id,
                    negotiated.peer_asn,
                );
                let this_direction = self.find(id).map(|c| c.direction);
                if this_direction == Some(keep) {
                    self.close(other_id, Some(collision), reason, out);
                } else {
                    self.close(id, Some(collision), reason, out);
                    return;
                }
            }
        }
        let hold = negotiated.hold_time;
        let keepalive = negotiated.keepalive;
        let Some(conn) = self.find_mut(id) else {
            return;
        };
        conn.state = State::OpenConfirm;
        conn.negotiated = Some(negotiated);
        out.push(Action::Send {
            conn: id,
            message: Message::Keepalive,
        });
        if hold == 0 {
            // Hold time 0: neither KEEPALIVEs nor a hold timer (RFC 4271 section 4.4).
            out.push(Action::CancelTimer(Timer::Hold(id)));
        } else {
            out.push(Action::SetTimer {
                timer: Timer::Hold(id),
                after: secs(hold),
            });
            self.arm_keepalive(id, keepalive, out);
        }
    }

    fn establish(&mut self, id: ConnectionId, out: &mut Vec<Action>) {
        // OpenConfirm always holds the negotiation; Established never goes without one.
        let Some(conn) = self.find_mut(id) else {
            return;
        };
        let Some(negotiated) = conn.negotiated.clone() else {
            return;
        };
        conn.state = State::Established;
        self.restart_state = false;
        self.restart_hold(id, out);
        // Backoff starts over only once this session proved stable (see timers).
        out.push(Action::SetTimer {
            timer: Timer::BackoffReset,
            after: stable_after(negotiated.hold_time),
        });
        out.push(Action::Established {
            conn: id,
            negotiated,
        });
    }

    /// RFC 2918 section 4: a request for a family we did not negotiate is ignored. We
    /// announce plain route refresh only, so the BoRR/EoRR subtypes of RFC 7313 and
    /// unknown subtypes are ignored as well.
    fn on_route_refresh(&mut self, id: ConnectionId, rr: RouteRefresh, out: &mut Vec<Action>) {
        if rr.subtype != RouteRefreshSubtype::Request {
            return;
        }
        let Some(family) = Family::from_afi_safi(rr.afi, rr.safi) else {
            return;
        };
        let negotiated = self
            .find(id)
            .and_then(|c| c.negotiated.as_ref())
            .is_some_and(|n| n.families.contains(&family));
        if negotiated {
            out.push(Action::RouteRefreshRequested(family));
        }
    }

    // ---- teardown ----

    /// Closes one connection: optional NOTIFICATION, close, its timers cancelled, and
    /// [`Action::Down`] if it was Established. No restart.
    fn close(
        &mut self,
        id: ConnectionId,
        notification: Option<Notification>,
        reason: DownReason,
        out: &mut Vec<Action>,
    ) {
        let Some(index) = self.conns.iter().position(|c| c.id == id) else {
            return;
        };
        let conn = self.conns.remove(index);
        if let Some(n) = notification {
            out.push(Action::Send {
                conn: id,
                message: Message::Notification(n),
            });
        }
        out.push(Action::Close { conn: id });
        out.push(Action::CancelTimer(Timer::Hold(id)));
        out.push(Action::CancelTimer(Timer::Keepalive(id)));
        out.push(Action::CancelTimer(Timer::SendHold(id)));
        if conn.state == State::Established {
            out.push(Action::CancelTimer(Timer::BackoffReset));
            out.push(Action::Down { reason });
        }
    }

    /// A connection failed: close it, and when it was the last one restart
    /// automatically: Idle until the backed-off ConnectRetry interval passed, then
    /// Connect. A passive machine goes straight back to Active instead: the peer paces
    /// its own attempts, and refusing them while we waited would only add the peer's
    /// (often long) retry interval to the outage.
    fn fail(
        &mut self,
        id: ConnectionId,
        notification: Option<Notification>,
        reason: DownReason,
        out: &mut Vec<Action>,
    ) {
        self.last_error = Some(reason.clone());
        self.close(id, notification, reason, out);
        if self.conns.is_empty() && self.started {
            self.connecting = false;
            if self.config.passive {
                self.base = State::Active;
            } else {
                self.base = State::Idle;
                self.arm_connect_retry(out);
            }
        }
    }
}
