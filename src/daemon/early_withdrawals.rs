//! Withdrawals handed to the running peers while the decision still runs.
//!
//! When Services are deleted, the addresses nobody else lists are final long before the
//! decision ends (see `Incremental::update_streaming`). Each chunk goes to every running
//! peer at once, so the router starts taking in withdrawals while the rest is decided:
//! on a bulk withdraw of 100,000 routes the first UPDATE leaves after one chunk instead
//! of after the whole decision.
//!
//! The decision runs under locks and cannot wait, so a peer whose command queue is full
//! keeps its chunks here, in order, until [`EarlyWithdrawals::finish`] sends them.

use bgp::driver::{PeerHandle, RouteChange};
use ipnet::IpNet;
use std::time::Instant;

/// One running peer: its handle and what it could not be handed yet.
struct Pending {
    handle: PeerHandle,
    /// Kept once one chunk did not fit, with every chunk after it, so the peer gets
    /// them in the order they were decided.
    waiting: Vec<RouteChange>,
}

/// The early withdrawals of one decision.
pub struct EarlyWithdrawals {
    peers: Vec<Pending>,
    /// When the change was seen, for the event-to-wire latency.
    since: Option<Instant>,
}

impl EarlyWithdrawals {
    /// For the peers running when the decision starts.
    pub fn new(peers: impl IntoIterator<Item = PeerHandle>, since: Option<Instant>) -> Self {
        EarlyWithdrawals {
            peers: peers
                .into_iter()
                .map(|handle| Pending {
                    handle,
                    waiting: Vec::new(),
                })
                .collect(),
            since,
        }
    }

    /// Hands `withdrawn` to every peer now, or keeps it for a peer whose queue is full.
    pub fn hand_over(&mut self, withdrawn: &[IpNet]) {
        for peer in &mut self.peers {
            let changes = withdrawn.iter().copied().map(RouteChange::Withdraw);
            if !peer.waiting.is_empty() {
                peer.waiting.extend(changes);
                continue;
            }
            if let Err(back) = peer.handle.try_update(changes.collect(), self.since) {
                peer.waiting = back;
            }
        }
    }

    /// Sends what full queues kept back, waiting for room.
    pub async fn finish(self) {
        for peer in self.peers {
            if peer.waiting.is_empty() {
                continue;
            }
            match self.since {
                Some(since) => peer.handle.update_since(peer.waiting, since).await,
                None => peer.handle.update(peer.waiting).await,
            }
        }
    }
}
