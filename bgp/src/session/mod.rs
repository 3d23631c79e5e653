//! The RFC 4271 finite state machine of one peer, with no I/O.
//!
//! The driver feeds [`Event`]s in (a TCP connection came up, a message arrived, a timer
//! fired, the operator stopped the peer) and carries out the [`Action`]s that come back
//! (connect, send this message, arm that timer, close). Time is data: the machine asks
//! for timers by duration and learns of their expiry as events, so every rule is testable
//! without sockets or clocks, and randomness (jitter) comes from a seeded generator.
//!
//! One machine manages up to two TCP connections to the same peer at once, so that
//! connection collisions (RFC 4271 section 6.8) are resolved here and not in the driver.
//!
//! # What the driver reports, and when
//! - [`Event::Start`] once to begin (ManualStart), [`Event::Stop`] to end (ManualStop);
//!   after a stop the machine stays in Idle until the next start.
//! - After [`Action::Connect`]: [`Event::Connected`] with a fresh [`ConnectionId`] and
//!   [`Direction::Outbound`], or [`Event::ConnectFailed`]. A new `Connect` while an attempt
//!   is pending replaces it (the ConnectRetry timer fired during the attempt).
//! - Every accepted inbound TCP connection from the peer's address:
//!   [`Event::Connected`] with [`Direction::Inbound`]. The machine decides whether to keep
//!   it (it answers with an OPEN) or refuse it (a Cease and [`Action::Close`]).
//! - Each decoded message: [`Event::Received`]; bytes that do not decode:
//!   [`Event::DecodeFailed`] (the machine sends the error's NOTIFICATION and closes).
//!   Decode with [`SessionContext::default`] until [`Action::Established`] hands over the
//!   negotiated context for that connection.
//! - End of stream or a socket error: [`Event::Closed`], unless the machine closed the
//!   connection itself with [`Action::Close`] (then it forgot the id already).
//! - Timers: keep one deadline per [`Timer`] value; [`Action::SetTimer`] replaces any
//!   previous deadline of the same timer, [`Action::CancelTimer`] of a timer not armed
//!   does nothing; report expiry with [`Event::TimerExpired`]. Late expiries are harmless.
//! - [`Event::SendBlocked`] `{ blocked: true }` when queued output stops draining (the
//!   socket refuses more), `{ blocked: false }` once it drained. Repeated reports are fine.
//!   [`Event::SendProgress`] whenever a write got some octets out while blocked.
//!
//! The machine never sends UPDATEs: after [`Action::Established`] the driver sends the
//! initial routes and End-of-RIB itself (End-of-RIB once the initial set is complete, see
//! [`crate::rib_out`]), again on [`Action::RouteRefreshRequested`], and
//! stops on [`Action::Down`] or [`Action::Close`].
//!
//! # Choices left open by the RFCs
//! - Backoff: each connection attempt doubles the next ConnectRetry interval, from
//!   [`SessionConfig::connect_retry`] up to [`SessionConfig::connect_retry_max`], with
//!   jitter of 0.75 to 1 (RFC 4271 section 10). It starts over after a session stayed
//!   Established for its hold time, at least 90 s ([`Timer::BackoffReset`]), so a peer
//!   that accepts and then drops us keeps being retried slowly.
//! - After an error the machine goes to Idle (refusing connections) until ConnectRetry
//!   fires, then Connect. A passive machine goes straight back to Active: the peer
//!   paces its own attempts, and refusing them would add its retry interval (often
//!   minutes) to the outage.
//! - A connection from the peer while Established is refused with Cease / Connection
//!   Collision Resolution (RFC 4271 6.8, last paragraph: the new connection is closed),
//!   unless the peer advertised graceful restart on the Established session and the new
//!   connection is inbound: then the peer has probably restarted its control plane while
//!   our old connection still looks alive. The new connection gets our OPEN, and if the
//!   peer's OPEN on it carries the graceful restart capability too, the old session is
//!   closed (without a NOTIFICATION: its far end is gone) and the new one takes over, so
//!   recovery does not wait for the hold timer (RFC 4724 section 4.2; FRR and BIRD do
//!   the same). Without the capability in that OPEN, RFC 4271 6.8 applies again and the
//!   new connection is dumped. Only one such candidate is heard at a time.
//!   A second connection in a direction that already has one gets Cease / Connection
//!   Rejected.
//! - KEEPALIVEs go out when the keepalive timer fires (jittered hold time / 3), whether
//!   or not other messages went out meanwhile.
//! - ROUTE-REFRESH for a family that was not negotiated, or with a subtype of RFC 7313
//!   (which we do not announce), is ignored (RFC 2918 section 4).

