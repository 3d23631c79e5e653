//! What runs on a node: the speaker (`kube-anycast run`) and, standing in for kube-proxy
//! with `externalTrafficPolicy: Local`, one responder per family for each Service the
//! node has an endpoint of (`testbed/responder.py`, answering the node's name on port 80
//! of the externalIP).

use super::plan::{Node, POOL_V4, POOL_V6, SPEAKER_HTTP, Service, TOR_ASN, TOR_V4};
use super::settings::Bfd;
use super::wait::poll;
use super::{Lab, LabError};
use std::time::Duration;

/// The process name of a node's speaker.
pub fn speaker_name(node: Node) -> String {
    format!("speaker-{}", node.name())
}

/// The process names of a node's responders of one Service (IPv4, IPv6).
pub fn responder_names(node: Node, service: &Service) -> [String; 2] {
    [
        format!("http-{}-{}", node.name(), service.name),
        format!("http6-{}-{}", node.name(), service.name),
    ]
}

/// The speaker's config file. Pure.
pub fn speaker_config(
    node: Node,
    cluster: &str,
    hold_time: u16,
    drain: &str,
    bfd: Option<Bfd>,
) -> String {
    let (bfd_on, ms, mult) = match bfd {
        Some(b) => (true, b.interval_ms, b.multiplier),
        None => (false, 300, 3),
    };
    format!(
        "node_name: {name}
local_asn: {asn}
router_id: {id}
source:
  manifests: [{cluster}]
announce:
  allowed_cidrs: [{POOL_V4}, \"{POOL_V6}\"]
peers:
  - name: tor
    address: {TOR_V4}
    asn: {TOR_ASN}
    hold_time: {hold_time}s
    connect_retry: 1s
    # IPv6 routes over the IPv4 session; their next hop is the node's address on eth0.
    families: [ipv4, ipv6]
    bfd: {{enabled: {bfd_on}, min_tx: {ms}ms, min_rx: {ms}ms, multiplier: {mult}}}
# A dead node's routes must leave the ToR at once, not stay as stale graceful-restart routes.
graceful_restart:
  restart_time: 0s
shutdown:
  mode: withdraw
  drain: {drain}
http:
  listen: {SPEAKER_HTTP}
",
        name = node.name(),
        asn = node.asn(),
        id = node.v4(),
    )
}

/// Writes the node's config and starts its speaker.
pub fn start_speaker(lab: &Lab, node: Node) -> Result<(), LabError> {
    let dir = lab.path(&node.name());
    std::fs::create_dir_all(&dir)
        .map_err(|e| LabError::Failed(format!("{}: {e}", dir.display())))?;
    let config = dir.join("config.yaml");
    let text = speaker_config(
        node,
        &lab.path("cluster.yaml").display().to_string(),
        lab.settings.hold_time,
        &lab.settings.drain,
        lab.bfd(),
    );
    std::fs::write(&config, text)
        .map_err(|e| LabError::Failed(format!("{}: {e}", config.display())))?;
    let rust_log = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string());
    lab.start(
        &speaker_name(node),
        &lab.names.node(node),
        &lab.settings.binary.display().to_string(),
        &["run", "--config", &config.display().to_string()],
        &[("RUST_LOG", &rust_log), ("NO_COLOR", "1")],
    )?;
    Ok(())
}

/// Starts the node's responders of `service` that do not run yet.
pub fn start_responders(lab: &Lab, node: Node, service: &Service) -> Result<(), LabError> {
    let script = lab.settings.root.join("testbed/responder.py");
    let script = script.display().to_string();
    let pids = lab.pids();
    for (name, ipv6) in responder_names(node, service).iter().zip([false, true]) {
        if pids.live(name).is_none() {
            let address = service.address(ipv6).to_string();
            lab.start(
                name,
                &lab.names.node(node),
                "python3",
                &[&script, &address, "80", &node.name()],
                &[],
            )?;
        }
    }
    Ok(())
}

/// Stops the node's responders of `service`.
pub fn stop_responders(lab: &Lab, node: Node, service: &Service) {
    lab.pids().stop(&responder_names(node, service));
}

/// Waits until both responders of `service` on `node` accept connections (Python starts
/// slowly); only warns after 10 s.
pub fn wait_responders(lab: &Lab, node: Node, service: &Service) {
    let filter = format!(
        "( src {} or src [{}] ) and sport = :80",
        service.v4, service.v6
    );
    let ns = lab.names.node(node);
    let listening = || {
        lab.run_in(&ns, "ss", &["-Hltn", &filter])
            .is_ok_and(|out| out.lines().count() == 2)
    };
    if !poll(Duration::from_secs(10), listening) {
        eprintln!(
            "lab: warning: the responder of {} on {} does not listen (see {})",
            service.name,
            node.name(),
            lab.path("logs").display()
        );
    }
}

#[cfg(test)]
mod tests;
