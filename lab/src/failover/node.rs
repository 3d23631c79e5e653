//! One node of the failover rack: the real kube-anycast binary in the node's namespace,
//! announcing the externalIP to the ToR, with BFD on its peer in a BFD mode; read back
//! through its `/status`.

use super::mode::{HOLD_TIME, Mode};
use crate::process::{Daemon, run};
use crate::rack::TOR_ASN;
use serde_json::Value;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// Where each node's daemon serves `/status`, inside its own namespace.
const HTTP: &str = "127.0.0.1:9179";

/// Node `n`'s (1-based) config: the manifests source, hold time [`HOLD_TIME`], connect
/// retry 1 s, no graceful restart (a dead node's routes must leave the ToR, not stay as
/// stale routes), and BFD with the mode's timers (or off).
pub fn config(
    n: u32,
    address: Ipv4Addr,
    gateway: Ipv4Addr,
    manifests: &Path,
    mode: Mode,
) -> String {
    let bfd = match mode.timers() {
        Some(t) => format!(
            "{{enabled: true, min_tx: {}ms, min_rx: {}ms, multiplier: {}}}",
            t.tx_ms, t.rx_ms, t.multiplier
        ),
        None => "{enabled: false}".to_string(),
    };
    let mut c = String::new();
    let _ = writeln!(c, "node_name: node{n}");
    let _ = writeln!(c, "local_asn: {}", TOR_ASN + n);
    let _ = writeln!(c, "router_id: {address}");
    let _ = writeln!(c, "source: {{manifests: [\"{}\"]}}", manifests.display());
    let _ = writeln!(c, "announce: {{allowed_cidrs: [203.0.113.0/24]}}");
    let _ = writeln!(c, "graceful_restart: {{restart_time: 0s}}");
    let _ = writeln!(c, "peers:");
    let _ = writeln!(
        c,
        "  - {{name: tor, address: {gateway}, asn: {TOR_ASN}, hold_time: {}s, connect_retry: 1s, families: [ipv4], bfd: {bfd}}}",
        HOLD_TIME.as_secs()
    );
    let _ = writeln!(c, "http: {{listen: \"{HTTP}\"}}");
    c
}

/// Our BFD session as `/status` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OurBfd {
    /// `up`, `down`, `init`, `admin_down`.
    pub state: String,
    /// State changes since the daemon started.
    pub transitions: u64,
}

/// The BFD session of the first peer in a `/status` document.
pub fn parse_our_bfd(status: &Value) -> Result<OurBfd, String> {
    let bfd = status
        .pointer("/peers/0/bfd")
        .filter(|b| !b.is_null())
        .ok_or("no BFD session in /status")?;
    Ok(OurBfd {
        state: bfd["state"].as_str().unwrap_or("?").to_string(),
        transitions: bfd["transitions"].as_u64().unwrap_or(0),
    })
}

/// A running node.
pub struct Node {
    /// Its namespace.
    pub ns: String,
    dir: PathBuf,
    daemon: Daemon,
}

impl Node {
    /// Starts `binary run` in `ns` with `config`, its files in `dir`.
    pub fn start(binary: &Path, ns: &str, config: &str, dir: PathBuf) -> Node {
        let conf = dir.join("config.yaml");
        std::fs::write(&conf, config).expect("lab setup: write the node's config");
        let (conf, bin) = (conf.display().to_string(), binary.display().to_string());
        // `env` and `ip netns exec` exec in place: the recorded pid is the daemon's.
        let daemon = Daemon::spawn_in(
            ns,
            "kube-anycast",
            &dir.join("kube-anycast.log"),
            "env",
            &[
                "RUST_LOG=info,kube=warn",
                "NO_COLOR=1",
                &bin,
                "run",
                "--config",
                &conf,
            ],
        );
        Node {
            ns: ns.to_string(),
            dir,
            daemon,
        }
    }

    /// The daemon's pid.
    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }

    /// The daemon's `/status`, fetched inside its namespace.
    pub fn status(&self) -> Result<Value, String> {
        let url = format!("http://{HTTP}/status");
        let body = run(
            "ip",
            &[
                "netns",
                "exec",
                &self.ns,
                "curl",
                "-sf",
                "--max-time",
                "2",
                &url,
            ],
        )?;
        serde_json::from_str(&body).map_err(|e| format!("/status: bad JSON ({e}): {body}"))
    }

    /// Our BFD session to the ToR.
    pub fn bfd(&self) -> Result<OurBfd, String> {
        parse_our_bfd(&self.status()?)
    }

    /// The end of the daemon's log.
    pub fn log_tail(&self) -> String {
        crate::tail(&self.dir.join("kube-anycast.log"), 20)
    }
}

#[cfg(test)]
mod tests;
