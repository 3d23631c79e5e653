//! One peer's protocol logic above the session machine, with no I/O.
//!
//! A [`PeerSpeaker`] owns the RFC 4271 [`Session`] and the peer's [`AdjRibOut`], and
//! keeps the rules that sit between them and the owner's commands:
//! - an announcement after a quiet spell goes at once; those that follow within
//!   [`ANNOUNCE_COALESCE`] of a send of announcements wait for the window's end, so
//!   that a trickle of them shares UPDATEs; withdrawals, a replaced set and the end of
//!   the initial set always go at once (a send of withdrawals alone opens no window);
//! - UPDATEs are pulled from the Adj-RIB-Out only while the connection's output holds
//!   less than [`OUT_HIGH_WATER`] octets, and again once it drained below
//!   [`OUT_LOW_WATER`];
//! - KEEPALIVE and NOTIFICATION go ahead of queued UPDATEs ([`outbox`]);
//! - End-of-RIB follows the initial set only once the owner says it is complete;
//! - shutdown withdraws everything, waits until written (at most
//!   [`WITHDRAW_LIMIT`](shutdown::WITHDRAW_LIMIT)), waits the drain time, then sends a
//!   Cease ([`shutdown`]), or closes without one when graceful restart lets the peer
//!   keep our routes.
//!
//! The driver feeds [`Input`]s with the current [`Instant`], carries out the [`Output`]s
//! from [`PeerSpeaker::poll_output`] in order, and calls [`PeerSpeaker::on_deadline`]
//! at [`PeerSpeaker::next_deadline`]. Time is data here as in [`crate::session`], so
//! every rule is testable without a socket or a clock.

pub mod command;
mod events;
pub mod outbox;
pub mod shutdown;
pub mod status;
mod updates;

#[cfg(test)]
mod tests;

pub use command::{Command, RouteChange, ShutdownMode};
pub use status::{PeerCounters, PeerStatus};
pub use updates::UpdateSink;

use crate::rib_out::{AdjRibOut, NextHops};
use crate::session::{ConnectionId, Direction, Event, Session, SessionConfig, Timer};
use crate::wire::{Message, MessageError, SessionContext};
use shutdown::{Shutdown, ShutdownPhase};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The window after a send of announcements in which further announcements wait, to
/// share UPDATEs. The first announcement after a quiet spell does not wait: a lone
/// change is on the wire as soon as it is decided, only a trickle is packed, and no
/// announcement waits longer than this.
pub const ANNOUNCE_COALESCE: Duration = Duration::from_millis(5);

/// Stop pulling UPDATEs into a connection's output above this many octets: the
/// Adj-RIB-Out keeps the pending difference far more compactly than encoded messages.
pub const OUT_HIGH_WATER: usize = 128 * 1024;
/// Pull UPDATEs again once the output holds fewer octets than this.
pub const OUT_LOW_WATER: usize = 16 * 1024;

/// What the driver knows of a TCP connection when it reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Our address.
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// The next hops routes take on this connection, as the driver chose them; they
    /// become the export policy's once the session is established.
    pub next_hops: NextHops,
}

/// Something that happened, reported by the driver.
#[derive(Debug)]
pub enum Input {
    /// Begin: the session starts (ManualStart).
    Start,
    /// A request of the owner. Several may come in a row; [`Input::CommandsDone`] ends
    /// the batch, so that the UPDATEs it causes are packed together.
    Command(Command),
    /// The batch of commands is over.
    CommandsDone,
    /// Every handle is gone: shut down, withdrawing the routes.
    CommandsClosed,
    /// A TCP connection to the peer is up.
    Connected {
        /// A fresh id.
        conn: ConnectionId,
        /// Who opened it.
        direction: Direction,
        /// Its addresses and next hops.
        info: ConnectionInfo,
    },
    /// The connection attempt asked for by [`Output::Connect`] failed.
    ConnectFailed {
        /// Why, for logs and status.
        error: String,
    },
    /// A problem reaching the peer that is not a failed attempt (a key that cannot be
    /// read, an attempt without answer): logged once, shown as the last error.
    TransportError(String),
    /// A message arrived.
    Received {
        /// On which connection.
        conn: ConnectionId,
        /// The message.
        message: Box<Message>,
    },
    /// Bytes arrived that do not decode.
    DecodeFailed {
        /// On which connection.
        conn: ConnectionId,
        /// The error, with the NOTIFICATION to send.
        error: MessageError,
    },
    /// The peer closed the connection or it failed.
    Closed {
        /// Which one.
        conn: ConnectionId,
    },
    /// The socket stopped (true) or resumed (false) taking the connection's output.
    SendBlocked {
        /// Which connection.
        conn: ConnectionId,
        /// Stuck or drained.
        blocked: bool,
    },
    /// While blocked, a write got some octets out.
    SendProgress {
        /// Which connection.
        conn: ConnectionId,
    },
    /// The output fell below [`OUT_LOW_WATER`] after a fill stopped at the high water
    /// mark: there is room for more UPDATEs.
    Room {
        /// Which connection.
        conn: ConnectionId,
    },
    /// Everything queued on the connection was handed to the socket (reported once
    /// after [`Output::WatchFlushed`]).
    Flushed {
        /// Which connection.
        conn: ConnectionId,
    },
    /// A session timer fired.
    TimerExpired(Timer),
}

