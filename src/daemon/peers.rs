//! The BGP peers this node runs: started when their `node_selector` matches this node,
//! stopped when it no longer does, each fed the changes that bring it to its wanted
//! routes.

use super::weight_hold::WeightHold;
use crate::config::reload::SessionInputs;
use crate::config::{Config, PeerConfig};
use crate::decide::incremental::Incremental;
use crate::reconcile;
use bgp::RouterId;
use bgp::driver::{PeerHandle, RouteChange, ShutdownMode, Speaker};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One running peer.
#[derive(Debug)]
pub struct RunningPeer {
    /// The config entry it runs.
    pub config: PeerConfig,
    /// What its session was built from: a new config that changes them restarts it.
    pub inputs: SessionInputs,
    /// The driver's handle; its Adj-RIB-Out is the record of what the peer was sent.
    pub handle: PeerHandle,
    /// Its BFD session, when `bfd.enabled`.
    pub bfd: Option<super::bfd_link::BfdLink>,
}

/// What one peer is told after a decision.
#[derive(Debug)]
pub enum PeerBatch {
    /// Its whole initial route set (a peer just started), followed by End-of-RIB.
    Initial(bgp::rib_out::RouteSet),
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
    pub error: Arc<std::io::Error>,
}

/// The wanted peers by name: running, or failed to start.
#[derive(Debug, Default)]
pub struct Peers {
    running: BTreeMap<String, RunningPeer>,
    failed: BTreeMap<String, FailedPeer>,
    /// The BFD task, started with the first peer that wants BFD.
    bfd: Option<bfd::driver::Bfd>,
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

    /// Starts the peers among `wanted` that do not run yet, stops those that are no
    /// longer wanted (withdrawing their routes first) and restarts those whose session
    /// settings changed (a reloaded config). Returns the names started.
    pub async fn ensure(
        &mut self,
        speaker: &Speaker,
        config: &Config,
        router_id: RouterId,
        wanted: &[&PeerConfig],
    ) -> Vec<String> {
        let stale: Vec<(String, &str)> = self
            .running
            .iter()
            .filter_map(
                |(name, running)| match wanted.iter().find(|p| &p.name == name) {
                    None => Some((name.clone(), "peer deconfigured for this node")),
                    Some(p) if SessionInputs::of(config, p) != running.inputs => {
                        Some((name.clone(), "peer configuration changed"))
                    }
                    Some(_) => None,
                },
            )
            .collect();
        for (name, reason) in stale {
            if let Some(peer) = self.running.remove(&name) {
                if let Some(link) = &peer.bfd {
                    link.admin_down();
                }
                tracing::info!(peer = %name, reason, "stopping peer");
                peer.handle
                    .shutdown(
                        ShutdownMode::Withdraw {
                            drain: config.shutdown.drain,
                        },
                        reason,
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
            let settings = super::bgp_config::PeerSettings {
                config,
                peer,
                router_id,
            };
            let handle = speaker.add_peer(settings.into());
            match handle {
                Ok(handle) => {
                    self.failed.remove(&peer.name);
                    tracing::info!(peer = %peer.name, address = %peer.address, asn = %peer.asn, bfd = peer.bfd.enabled, "peer started");
                    let bfd = peer.bfd.enabled.then(|| {
                        let driver = self.bfd.get_or_insert_with(bfd::driver::Bfd::spawn);
                        super::bfd_link::BfdLink::start(driver, peer, handle.clone())
                    });
                    self.running.insert(
                        peer.name.clone(),
                        RunningPeer {
                            config: (*peer).clone(),
                            inputs: SessionInputs::of(config, peer),
                            handle,
                            bfd,
                        },
                    );
                    started.push(peer.name.clone());
                }
                // Retried at the next reconcile; one bad peer does not stop the others.
                // Logged when its error changes, not at every reconcile.
                Err(error) => {
                    let known = self
                        .failed
                        .get(&peer.name)
                        .is_some_and(|f| f.error.to_string() == error.to_string());
                    if !known {
                        tracing::error!(peer = %peer.name, %error, "peer not started");
                    }
                    self.failed.insert(
                        peer.name.clone(),
                        FailedPeer {
                            config: (*peer).clone(),
                            error: Arc::new(error),
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
                    PeerBatch::Initial(reconcile::routes_for_peer(
                        routes,
                        engine.route_count(),
                        name,
                    ))
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

    /// Hands each peer its batch; changes seen at `since` are timed to the socket.
    pub async fn send(
        &self,
        batches: Vec<(PeerHandle, PeerBatch)>,
        since: Option<std::time::Instant>,
    ) {
        for (handle, batch) in batches {
            match batch {
                PeerBatch::Initial(routes) => {
                    handle.replace(routes).await;
                    // That was its whole set: End-of-RIB may follow it, and only now, so a
                    // graceful restart helper never flushes routes still being decided.
                    handle.initial_set_complete().await;
                }
                PeerBatch::Changes(changes) => match since {
                    Some(since) => handle.update_since(changes, since).await,
                    None => handle.update(changes).await,
                },
            }
        }
    }

    /// Stops every peer as the shutdown config says, all at once.
    pub async fn shutdown(&mut self, mode: ShutdownMode, reason: &str) {
        let peers = std::mem::take(&mut self.running);
        for link in peers.values().filter_map(|p| p.bfd.as_ref()) {
            link.admin_down();
        }
        futures::future::join_all(
            peers
                .values()
                .map(|p| p.handle.shutdown(mode.clone(), reason)),
        )
        .await;
    }
}
