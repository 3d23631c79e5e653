//! Prometheus metrics (`/metrics`). Per-peer values are read from the BGP driver at scrape
//! time by a collector, so they can never drift from what `/status` shows; the
//! reconciler's own measurements are ordinary metrics it updates.

use crate::readiness::{STATES, state_name};
use crate::status::{Observed, PeerRun};
use bgp::driver::PeerCounters;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Metrics the reconciler updates.
#[derive(Debug)]
pub struct Metrics {
    /// Seconds from a cluster change being seen to its route changes handed to every peer.
    pub event_to_wire: Histogram,
    /// Routes this node announces.
    pub routes_announced: Gauge,
    /// Refused externalIPs by reason (current count).
    pub refused_external_ips: Family<Vec<(String, String)>, Gauge>,
    /// 1 for the reason this node withdraws every address, 0 for the others.
    pub node_withdrawn: Family<Vec<(String, String)>, Gauge>,
    /// Decisions computed.
    pub reconciles: Counter,
    /// Config file reloads by result (`applied`, `refused`).
    pub config_reloads: Family<Vec<(String, String)>, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            // 100 µs .. ~3 s: a withdraw should reach the socket in well under a millisecond.
            event_to_wire: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.0001, 2.0, 16),
            ),
            routes_announced: Gauge::default(),
            refused_external_ips: Family::default(),
            node_withdrawn: Family::default(),
            reconciles: Counter::default(),
            config_reloads: Family::default(),
        }
    }
}

/// Builds the registry with every metric, names prefixed `kube_anycast_`.
pub fn registry(metrics: &Arc<Metrics>, observed: &Arc<Observed>) -> Registry {
    let mut registry = Registry::with_prefix("kube_anycast");
    // One row per reconciler metric: its field, then its name and help text in `/metrics`.
    macro_rules! register {
        ($($field:ident: $name:literal, $help:literal;)+) => {
            $(registry.register($name, $help, metrics.$field.clone());)+
        };
    }
    register! {
        event_to_wire: "event_to_wire_seconds", "Time from a cluster change being seen to the UPDATEs carrying it being written to a peer's socket (one observation per peer and change; announcements include their coalescing delay)";
        routes_announced: "routes_announced", "Host routes this node announces";
        refused_external_ips: "refused_external_ips", "externalIPs refused, by reason (outside_allowed_cidrs, special_range, invalid_ip, outside_pools, pool_not_for_namespace)";
        node_withdrawn: "node_withdrawn", "1 for the reason this node withdraws every route (node_excluded, node_network_unavailable, node_deleting, node_to_be_deleted)";
        reconciles: "reconciles", "Decisions computed";
        config_reloads: "config_reloads", "Config file changes seen, by result: applied, or refused (the running config stays)";
    }
    registry.register_collector(Box::new(PeerCollector {
        observed: observed.clone(),
    }));
    registry
}

/// Reads per-peer values from the driver at scrape time.
#[derive(Debug)]
struct PeerCollector {
    observed: Arc<Observed>,
}