/// What the driver must do, in order.
// Like the session's actions, a message is moved once from here to the encoder, so
// boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Open an outbound connection; report [`Input::Connected`] or [`Input::ConnectFailed`].
    Connect,
    /// Drop a connection attempt in progress, if any.
    StopConnecting,
    /// Queue a message on a connection.
    Send {
        /// Where.
        conn: ConnectionId,
        /// What.
        message: Message,
    },
    /// Pull UPDATEs into this connection's output now, with [`PeerSpeaker::fill`].
    SendUpdates {
        /// Which connection.
        conn: ConnectionId,
    },
    /// Report [`Input::Flushed`] once this connection's output is empty.
    WatchFlushed {
        /// Which connection.
        conn: ConnectionId,
    },
    /// Close a connection after writing what is queued.
    Close {
        /// Which one.
        conn: ConnectionId,
    },
    /// Arm (or re-arm) a session timer.
    SetTimer {
        /// Which.
        timer: Timer,
        /// When.
        at: Instant,
    },
    /// Disarm a session timer.
    CancelTimer(Timer),
    /// The session is Established on `conn`: encode and decode with `context` from now.
    Established {
        /// The connection.
        conn: ConnectionId,
        /// The negotiated codec context.
        context: SessionContext,
    },
    /// The changes seen at these instants are on the wire.
    Written(Vec<Instant>),
}

/// The protocol logic of one peer. See the [module docs](self).
#[derive(Debug)]
pub struct PeerSpeaker {
    name: Arc<str>,
    session: Session,
    rib: AdjRibOut,
    /// Open connections, as the driver reported them.
    conns: BTreeMap<ConnectionId, ConnectionInfo>,
    established: Option<ConnectionId>,
    shutdown: Option<Shutdown>,
    /// Pending announcements are pulled at this instant.
    flush_at: Option<Instant>,
    /// The end of the coalescing window opened by the last send of announcements:
    /// announcements before it wait for it, later ones go at once.
    quiet_from: Option<Instant>,
    /// The current batch of commands holds something to send at once.
    urgent: bool,
    /// Origins of changes applied but not yet written out.
    unwritten: Vec<Instant>,
    /// A [`Output::WatchFlushed`] is out and not yet answered.
    watching_flush: bool,
    status: PeerStatus,
    output: VecDeque<Output>,
    /// The instant of the input being handled.
    now: Instant,
}

impl PeerSpeaker {
    /// A peer named `name` (for logs) with the session settings `config`; `seed` drives
    /// the session's jitter.
    pub fn new(name: Arc<str>, config: SessionConfig, seed: u64, now: Instant) -> PeerSpeaker {
        PeerSpeaker {
            name,
            session: Session::new(config, seed),
            rib: AdjRibOut::new(),
            conns: BTreeMap::new(),
            established: None,
            shutdown: None,
            flush_at: None,
            quiet_from: None,
            urgent: false,
            unwritten: Vec::new(),
            watching_flush: false,
            status: PeerStatus::idle(),
            output: VecDeque::new(),
            now,
        }
    }

