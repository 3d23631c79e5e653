//! The phases of ending a session (withdraw, wait until written, drain, Cease), as data.
//!
//! A graceful withdrawal gives routers time to move traffic before the session goes:
//! the withdrawals reach the wire first, then the drain time passes, then the Cease
//! (RFC 4486 Administrative Shutdown, with the RFC 9003 reason) ends the session.

use super::command::ShutdownMode;
use std::time::{Duration, Instant};

/// Longest wait for the withdrawals of a shutdown to reach the socket. A peer that
/// reads this slowly gets the Cease (or, if even that cannot be written, a closed
/// connection) instead of holding the shutdown up to the send hold time.
pub const WITHDRAW_LIMIT: Duration = Duration::from_secs(10);

/// How a shutdown request is carried out, given what the session negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownPlan {
    /// Close the TCP connection without a NOTIFICATION: the peer keeps our routes for
    /// the restart time (RFC 4724 section 4; a NOTIFICATION would make it drop them at
    /// once unless both sides support RFC 8538).
    CloseKeepingRoutes,
    /// Withdraw every route, wait until written, wait `drain`, then Cease.
    Withdraw {
        /// The wait between the withdrawals written and the Cease.
        drain: Duration,
    },
}

/// What `mode` means for a session where graceful restart was (or was not) negotiated
/// both ways: keeping routes needs the peer to keep them, so without graceful restart
/// it becomes a withdrawal with no drain.
pub fn plan(mode: &ShutdownMode, graceful_restart_negotiated: bool) -> ShutdownPlan {
    match mode {
        ShutdownMode::KeepRoutes if graceful_restart_negotiated => ShutdownPlan::CloseKeepingRoutes,
        ShutdownMode::KeepRoutes => ShutdownPlan::Withdraw {
            drain: Duration::ZERO,
        },
        ShutdownMode::Withdraw { drain } => ShutdownPlan::Withdraw { drain: *drain },
    }
}

/// Where a shutdown stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownPhase {
    /// Withdrawals are being written; past this instant the Cease goes out anyway.
    Withdrawing(Instant),
    /// Withdrawals are written; the Cease goes out at this instant.
    Draining(Instant),
    /// The Cease is sent (or the connection dropped): waiting for connections to close.
    Stopping,
}

/// A shutdown in progress.
#[derive(Debug)]
pub struct Shutdown {
    /// Its phase.
    pub phase: ShutdownPhase,
    /// The drain time of the withdrawal.
    pub drain: Duration,
    /// The RFC 9003 shutdown communication of the Cease.
    pub reason: String,
}

impl Shutdown {
    /// A withdrawal starting at `now`.
    pub fn withdrawing(now: Instant, drain: Duration, reason: String) -> Shutdown {
        Shutdown {
            phase: ShutdownPhase::Withdrawing(now + WITHDRAW_LIMIT),
            drain,
            reason,
        }
    }

    /// A shutdown whose connections are closing already.
    pub fn stopping(reason: String) -> Shutdown {
        Shutdown {
            phase: ShutdownPhase::Stopping,
            drain: Duration::ZERO,
            reason,
        }
    }

    /// When the current phase ends on its own (the Cease goes out), if it does.
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            ShutdownPhase::Withdrawing(at) | ShutdownPhase::Draining(at) => Some(at),
            ShutdownPhase::Stopping => None,
        }
    }

    /// True while the withdrawals are still on their way to the socket.
    pub fn is_withdrawing(&self) -> bool {
        matches!(self.phase, ShutdownPhase::Withdrawing(_))
    }

    /// The withdrawals are written at `now`: the drain time starts.
    pub fn withdrawals_written(&mut self, now: Instant) {
        if self.is_withdrawing() {
            self.phase = ShutdownPhase::Draining(now + self.drain);
        }
    }
}
