//! `kube-anycast run`: sources feed the cluster state; on every change the decision is
//! recomputed and the differences go to the peers; SIGTERM withdraws and closes.

pub mod bgp_config;
pub mod events;
pub mod next_hop;
pub mod peers;
mod router_id;

use crate::cluster::ClusterState;
use crate::config::{Config, ShutdownModeConfig, SourceConfig};
use crate::decide::{self, Decision, Settings};
use crate::metrics::{self, Metrics};
use crate::reconcile;
use crate::source::{SharedCluster, kubernetes, manifests};
use crate::status::{Observed, ObservedPeer};
use anyhow::Context;
use bgp::driver::{ShutdownMode, Speaker};
use events::{EventSink, ProblemMemory};
use peers::Peers;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

/// How often the manifests source looks for changed files.
const MANIFEST_POLL: Duration = Duration::from_millis(200);
/// The BGP port we listen on when a peer is passive.
const BGP_PORT: u16 = 179;

/// Runs until SIGTERM or SIGINT, then shuts the sessions down as configured.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let router_id = router_id::choose(&config)?;
    tracing::info!(node = %config.node_name, asn = %config.local_asn, %router_id, peers = config.peers.len(), "starting");
    let shared = Arc::new(SharedCluster::default());
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
            tokio::spawn(manifests::run(
                paths.clone(),
                config.node_name.clone(),
                shared.clone(),
                MANIFEST_POLL,
            ));
            EventSink::LogOnly
        }
    };
    let (report_tx, report_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(report_problems(sink, report_rx));

    let observed = Arc::new(Observed {
        node: config.node_name.clone(),
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
    let speaker = Speaker::bind(listen)
        .await
        .context("cannot listen for BGP on port 179")?;

    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut versions = shared.subscribe();
    let mut reconciler = Reconciler::new(&config, router_id);
    loop {
        tokio::select! {
            changed = versions.changed() => if changed.is_err() { break },
            _ = sigterm.recv() => { tracing::info!("SIGTERM received"); break }
            _ = sigint.recv() => { tracing::info!("SIGINT received"); break }
        }
        let version = *versions.borrow_and_update();
        if !version.synced {
            continue; // SPEC 4.7: decide nothing before every source has synced once.
        }
        observed
            .synced
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let decision = reconciler.decide(&shared);
        reconciler.apply(&speaker, &decision).await;
        if let Some(at) = version.changed_at {
            metrics.event_to_wire.observe(at.elapsed().as_secs_f64());
        }
        metrics.reconciles.inc();
        metrics
            .routes_announced
            .set(i64::try_from(decision.routes.len()).unwrap_or(i64::MAX));
        observed.set_decision(&decision);
        update_refused_metric(&metrics, &decision);
        *observed.peers.lock().unwrap_or_else(|p| p.into_inner()) = reconciler
            .peers
            .running()
            .values()
            .map(|p| ObservedPeer {
                name: p.config.name.clone(),
                address: SocketAddr::new(p.config.address, p.config.port),
                asn: p.config.asn.0,
                handle: p.handle.clone(),
            })
            .collect();
        let news = reconciler.problems.news(&decision.problems);
        if !news.is_empty() {
            let _ = report_tx.send(news);
        }
    }
    let mode = match config.shutdown.mode {
        ShutdownModeConfig::Withdraw => ShutdownMode::Withdraw {
            drain: config.shutdown.drain,
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

/// Publishes problem reports off the reconcile path: a slow API server must not delay
/// a withdraw.
async fn report_problems(
    sink: EventSink,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Vec<crate::decide::ServiceProblem>>,
) {
    while let Some(problems) = rx.recv().await {
        sink.report(problems).await;
    }
}

fn update_refused_metric(metrics: &Metrics, decision: &Decision) {
    // Every reason is exported, zero included, so a dashboard can tell "none" from "unknown".
    let mut counts: BTreeMap<&'static str, usize> = decide::reason::REFUSAL_CODES
        .into_iter()
        .map(|c| (c, 0))
        .collect();
    counts.extend(decision.refusal_counts());
    for (code, n) in counts {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        metrics
            .refused_external_ips
            .get_or_create(&vec![("reason".to_string(), code.to_string())])
            .set(n);
    }
}

/// The decision loop's memory between changes.
struct Reconciler<'a> {
    config: &'a Config,
    router_id: bgp::RouterId,
    peer_names: BTreeSet<String>,
    last_good: HashMap<crate::cluster::ObjectKey, crate::annotations::ServiceAnnotations>,
    previous_routes: BTreeMap<ipnet::IpNet, decide::Route>,
    node_labels: BTreeMap<String, String>,
    peers: Peers,
    problems: ProblemMemory,
}

impl<'a> Reconciler<'a> {
    fn new(config: &'a Config, router_id: bgp::RouterId) -> Self {
        Reconciler {
            config,
            router_id,
            peer_names: config.peers.iter().map(|p| p.name.clone()).collect(),
            last_good: HashMap::new(),
            previous_routes: BTreeMap::new(),
            node_labels: BTreeMap::new(),
            peers: Peers::default(),
            problems: ProblemMemory::default(),
        }
    }

    fn decide(&mut self, shared: &SharedCluster) -> Decision {
        let settings = Settings {
            node_name: &self.config.node_name,
            announce: &self.config.announce,
            peer_names: &self.peer_names,
        };
        let mut decision =
            shared.read(|cluster| decide::decide(cluster, settings, &self.last_good));
        self.last_good = std::mem::take(&mut decision.last_good);
        let labels = shared.read(node_labels);
        self.log_route_changes(&decision);
        decision.last_good = HashMap::new();
        self.node_labels = labels;
        decision
    }

    /// One log line per route announced or withdrawn, with why.
    fn log_route_changes(&mut self, decision: &Decision) {
        for (prefix, route) in &decision.routes {
            if !self.previous_routes.contains_key(prefix) {
                let services: Vec<String> =
                    route.services.iter().map(ToString::to_string).collect();
                tracing::info!(%prefix, services = %services.join(","), "announce");
            }
        }
        for prefix in self.previous_routes.keys() {
            if !decision.routes.contains_key(prefix) {
                let why = decision
                    .verdicts
                    .iter()
                    .find(|v| v.external_ip.parse::<IpAddr>().ok() == Some(prefix.addr()))
                    .map(|v| v.verdict.to_string())
                    .unwrap_or_else(|| "no Service has this externalIP any more".into());
                tracing::info!(%prefix, reason = %why, "withdraw");
            }
        }
        self.previous_routes = decision.routes.clone();
    }

    async fn apply(&mut self, speaker: &Speaker, decision: &Decision) {
        let wanted: Vec<&crate::config::PeerConfig> = self
            .config
            .peers
            .iter()
            .filter(|p| reconcile::peer_selected(p, &self.node_labels))
            .collect();
        self.peers
            .ensure(speaker, self.config, self.router_id, &wanted)
            .await;
        let per_peer =
            reconcile::routes_per_peer(decision, self.peers.running().keys().map(String::as_str));
        self.peers.apply(per_peer).await;
    }
}

fn node_labels(cluster: &ClusterState) -> BTreeMap<String, String> {
    cluster
        .node
        .as_ref()
        .and_then(|n| n.metadata.labels.clone())
        .unwrap_or_default()
}