impl Collector for PeerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let peers = self
            .observed
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let statuses: Vec<_> = peers
            .iter()
            .filter_map(|p| match &p.run {
                PeerRun::Running(handle) => Some((p.name.clone(), handle.status())),
                PeerRun::StartFailed(_) => None,
            })
            .collect();

        let mut m = encoder.encode_descriptor(
            "peer_session_state",
            "1 for the session's current FSM state (all 0 for a peer that failed to start)",
            None,
            MetricType::Gauge,
        )?;
        for peer in &peers {
            let current = match &peer.run {
                PeerRun::Running(_) => statuses
                    .iter()
                    .find(|(name, _)| *name == peer.name)
                    .map(|(_, s)| state_name(s.state)),
                PeerRun::StartFailed(_) => None,
            };
            let states = STATES.map(state_name);
            encode_one_hot(&mut m, &peer.name, &states, current)?;
        }
        let mut m = encoder.encode_descriptor(
            "peer_start_failed",
            "1 when the peer is configured for this node but could not be started (see /status for why)",
            None,
            MetricType::Gauge,
        )?;
        for peer in &peers {
            let failed = matches!(peer.run, PeerRun::StartFailed(_));
            ConstGauge::new(i64::from(failed))
                .encode(m.encode_family(&[("peer", peer.name.as_str())])?)?;
        }
        let mut m = encoder.encode_descriptor(
            "peer_prefixes_announced",
            "Prefixes the router currently has from us",
            None,
            MetricType::Gauge,
        )?;
        for (peer, s) in &statuses {
            let prefixes = i64::try_from(s.prefixes_sent).unwrap_or(i64::MAX);
            ConstGauge::new(prefixes).encode(m.encode_family(&[("peer", peer.as_str())])?)?;
        }
        for counter in PeerCounter::ALL {
            let (name, help) = counter.descriptor();
            let mut m = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (peer, s) in &statuses {
                ConstCounter::new(counter.value(&s.counters))
                    .encode(m.encode_family(&[("peer", peer.as_str())])?)?;
            }
        }
        let bfd: Vec<(&str, bfd::driver::Status)> = peers
            .iter()
            .filter_map(|p| {
                p.bfd
                    .as_ref()
                    .map(|rx| (p.name.as_str(), rx.borrow().clone()))
            })
            .collect();
        crate::bfd_status::encode_metrics(&mut encoder, &bfd)
    }
}

/// Encodes one peer's samples of a state gauge: 1 for `current`, 0 for the other
/// `states`, so a query can select the state as a label.
pub(crate) fn encode_one_hot(
    m: &mut MetricEncoder<'_>,
    peer: &str,
    states: &[&str],
    current: Option<&str>,
) -> Result<(), std::fmt::Error> {
    for &state in states {
        let labels = [("peer", peer), ("state", state)];
        ConstGauge::new(i64::from(current == Some(state))).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

/// The per-peer counters the driver keeps, read from its status at scrape time.
#[derive(Clone, Copy)]
enum PeerCounter {
    UpdatesSent,
    UpdatesReceived,
    NotificationsSent,
    NotificationsReceived,
    MessagesSent,
    MessagesReceived,
    Flaps,
}

impl PeerCounter {
    /// In `/metrics` order.
    const ALL: [PeerCounter; 7] = [
        PeerCounter::UpdatesSent,
        PeerCounter::UpdatesReceived,
        PeerCounter::NotificationsSent,
        PeerCounter::NotificationsReceived,
        PeerCounter::MessagesSent,
        PeerCounter::MessagesReceived,
        PeerCounter::Flaps,
    ];

    /// The metric's name and help.
    fn descriptor(self) -> (&'static str, &'static str) {
        match self {
            PeerCounter::UpdatesSent => ("peer_updates_sent", "UPDATE messages sent"),
            PeerCounter::UpdatesReceived => (
                "peer_updates_received",
                "UPDATE messages received (counted, never installed)",
            ),
            PeerCounter::NotificationsSent => {
                ("peer_notifications_sent", "NOTIFICATION messages sent")
            }
            PeerCounter::NotificationsReceived => (
                "peer_notifications_received",
                "NOTIFICATION messages received",
            ),
            PeerCounter::MessagesSent => ("peer_messages_sent", "BGP messages sent"),
            PeerCounter::MessagesReceived => ("peer_messages_received", "BGP messages received"),
            PeerCounter::Flaps => ("peer_session_flaps", "Times the session left Established"),
        }
    }

    fn value(self, counters: &PeerCounters) -> u64 {
        match self {
            PeerCounter::UpdatesSent => counters.updates_sent,
            PeerCounter::UpdatesReceived => counters.updates_received,
            PeerCounter::NotificationsSent => counters.notifications_sent,
            PeerCounter::NotificationsReceived => counters.notifications_received,
            PeerCounter::MessagesSent => counters.messages_sent,
            PeerCounter::MessagesReceived => counters.messages_received,
            PeerCounter::Flaps => counters.flaps,
        }
    }
}

/// The registry in Prometheus text form.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, registry).is_err() {
        out.clear();
    }
    out
}
