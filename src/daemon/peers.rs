//! The BGP peers this node runs: started when their `node_selector` matches this node,
//! stopped when it no longer does, each fed the changes that bring it to its wanted
//! routes.

use super::weight_hold::WeightHold;
use crate::config::{Config, PeerConfig};
use crate::decide::incremental::Incremental;
use crate::reconcile;
use bgp::RouterId;
use bgp::driver::{PeerHandle, RouteChange, ShutdownMode, Speaker};
use bgp::rib_out::RouteAttributes;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One running peer.
#[derive(Debug)]
pub struct RunningPeer {
    /// The config entry it runs.
    pub config: PeerConfig,
    /// The driver's handle; its Adj-RIB-Out is the record of what the peer was sent.
    pub handle: PeerHandle,
}

/// What one peer is told after a decision.
#[derive(Debug)]
pub enum PeerBatch {
    /// Its whole initial route set (a peer just started), followed by End-of-RIB.
    Initial(Vec<(IpNet, Arc<RouteAttributes>)>),
    /// The changes of some addresses.
    Changes(Vec<RouteChange>),
}

/// A wanted peer that could not be started. Kept so that `/readyz`, `/status` and the
/// metrics count it as down instead of forgetting it.
#[derive(Debug)]
pub struct FailedPeer {
    /// The config entry it would run.
    pub config: PeerConfig,
    /// Why it did not start.
    pub error: String,
}

/// The wanted peers by name: running, or failed to start.
#[derive(Debug, Default)]
pub struct Peers {
    running: BTreeMap<String, RunningPeer>,
    failed: BTreeMap<String, FailedPeer>,
}

impl Peers {
    /// The running peers.
    pub fn running(&self) -> &BTreeMap<String, RunningPeer> {
        &self.running
    }

    /// The wanted peers that could not be started (retried at every reconcile).
    pub fn failed(&self) -> &BTreeMap<String, FailedPeer> {
        &self.failed
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
        self.failed
            .retain(|name, _| wanted.iter().any(|p| &p.name == name));
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
                    self.failed.remove(&peer.name);
                    tracing::info!(peer = %peer.name, address = %peer.address, asn = %peer.asn, "peer started");
                    self.running.insert(
                        peer.name.clone(),
                        RunningPeer {
                            config: (*peer).clone(),
                            handle,
                        },
                    );
                    started.push(peer.name.clone());
                }
                // Retried at the next reconcile; one bad peer does not stop the others.
                // Logged when its error changes, not at every reconcile.
                Err(error) => {
                    let error = format!("{error:#}");
                    let known = self
                        .failed
                        .get(&peer.name)
                        .is_some_and(|f| f.error == error);
                    if !known {
                        tracing::error!(peer = %peer.name, %error, "peer not started");
                    }
                    self.failed.insert(
                        peer.name.clone(),
                        FailedPeer {
                            config: (*peer).clone(),
                            error,
                        },
                    );
                }
            }
        }
        started
    }

    /// What every peer must be told for the `changed` addresses, and peers in `fresh`
    /// their whole route set. Withdrawals go first within each peer's batch.
    ///
    /// Routes come from the decision, except a weight decrease `hold` still holds back.
    pub fn changes(
        &self,
        engine: &Incremental,
        hold: &WeightHold,
        changed: &[IpNet],
        fresh: &[String],
    ) -> Vec<(PeerHandle, PeerBatch)> {
        self.running
            .iter()
            .filter_map(|(name, peer)| {
                let batch = if fresh.contains(name) {
                    let routes = engine
                        .routes()
                        .filter_map(|(p, r)| Some((p, hold.effective(&p, Some(r))?)));
                    PeerBatch::Initial(reconcile::routes_for_peer(routes, name))
                } else {
                    let route_of = |p: &IpNet| hold.effective(p, engine.route(p));
                    let changes = reconcile::changes_for(route_of, changed, name);
                    if changes.is_empty() {
                        return None;
                    }
                    PeerBatch::Changes(changes)
                };
                Some((peer.handle.clone(), batch))
            })
            .collect()
    }

    /// Hands each peer its batch.
    pub async fn send(&self, batches: Vec<(PeerHandle, PeerBatch)>) {
        for (handle, batch) in batches {
            match batch {
                PeerBatch::Initial(routes) => {
                    handle.replace(routes).await;
                    // That was its whole set: End-of-RIB may follow it, and only now, so a
                    // graceful restart helper never flushes routes still being decided.
                    handle.initial_set_complete().await;
                }
                PeerBatch::Changes(changes) => handle.update(changes).await,
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
