//! `kube-anycast run`: sources feed the cluster state; on every change the decision is
//! recomputed and the differences go to the peers; SIGTERM withdraws and closes.

pub mod bfd_link;
pub mod bgp_config;
pub mod early_withdrawals;
pub mod kube_events;
pub mod peers;
mod reload;
mod route_log;
mod router_id;
pub mod weight_hold;

use crate::cluster::ClusterState;
use crate::config::{Config, ShutdownModeConfig, SourceConfig};
use crate::decide::incremental::Incremental;
use crate::decide::{self, Settings};
use crate::metrics::{self, Metrics};
use crate::reconcile;
use crate::source::{SharedCluster, kubernetes, manifest_source};
use crate::status::{Observed, ObservedPeer, PeerRun};
use anyhow::Context;
use bgp::driver::{ShutdownMode, Speaker};
use early_withdrawals::EarlyWithdrawals;
use ipnet::IpNet;
use kube_events::{EventSink, ProblemMemory};
use peers::Peers;
use route_log::{WithdrawnEarly, log_route_changes};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::signal::unix::{SignalKind, signal};

/// The BGP port we listen on when a peer is passive.
const BGP_PORT: u16 = 179;

/// Runs until SIGTERM or SIGINT, then shuts the sessions down as configured.
///
/// `config_path`, when given, is watched: a changed file is validated and applied without
/// a restart (peers reconciled, announce settings re-decided), a bad one refused.
pub async fn run(config: Config, config_path: Option<PathBuf>) -> anyhow::Result<()> {
    let router_id = router_id::choose(&config)?;
    tracing::info!(node = %config.node_name, asn = %config.local_asn, %router_id, peers = config.peers.len(), "starting");
    let shared = Arc::new(SharedCluster::default());
    // Before any source runs; and `subscribe` marks the current version unseen, so the
    // loop below decides at once even when the source has already synced.
    let mut versions = shared.subscribe();
    let sink = match &config.source {
        SourceConfig::Kubernetes => {
            let client = kubernetes::client().await.context("Kubernetes client")?;
            tokio::spawn(kubernetes::run(
                client.clone(),
                config.node_name.clone(),
                shared.clone(),
            ));
            EventSink::kubernetes(client, &config.node_name)
        }
        SourceConfig::Manifests(paths) => {
            tokio::spawn(manifest_source::run(
                paths.clone(),
                config.node_name.clone(),
                shared.clone(),
            ));
            EventSink::LogOnly
        }
    };
    let (report_tx, report_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(report_problems(sink, report_rx));

    let observed = Arc::new(Observed {
        node: config.node_name.clone(),
        ready_when: config.ready_when,
        ..Observed::default()
    });
    let metrics = Arc::new(Metrics::default());
    let registry = metrics::registry(&metrics, &observed);
    let http = tokio::net::TcpListener::bind(config.http_listen)
        .await
        .with_context(|| format!("http.listen: cannot listen on {}", config.http_listen))?;
    tokio::spawn(crate::http::serve(http, observed.clone(), registry));

    // A listening socket is needed only for passive peers; active ones connect out, and
    // not binding port 179 leaves it to any other BGP daemon on the host.
    let listen = config
        .peers
        .iter()
        .any(|p| p.passive)
        .then_some(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), BGP_PORT));
    let mut speaker = Speaker::bind(listen)
        .await
        .context("cannot listen for BGP on port 179")?;
    let histogram = metrics.event_to_wire.clone();
    speaker.observe_writes(bgp::driver::WriteObserver(Arc::new(move |latency| {
        histogram.observe(latency.as_secs_f64())
    })));

    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut reloads = match config_path {
        Some(path) => reload::watch(path),
        None => tokio::sync::mpsc::unbounded_channel().1,
    };
    let mut reconciler = Reconciler::new(config, router_id, observed.clone());
    update_withdrawn_metric(&metrics, None);
    loop {
        let release_at = observed
            .weight_hold
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_release();
        tokio::select! {
            changed = versions.changed() => if changed.is_err() { break },
            Some(reloaded) = reloads.recv() => {
                if let Err(problems) = &reloaded {
                    let _ = report_tx.send(Outgoing::Node(kube_events::NodeReport {
                        subject: reconciler.config.node_name.clone(),
                        uid: shared.read(|c| c.node().and_then(|n| n.uid.as_deref().map(String::from))),
                        code: "config_refused",
                        note: format!(
                            "new config file refused, the running config stays: {}",
                            problems.join("; ")
                        ),
                    }));
                }
                let outcome = reload::apply(&mut reconciler.config, reloaded);
                metrics
                    .config_reloads
                    .get_or_create(&vec![("result".to_string(), outcome.label().to_string())])
                    .inc();
                if let reload::Outcome::Applied { announce_changed } = outcome {
                    reconciler.peer_names =
                        reconciler.config.peers.iter().map(|p| p.name.clone()).collect();
                    // Wakes this loop through the version, which decides and reconciles
                    // the peers the same way a cluster change does.
                    shared.update(|c| {
                        if announce_changed {
                            c.mark_all_dirty();
                        }
                    });
                }
                continue;
            }
            _ = sigterm.recv() => { tracing::info!("SIGTERM received"); break }
            _ = sigint.recv() => { tracing::info!("SIGINT received"); break }
            // A held weight decrease is due (weight_hold): send the decided routes.
            _ = sleep_until_some(release_at) => {
                let due = observed
                    .weight_hold
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .release(std::time::Instant::now());
                tracing::info!(routes = due.len(), "weight decreases sent after their hold");
                reconciler.apply(&speaker, &due, None).await;
                continue;
            }
        }
        let version = *versions.borrow_and_update();
        if !version.synced {
            continue; // SPEC 4.7: decide nothing before every source has synced once.
        }
        observed
            .synced
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let (early, decided) = reconciler.decide(&shared, version.changed_at);
        early.finish().await;
        reconciler
            .apply(&speaker, &decided.unsent, version.changed_at)
            .await;
        // Bookkeeping after the routes are on their way: off the latency path.
        let mut engine = observed.decision.lock().unwrap_or_else(|p| p.into_inner());
        log_route_changes(&engine, &decided.changed, decided.unlisted_withdrawals);
        metrics.reconciles.inc();
        metrics
            .routes_announced
            .set(i64::try_from(engine.route_count()).unwrap_or(i64::MAX));
        update_refused_metric(&metrics, &engine);
        let withdrawn = engine.node_withdraws_all();
        if withdrawn != reconciler.withdrawn {
            match &withdrawn {
                Some(reason) => tracing::warn!(
                    code = reason.code(),
                    "this node withdraws every route: {reason}"
                ),
                None => tracing::info!("this node may announce again"),
            }
            update_withdrawn_metric(&metrics, withdrawn.as_ref());
            reconciler.withdrawn = withdrawn;
        }
        let problems = engine.take_problems_changed().then(|| engine.problems());
        drop(engine);
        *observed.peers.lock().unwrap_or_else(|p| p.into_inner()) =
            observed_peers(&reconciler.peers);
        if let Some(problems) = problems {
            let memory = &mut reconciler.problems;
            let news = shared.read(|cluster| {
                memory.news(&problems, |key| {
                    let service = cluster.services().get(key)?;
                    service.uid.as_deref().map(String::from)
                })
            });
            if !news.is_empty() {
                let _ = report_tx.send(Outgoing::Services(news));
            }
        }
    }
    let shutdown = &reconciler.config.shutdown;
    let mode = match shutdown.mode {
        ShutdownModeConfig::Withdraw => ShutdownMode::Withdraw {
            drain: shutdown.drain,
        },
        ShutdownModeConfig::GracefulRestart => ShutdownMode::KeepRoutes,
    };
    reconciler
        .peers
        .shutdown(mode, "kube-anycast on this node is shutting down")
        .await;
    tracing::info!("stopped");
    Ok(())
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<std::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Publishes problem reports off the reconcile path: a slow API server must not delay
/// a withdraw.
async fn report_problems(
    mut sink: EventSink,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some(outgoing) = rx.recv().await {
        match outgoing {
            Outgoing::Services(problems) => sink.report(problems).await,
            Outgoing::Node(report) => sink.report_node(report).await,
        }
    }
}

