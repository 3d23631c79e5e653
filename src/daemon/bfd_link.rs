//! BFD for a BGP peer: the session that runs beside it and the one rule that couples
//! them.
//!
//! The rule (RFC 5882 section 4.3, RFC 9384): when the BFD session goes from Up to Down,
//! the BGP session is taken down at once with NOTIFICATION Cease / BFD Down (subcode 10)
//! and then reconnects as after any error. A BFD Down caused by the router saying
//! AdminDown is not a failure of the path (RFC 5882 section 3.2) and leaves BGP alone.
//!
//! A BFD session that never comes Up never holds BGP back: BGP comes up on its own and
//! runs unprotected (failures found by the hold timer only), and `/status` says why BFD
//! is not Up. Requiring BFD first would turn a router without BFD configured into an
//! outage instead of a slower failover.

use crate::config::{BfdConfig, PeerConfig};
use bfd::State;
use bfd::driver::{Bfd, Hop, PeerSpec, SessionHandle, Status};
use bgp::driver::PeerHandle;
use bgp::wire::notification::cease_subcode;
use bgp::wire::{ErrorCode, Notification};
use tokio::sync::watch;

/// A running BFD session coupled to one BGP peer. Dropping it ends both the session and
/// the coupling.
#[derive(Debug)]
pub struct BfdLink {
    session: SessionHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BfdLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BfdLink {
    /// Starts a BFD session to `peer.address` and watches it on behalf of `handle`.
    pub fn start(bfd: &Bfd, peer: &PeerConfig, handle: PeerHandle) -> BfdLink {
        let session = bfd.add(spec(peer));
        let task = tokio::spawn(couple(peer.name.clone(), session.subscribe(), handle));
        BfdLink { session, task }
    }

    /// Puts our end in AdminDown before a deliberate close, so that the router does not
    /// read the end of our packets as a path failure (RFC 5882 section 3.2) and, with
    /// graceful restart, keeps our routes.
    pub fn admin_down(&self) {
        self.session.set_admin_down(true);
    }

    /// The session's status, for `/status` and metrics.
    pub fn watch(&self) -> watch::Receiver<Status> {
        self.session.subscribe()
    }
}

/// Single hop (RFC 5881) unless the peer is several hops away (RFC 5883).
pub fn spec(peer: &PeerConfig) -> PeerSpec {
    PeerSpec {
        peer: peer.address,
        local: peer.transport.local_address,
        hop: if peer.transport.ebgp_multihop > 1 {
            Hop::Multi
        } else {
            Hop::Single
        },
        config: session_config(&peer.bfd),
    }
}

/// The config keys as the state machine's parameters.
pub fn session_config(c: &BfdConfig) -> bfd::SessionConfig {
    bfd::SessionConfig {
        desired_min_tx: c.min_tx,
        required_min_rx: c.min_rx,
        detect_mult: c.multiplier,
    }
}

/// True when this change of BFD status must take the BGP session down: Up before, not Up
/// now, and not because the router put its end in AdminDown.
pub fn path_failed(before: &Status, now: &Status) -> bool {
    let Some(now) = &now.session else {
        return false;
    };
    before.state() == State::Up
        && matches!(now.state, State::Down | State::Init)
        && now.remote_state != State::AdminDown
}

/// The NOTIFICATION of RFC 9384 section 3.
pub fn bfd_down_notification() -> Notification {
    Notification::new(ErrorCode::Cease, cease_subcode::BFD_DOWN, Vec::new())
}

async fn couple(name: String, mut bfd: watch::Receiver<Status>, bgp: PeerHandle) {
    let mut before = bfd.borrow_and_update().clone();
    while bfd.changed().await.is_ok() {
        let now = bfd.borrow_and_update().clone();
        if path_failed(&before, &now) {
            let diagnostic = now
                .session
                .as_ref()
                .map_or("unknown", |s| s.local_diagnostic.as_str());
            tracing::warn!(peer = %name, %diagnostic, "BFD down: taking the BGP session down (Cease/BFD Down)");
            bgp.reset(bfd_down_notification()).await;
        }
        before = now;
    }
}

#[cfg(test)]
mod tests;