pub mod collision;
mod fsm;
pub mod negotiate;
pub mod timers;

#[cfg(test)]
mod tests;

pub use fsm::Session;

use crate::types::{Asn, Family, HoldTime, RestartTime, RouterId};
use crate::wire::{Message, MessageError, Notification, SessionContext};
use std::time::Duration;

/// What the operator configured for this peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our ASN.
    pub local_asn: Asn,
    /// The ASN the peer must announce; equal to `local_asn` means iBGP.
    pub peer_asn: Asn,
    /// Our BGP Identifier.
    pub router_id: RouterId,
    /// Hold time we propose.
    pub hold_time: HoldTime,
    /// First connect retry interval; later ones back off exponentially with jitter.
    pub connect_retry: Duration,
    /// Cap of the connect retry backoff.
    pub connect_retry_max: Duration,
    /// Never connect out; wait for the peer (RFC 4271 PassiveTcpEstablishment).
    pub passive: bool,
    /// Families to announce in the Multiprotocol capability.
    pub families: Vec<Family>,
    /// Graceful restart capability to send; `None` sends none.
    pub graceful_restart: Option<GracefulRestartConfig>,
    /// Host name for the hostname capability; `None` sends none.
    pub hostname: Option<String>,
    /// Announce the extended message capability (RFC 8654); used only if the peer does too.
    pub extended_message: bool,
    /// Send hold time (RFC 9687); `None` uses the RFC's default, max(8 minutes, 2 x hold time).
    pub send_hold_time: Option<Duration>,
}

/// Our side of graceful restart (RFC 4724): we are a restarting speaker only, never a
/// helper that keeps a peer's routes (we install none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GracefulRestartConfig {
    /// Restart time to advertise.
    pub restart_time: RestartTime,
    /// This process has just (re)started: set the Restart State bit (RFC 4724 section 3)
    /// in our OPENs until the first session reaches Established, so the peer knows the
    /// routes it kept for us are stale and does not wait for our End-of-RIB before
    /// sending its own. Later reconnects of the same machine clear it: they are not
    /// restarts of the speaker.
    pub restarting: bool,
}

/// RFC 4271 section 8.2.2 states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Not trying.
    Idle,
    /// Waiting for an outbound connection to complete.
    Connect,
    /// Waiting for the peer to connect (or for the retry timer).
    Active,
    /// OPEN sent, waiting for the peer's.
    OpenSent,
    /// OPENs exchanged, waiting for KEEPALIVE.
    OpenConfirm,
    /// Routes may flow.
    Established,
}

/// Identifies one TCP connection of this peer; chosen by the driver, unique per machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

/// Who opened a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// We connected to the peer.
    Outbound,
    /// The peer connected to us.
    Inbound,
}

/// The timers the machine asks the driver to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// ConnectRetryTimer.
    ConnectRetry,
    /// HoldTimer of one connection.
    Hold(ConnectionId),
    /// KeepaliveTimer of one connection.
    Keepalive(ConnectionId),
    /// SendHoldTimer of one connection (RFC 9687).
    SendHold(ConnectionId),
    /// Armed on entering Established; when it fires the session has stayed up long
    /// enough ([`timers::stable_after`]: the hold time, at least 90 s) for the connect
    /// retry backoff to start over from [`SessionConfig::connect_retry`].
    BackoffReset,
}

