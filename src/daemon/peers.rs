//! The BGP peers this node runs: started when their `node_selector` matches this node,
//! stopped when it no longer does, each fed the changes that bring it to its wanted
//! routes.

use crate::config::{Config, PeerConfig};
use crate::decide::Route;
use crate::reconcile::{self, Interner, PeerRoutes};
use bgp::RouterId;
use bgp::driver::{PeerHandle, ShutdownMode, Speaker};
use ipnet::IpNet;
use std::collections::BTreeMap;

/// One running peer.
#[derive(Debug)]
pub struct RunningPeer {
    /// The config entry it runs.
    pub config: PeerConfig,
    /// The driver's handle.
    pub handle: PeerHandle,
    /// What it was last told to announce.
    pub sent: PeerRoutes,
}

/// The running peers by name.
#[derive(Debug, Default)]
pub struct Peers {
    running: BTreeMap<String, RunningPeer>,
}

impl Peers {
    /// The running peers.
    pub fn running(&self) -> &BTreeMap<String, RunningPeer> {
        &self.running
    }

    /// Starts the peers among `wanted` that do not run yet and stops those that are no
    /// longer wanted (withdrawing their routes first). Returns the names started.
    pub async fn ensure(
        &mut self,
        speaker: &Speaker,
        config: &Config,
        router_id: RouterId,
        wanted: &[&PeerConfig],
    ) -> Vec<String> {
        let stale: Vec<String> = self
            .running
            .keys()
            .filter(|name| !wanted.iter().any(|p| &p.name == *name))
            .cloned()
            .collect();
        for name in stale {
            if let Some(peer) = self.running.remove(&name) {
                tracing::info!(peer = %name, "node_selector no longer matches this node; stopping peer");
                peer.handle
                    .shutdown(
                        ShutdownMode::Withdraw {
                            drain: config.shutdown.drain,
                        },
                        "peer deconfigured for this node",
                    )
                    .await;
            }
        }
        let mut started = Vec::new();
        for peer in wanted {
            if self.running.contains_key(&peer.name) {
                continue;
            }
            let handle =
                super::bgp_config::peer_config(config, peer, router_id).and_then(|driver_config| {
                    speaker.add_peer(driver_config).map_err(anyhow::Error::from)
                });
            match handle {
                Ok(handle) => {
                    tracing::info!(peer = %peer.name, address = %peer.address, asn = %peer.asn, "peer started");
                    self.running.insert(
                        peer.name.clone(),
                        RunningPeer {
                            config: (*peer).clone(),
                            handle,
                            sent: PeerRoutes::new(),
                        },
                    );
                    started.push(peer.name.clone());
                }
                // Logged and retried at the next reconcile; one bad peer does not stop the others.
                Err(error) => tracing::error!(peer = %peer.name, %error, "peer not started"),
            }
        }
        started
    }

    /// Sends every peer the changes for the `changed` addresses, and peers in `fresh`
    /// their whole route set, marked as their complete initial set (End-of-RIB).
    /// Withdrawals go first within each peer's batch.
    pub async fn apply(
        &mut self,
        routes: &BTreeMap<IpNet, Route>,
        changed: &[IpNet],
        fresh: &[String],
        interner: &mut Interner,
    ) {
        for (name, peer) in &mut self.running {
            let is_fresh = fresh.contains(name);
            let changes = if is_fresh {
                let wanted = reconcile::routes_for_peer(routes, name, interner);
                let changes = reconcile::changes(&peer.sent, &wanted);
                peer.sent = wanted;
                changes
            } else {
                reconcile::changes_for(&mut peer.sent, routes, changed, name, interner)
            };
            if !changes.is_empty() {
                peer.handle.update(changes).await;
            }
            if is_fresh {
                // That was its whole set: End-of-RIB may follow it, and only now, so a
                // graceful restart helper never flushes routes still being decided.
                peer.handle.initial_set_complete().await;
            }
        }
    }

    /// Stops every peer as the shutdown config says, all at once.
    pub async fn shutdown(&mut self, mode: ShutdownMode, reason: &str) {
        let peers = std::mem::take(&mut self.running);
        futures::future::join_all(
            peers
                .values()
                .map(|p| p.handle.shutdown(mode.clone(), reason)),
        )
        .await;
    }
}
