//! What a new config file changes for the running daemon (SPEC 3: the file is re-read
//! when it changes). Pure: the daemon applies the answer.

use super::{Config, PeerConfig};

/// How the running daemon takes a new, valid config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reload {
    /// Settings the running process cannot change; they take effect at the next start
    /// (the new file is still taken for everything else).
    pub needs_restart: Vec<&'static str>,
    /// `announce:` changed: every Service is decided again.
    pub announce_changed: bool,
}

/// Compares the running config with a new one.
pub fn reload(old: &Config, new: &Config) -> Reload {
    let mut needs_restart = Vec::new();
    if old.node_name != new.node_name {
        needs_restart.push("node_name");
    }
    if old.source != new.source {
        needs_restart.push("source");
    }
    if old.http_listen != new.http_listen {
        needs_restart.push("http.listen");
    }
    Reload {
        needs_restart,
        announce_changed: old.announce != new.announce,
    }
}

/// Everything a peer's BGP session is built from: when it differs between two configs,
/// the session is restarted; when it does not, the session is left alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInputs {
    peer: PeerConfig,
    local_asn: bgp::Asn,
    router_id: Option<bgp::RouterId>,
    graceful_restart_time: bgp::RestartTime,
    node_name: String,
}

impl SessionInputs {
    /// The inputs of `peer`'s session under `config`.
    pub fn of(config: &Config, peer: &PeerConfig) -> SessionInputs {
        SessionInputs {
            peer: peer.clone(),
            local_asn: config.local_asn,
            router_id: config.router_id,
            graceful_restart_time: config.graceful_restart_time,
            node_name: config.node_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