/// Inputs to the machine.
// Events and actions carry whole messages; each is moved once from decoder to machine or
// machine to encoder, so boxing the large variants would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// ManualStart (or ManualStart_with_PassiveTcpEstablishment when configured passive).
    Start,
    /// ManualStop: close every connection, sending this NOTIFICATION (normally a Cease
    /// with a shutdown communication) on an open one.
    Stop(Notification),
    /// ManualStop before a restart of this process with graceful restart negotiated:
    /// close every connection WITHOUT a NOTIFICATION, so that the peer keeps our routes
    /// as stale until the restarted process announces them again (RFC 4724 section 4.2:
    /// a NOTIFICATION would make it drop them at once).
    StopForRestart,
    /// Something outside BGP found the path to the peer dead (a BFD session went Down,
    /// RFC 9384 / RFC 5882 section 4.3): send this NOTIFICATION on every open connection,
    /// close them, and restart after the backoff like after any other error. Does
    /// nothing while no connection is open: there is no session to take down.
    Reset(Notification),
    /// The driver hit an error on this connection that it cannot recover from (a message
    /// that does not fit on the wire, say): send this NOTIFICATION, close, and restart
    /// after the backoff like any other error.
    LocalError {
        /// Which connection.
        conn: ConnectionId,
        /// What to tell the peer.
        notification: Notification,
    },
    /// A TCP connection is up.
    Connected {
        /// Its id.
        conn: ConnectionId,
        /// Who opened it.
        direction: Direction,
    },
    /// The outbound connection attempt requested by [`Action::Connect`] failed.
    ConnectFailed,
    /// A connection was closed by the peer or failed.
    Closed {
        /// Which one.
        conn: ConnectionId,
    },
    /// A message arrived.
    Received {
        /// On which connection.
        conn: ConnectionId,
        /// The message.
        message: Message,
    },
    /// Bytes arrived that could not be decoded.
    DecodeFailed {
        /// On which connection.
        conn: ConnectionId,
        /// The error, with the NOTIFICATION to send.
        error: MessageError,
    },
    /// A timer fired.
    TimerExpired(Timer),
    /// Whether data queued for a connection is waiting for the socket to accept it. The
    /// send hold timer runs only while it is (RFC 9687).
    SendBlocked {
        /// Which connection.
        conn: ConnectionId,
        /// True when output is stuck, false once it drained.
        blocked: bool,
    },
    /// While blocked, the socket accepted some of the queued octets: the peer is slow but
    /// still reading, so the send hold timer starts over (RFC 9687 measures the time
    /// without progress, not the time until the buffer is empty).
    SendProgress {
        /// Which connection.
        conn: ConnectionId,
    },
}

/// Outputs of the machine, to carry out in order.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open an outbound TCP connection, then report [`Event::Connected`] or
    /// [`Event::ConnectFailed`].
    Connect,
    /// Write a message on a connection.
    Send {
        /// Where.
        conn: ConnectionId,
        /// What.
        message: Message,
    },
    /// Close a connection, after writing what was sent before.
    Close {
        /// Which one.
        conn: ConnectionId,
    },
    /// Arm (or re-arm) a timer.
    SetTimer {
        /// Which.
        timer: Timer,
        /// When, from now.
        after: Duration,
    },
    /// Disarm a timer.
    CancelTimer(Timer),
    /// The state changed.
    StateChanged {
        /// Old state.
        from: State,
        /// New state.
        to: State,
    },
    /// The session reached Established on `conn`: switch the codec to the negotiated
    /// context and start the initial route transfer.
    Established {
        /// The connection that won.
        conn: ConnectionId,
        /// What both sides agreed.
        negotiated: Negotiated,
    },
    /// An Established session ended: the peer no longer has our routes (unless it keeps
    /// them for graceful restart).
    Down {
        /// Why, for logs and status.
        reason: DownReason,
    },
    /// The peer asked for our routes of this family again (RFC 2918).
    RouteRefreshRequested(Family),
}

/// Why an Established session ended, or why a connection attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// We sent this NOTIFICATION.
    NotificationSent(Notification),
    /// The peer sent this NOTIFICATION.
    NotificationReceived(Notification),
    /// The connection closed without a NOTIFICATION.
    ConnectionClosed,
    /// The operator stopped the session.
    Stopped,
    /// We detected this error but closed without sending its NOTIFICATION, because the
    /// connection could not take more data (RFC 9687: Send Hold Timer Expired, code 8).
    NotSent(Notification),
    /// The peer opened a new session with the graceful restart capability while this one
    /// was Established: it restarted, and the new session replaces this one (RFC 4724
    /// section 4.2).
    ReplacedByPeerRestart,
}

/// The result of the OPEN exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The peer's ASN.
    pub peer_asn: Asn,
    /// The peer's BGP Identifier.
    pub peer_router_id: RouterId,
    /// Hold time in use: the smaller of both proposals; 0 means none.
    pub hold_time: u16,
    /// Keepalive interval in use: hold time / 3.
    pub keepalive: u16,
    /// Families both sides announced. When the peer sent no Multiprotocol capability at
    /// all, IPv4 unicast is implied (RFC 4760 section 8) if we asked for it.
    pub families: Vec<Family>,
    /// Both sides support 4-octet ASNs.
    pub four_octet_as: bool,
    /// The peer supports route refresh.
    pub route_refresh: bool,
    /// Both sides support extended messages.
    pub extended_message: bool,
    /// The peer's graceful restart capability, if sent.
    pub peer_graceful_restart: Option<crate::wire::GracefulRestart>,
    /// The peer's host name, if it sent the hostname capability.
    pub peer_hostname: Option<String>,
    /// The codec context for this session.
    pub context: SessionContext,
}