/// What the Event writer is handed.
enum Outgoing {
    /// Problems of Services.
    Services(Vec<kube_events::Report>),
    /// A problem of this node's speaker (a refused config file).
    Node(kube_events::NodeReport),
}

fn update_refused_metric(metrics: &Metrics, engine: &Incremental) {
    // Every reason is exported, zero included, so a dashboard can tell "none" from "unknown".
    for code in decide::reason::REFUSAL_CODES {
        let n = engine.refused().get(code).copied().unwrap_or(0);
        metrics
            .refused_external_ips
            .get_or_create(&vec![("reason".to_string(), code.to_string())])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}

fn update_withdrawn_metric(metrics: &Metrics, reason: Option<&decide::reason::Reason>) {
    for code in decide::reason::NODE_WITHDRAW_CODES {
        metrics
            .node_withdrawn
            .get_or_create(&vec![("reason".to_string(), code.to_string())])
            .set(i64::from(reason.is_some_and(|r| r.code() == code)));
    }
}

/// The decision loop's memory between changes (the decision itself is in
/// [`Observed::decision`], where `/status` reads it).
struct Reconciler {
    config: Config,
    router_id: bgp::RouterId,
    peer_names: BTreeSet<String>,
    observed: Arc<Observed>,
    node_labels: BTreeMap<String, String>,
    peers: Peers,
    problems: ProblemMemory,
    /// Why every route is withdrawn, as last logged.
    withdrawn: Option<decide::reason::Reason>,
}

impl Reconciler {
    fn new(config: Config, router_id: bgp::RouterId, observed: Arc<Observed>) -> Self {
        Reconciler {
            peer_names: config.peers.iter().map(|p| p.name.clone()).collect(),
            config,
            router_id,
            observed,
            node_labels: BTreeMap::new(),
            peers: Peers::default(),
            problems: ProblemMemory::default(),
            withdrawn: None,
        }
    }

    /// Brings the decision up to date. Withdrawals that are final early are handed to
    /// the running peers while it runs (`since` is when the change was seen); what they
    /// could not take yet is returned with the decision, to be finished first.
    fn decide(
        &mut self,
        shared: &SharedCluster,
        since: Option<std::time::Instant>,
    ) -> (EarlyWithdrawals, Decided) {
        let settings = Settings {
            node_name: &self.config.node_name,
            local_asn: self.config.local_asn,
            announce: &self.config.announce,
            peer_names: &self.peer_names,
        };
        let mut engine = self
            .observed
            .decision
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut early = EarlyWithdrawals::new(
            self.peers.running().values().map(|p| p.handle.clone()),
            since,
        );
        let mut withdrawn_early = WithdrawnEarly::new(tracing::enabled!(tracing::Level::DEBUG));
        let (unsent, labels) = shared.take_in(|cluster| {
            let dirty = cluster.take_dirty();
            let unsent = engine.update_streaming(cluster, dirty, settings, &mut |withdrawn| {
                early.hand_over(withdrawn);
                withdrawn_early.add(withdrawn);
            });
            (unsent, node_labels(cluster))
        });
        self.node_labels = labels;
        self.observed
            .weight_hold
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(std::time::Instant::now(), &engine.take_replaced(), |p| {
                engine.route(p)
            });
        let (mut changed, unlisted_withdrawals) = withdrawn_early.into_parts();
        changed.extend_from_slice(&unsent);
        let decided = Decided {
            changed,
            unlisted_withdrawals,
            unsent,
        };
        (early, decided)
    }

    /// Brings the peers up to date; `since` is when the change was seen, for the
    /// event-to-wire latency the driver reports once the UPDATEs are written.
    async fn apply(
        &mut self,
        speaker: &Speaker,
        changed: &[IpNet],
        since: Option<std::time::Instant>,
    ) {
        let wanted: Vec<&crate::config::PeerConfig> = self
            .config
            .peers
            .iter()
            .filter(|p| reconcile::peer_selected(p, &self.node_labels))
            .collect();
        let fresh = self
            .peers
            .ensure(speaker, &self.config, self.router_id, &wanted)
            .await;
        // The changes are computed under the lock and sent after it is released: a peer
        // whose queue is full must not hold up `/status`.
        let batches = {
            let engine = self
                .observed
                .decision
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let hold = self
                .observed
                .weight_hold
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            self.peers.changes(&engine, &hold, changed, &fresh)
        };
        self.peers.send(batches, since).await;
    }
}

/// The addresses one decision changed.
struct Decided {
    /// All of them, but the withdrawals counted in `unlisted_withdrawals`.
    changed: Vec<IpNet>,
    /// Withdrawals handed to the peers while the decision ran and only counted (see
    /// [`WithdrawnEarly`]).
    unlisted_withdrawals: usize,
    /// Those not handed to the peers while the decision ran.
    unsent: Vec<IpNet>,
}

/// Every peer wanted on this node, by name: a peer that failed to start is shown (and
/// counted as down) beside the running ones.
fn observed_peers(peers: &Peers) -> Vec<ObservedPeer> {
    let observe = |config: &crate::config::PeerConfig, run: PeerRun| ObservedPeer {
        name: config.name.clone(),
        address: SocketAddr::new(config.address, config.port),
        asn: config.asn.0,
        run,
        bfd: None,
    };
    let mut all: Vec<ObservedPeer> = peers
        .running()
        .values()
        .map(|p| ObservedPeer {
            bfd: p.bfd.as_ref().map(|link| link.watch()),
            ..observe(&p.config, PeerRun::Running(p.handle.clone()))
        })
        .chain(
            peers
                .failed()
                .values()
                .map(|p| observe(&p.config, PeerRun::StartFailed(p.error.clone()))),
        )
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

fn node_labels(cluster: &ClusterState) -> BTreeMap<String, String> {
    cluster.node().map(|n| n.labels.clone()).unwrap_or_default()
}