    /// The next thing to do, oldest first.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.output.pop_front()
    }

    /// The status to publish.
    pub fn status(&self) -> &PeerStatus {
        &self.status
    }

    /// Records when the session reached Established (wall clock, for status only).
    pub fn set_established_since(&mut self, since: std::time::SystemTime) {
        self.status.established_since = Some(since);
    }

    /// The session machine (read only).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// True while a session is Established.
    pub fn is_established(&self) -> bool {
        self.established.is_some()
    }

    /// True once a shutdown began: new connections and commands are refused.
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_some()
    }

    /// True when the shutdown is over: the Cease went out and every connection closed.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.shutdown,
            Some(Shutdown {
                phase: ShutdownPhase::Stopping,
                ..
            })
        ) && self.conns.is_empty()
    }

    /// The earliest instant [`on_deadline`](PeerSpeaker::on_deadline) is due: the end of
    /// the announcement coalescing window or of a shutdown phase.
    pub fn next_deadline(&self) -> Option<Instant> {
        let shutdown = self.shutdown.as_ref().and_then(Shutdown::deadline);
        [self.flush_at, shutdown].into_iter().flatten().min()
    }

    /// Time passed to `now`: sends coalesced announcements and moves a shutdown on.
    pub fn on_deadline(&mut self, now: Instant) {
        self.now = now;
        if self.flush_at.is_some_and(|at| at <= now) {
            self.pump();
        }
        if self
            .shutdown
            .as_ref()
            .and_then(Shutdown::deadline)
            .is_some_and(|at| at <= now)
        {
            self.stop_session();
        }
        self.advance_shutdown();
    }

    /// Handles one input at `now`; the resulting outputs wait in
    /// [`poll_output`](PeerSpeaker::poll_output).
    pub fn handle(&mut self, input: Input, now: Instant) {
        self.now = now;
        match input {
            Input::Start => {
                tracing::info!(peer = %self.name, "peer started");
                self.feed(Event::Start);
            }
            Input::Command(command) => self.on_command(command),
            Input::CommandsDone => self.on_commands_done(),
            Input::CommandsClosed => {
                if self.shutdown.is_none() {
                    self.begin_shutdown(
                        ShutdownMode::Withdraw {
                            drain: Duration::ZERO,
                        },
                        "peer removed".to_string(),
                    );
                }
            }
            Input::Connected {
                conn,
                direction,
                info,
            } => {
                self.conns.insert(conn, info);
                self.feed(Event::Connected { conn, direction });
            }
            Input::ConnectFailed { error } => {
                self.transport_error(error);
                self.feed(Event::ConnectFailed);
            }
            Input::TransportError(error) => self.transport_error(error),
            Input::Received { conn, message } => self.on_received(conn, *message),
            Input::DecodeFailed { conn, error } => self.on_decode_failed(conn, error),
            Input::Closed { conn } => {
                self.forget(conn);
                self.feed(Event::Closed { conn });
            }
            Input::SendBlocked { conn, blocked } => self.feed(Event::SendBlocked { conn, blocked }),
            Input::SendProgress { conn } => self.feed(Event::SendProgress { conn }),
            Input::Room { conn } => {
                if self.established == Some(conn) {
                    self.output.push_back(Output::SendUpdates { conn });
                }
            }
            Input::Flushed { conn } => self.on_flushed(conn),
            Input::TimerExpired(timer) => self.feed(Event::TimerExpired(timer)),
        }
        self.advance_shutdown();
    }

    fn set_error(&mut self, text: String) {
        self.status.last_error = Some(text);
    }

    /// Retries repeat the same error: it is logged once.
    fn transport_error(&mut self, text: String) {
        if self.status.last_error.as_deref() != Some(text.as_str()) {
            tracing::warn!(peer = %self.name, error = %text, "connect failed");
        }
        self.set_error(text);
    }

    /// A connection is gone: its id is forgotten.
    fn forget(&mut self, conn: ConnectionId) {
        self.conns.remove(&conn);
        if self.established == Some(conn) {
            self.session_gone();
        }
    }

    /// No session any more: a flush watched on its connection will never be reported.
    pub(super) fn session_gone(&mut self) {
        self.established = None;
        self.watching_flush = false;
    }

    fn close(&mut self, conn: ConnectionId) {
        self.forget(conn);
        self.output.push_back(Output::Close { conn });
    }

    fn begin_shutdown(&mut self, mode: ShutdownMode, reason: String) {
        let negotiated_gr = self.established.is_some()
            && self.session.config().graceful_restart.is_some()
            && self
                .session
                .negotiated()
                .is_some_and(|n| n.peer_graceful_restart.is_some());
        match shutdown::plan(&mode, negotiated_gr) {
            shutdown::ShutdownPlan::CloseKeepingRoutes => {
                tracing::info!(peer = %self.name,
                    "closing without NOTIFICATION: the peer keeps our routes (graceful restart)");
                self.shutdown = Some(Shutdown::stopping(reason));
                self.output.push_back(Output::StopConnecting);
                self.close_all();
                self.status.state = crate::session::State::Idle;
            }
            shutdown::ShutdownPlan::Withdraw { drain } => {
                tracing::info!(peer = %self.name, ?drain, %reason, "shutting down");
                self.shutdown = Some(Shutdown::withdrawing(self.now, drain, reason));
                if self.established.is_some() {
                    self.rib.replace(Vec::new());
                    self.pump();
                }
            }
        }
    }

    fn close_all(&mut self) {
        let ids: Vec<_> = self.conns.keys().copied().collect();
        for conn in ids {
            self.close(conn);
        }
    }

    /// Moves a withdrawal on once its withdrawals are on the wire, or at once when no
    /// session is up to withdraw from.
    fn advance_shutdown(&mut self) {
        if !self.shutdown.as_ref().is_some_and(Shutdown::is_withdrawing) {
            return;
        }
        match self.established {
            None => self.stop_session(),
            Some(conn) if !self.watching_flush => {
                self.watching_flush = true;
                self.output.push_back(Output::WatchFlushed { conn });
            }
            Some(_) => {}
        }
    }

    /// Sends the Cease (RFC 4486 Administrative Shutdown with the RFC 9003 reason) and
    /// waits for the connections to close.
    fn stop_session(&mut self) {
        let reason = self
            .shutdown
            .as_ref()
            .map(|s| s.reason.clone())
            .unwrap_or_default();
        self.output.push_back(Output::StopConnecting);
        let cease = crate::wire::Notification::cease_with_reason(
            crate::wire::notification::cease_subcode::ADMINISTRATIVE_SHUTDOWN,
            &reason,
        );
        self.feed(Event::Stop(cease));
        // The session closes its connections on Stop; close any it did not know of.
        self.close_all();
        match self.shutdown.as_mut() {
            Some(sd) => sd.phase = ShutdownPhase::Stopping,
            None => self.shutdown = Some(Shutdown::stopping(reason)),
        }
    }
}
