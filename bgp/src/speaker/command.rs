//! What the owner of a peer asks of it: route changes, the end of the initial set, a
//! reset from outside BGP, and shutdown.

use crate::rib_out::RouteAttributes;
use ipnet::IpNet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A change to the routes a peer should have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteChange {
    /// Announce (or re-announce with new attributes).
    Announce(IpNet, Arc<RouteAttributes>),
    /// Withdraw.
    Withdraw(IpNet),
}

/// How to end a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShutdownMode {
    /// Withdraw every route, wait `drain`, then Cease / Administrative Shutdown.
    Withdraw {
        /// Time between the last withdraw written and the Cease.
        drain: Duration,
    },
    /// Close without withdrawing so a peer that negotiated graceful restart keeps our
    /// routes until we come back (RFC 4724). Falls back to `Withdraw` with no drain when
    /// the peer did not negotiate it.
    KeepRoutes,
}

/// One request to a peer.
#[derive(Debug)]
pub enum Command {
    /// Apply these changes.
    Changes {
        /// The changes.
        changes: Vec<RouteChange>,
        /// When the event that caused them was seen, to report when they are written.
        since: Option<Instant>,
    },
    /// Replace the desired set.
    Replace(crate::rib_out::RouteSet),
    /// The routes handed over so far are the whole initial set: End-of-RIB may go.
    InitialSetComplete,
    /// Take the session down with this NOTIFICATION and reconnect as after any error.
    Reset(crate::wire::Notification),
    /// End the session.
    Shutdown {
        /// How.
        mode: ShutdownMode,
        /// The RFC 9003 shutdown communication.
        reason: String,
    },
}

impl Command {
    /// How many routes it changes (a whole set for a replace).
    pub fn route_count(&self) -> usize {
        match self {
            Command::Changes { changes, .. } => changes.len(),
            Command::Replace(routes) => routes.len(),
            _ => 0,
        }
    }
}
