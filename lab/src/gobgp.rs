//! GoBGP inside a namespace. gobgpd does not daemonize, so it runs as a child whose pid is
//! recorded; its gRPC API listens on 127.0.0.1:50051 inside the namespace, so each
//! namespace has its own and the `gobgp` client must run there too.

use crate::process::{Daemon, run};
use crate::rib::Rib;
use crate::{CONVERGE, lab_dir, wait_until};
use ipnet::IpNet;
use serde_json::Value;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// One neighbor, with IPv4 and IPv6 unicast enabled.
#[derive(Clone, Debug)]
pub struct GobgpNeighbor {
    /// The peer's address.
    pub address: IpAddr,
    /// The peer's ASN.
    pub remote_as: u32,
    /// TCP-MD5 password.
    pub password: Option<String>,
}

/// What gobgpd is told.
#[derive(Clone, Debug)]
pub struct GobgpConfig {
    /// Local ASN.
    pub asn: u32,
    /// Router ID.
    pub router_id: Ipv4Addr,
    /// Peers.
    pub neighbors: Vec<GobgpNeighbor>,
    /// Start every neighbor administratively down (`admin-down`) until `gobgp neighbor X
    /// enable`: routes loaded meanwhile then go out packed when the session comes up,
    /// instead of one UPDATE per route as they arrive.
    pub start_disabled: bool,
}

impl GobgpConfig {
    /// The TOML configuration.
    pub fn render(&self) -> String {
        let mut c = String::new();
        let _ = writeln!(c, "[global.config]");
        let _ = writeln!(c, "  as = {}", self.asn);
        let _ = writeln!(c, "  router-id = \"{}\"", self.router_id);
        let _ = writeln!(c, "  port = 179");
        for n in &self.neighbors {
            let _ = writeln!(c, "[[neighbors]]");
            let _ = writeln!(c, "  [neighbors.config]");
            let _ = writeln!(c, "    neighbor-address = \"{}\"", n.address);
            let _ = writeln!(c, "    peer-as = {}", n.remote_as);
            if self.start_disabled {
                let _ = writeln!(c, "    admin-down = true");
            }
            if let Some(pw) = &n.password {
                let _ = writeln!(c, "    auth-password = \"{pw}\"");
            }
            let _ = writeln!(c, "  [neighbors.timers.config]");
            let _ = writeln!(c, "    connect-retry = 1");
            let _ = writeln!(c, "    hold-time = 9");
            let _ = writeln!(c, "    keepalive-interval = 3");
            for fam in ["ipv4-unicast", "ipv6-unicast"] {
                let _ = writeln!(c, "  [[neighbors.afi-safis]]");
                let _ = writeln!(c, "    [neighbors.afi-safis.config]");
                let _ = writeln!(c, "      afi-safi-name = \"{fam}\"");
            }
        }
        c
    }
}

/// A running gobgpd, killed by pid on drop.
#[derive(Debug)]
pub struct Gobgp {
    ns: String,
    dir: PathBuf,
    config: GobgpConfig,
    daemon: Option<Daemon>,
}

impl Gobgp {
    /// Writes the config into a private directory and starts gobgpd inside `ns`; returns
    /// once its API answers.
    pub fn start(ns: &str, config: GobgpConfig) -> Gobgp {
        let toml = config.render();
        Gobgp::start_with_conf(ns, config, &toml)
    }

    /// Like [`Gobgp::start`], with `toml` as gobgpd's configuration (for what
    /// [`GobgpConfig`] cannot say); `config` still describes the neighbors.
    pub fn start_with_conf(ns: &str, config: GobgpConfig, toml: &str) -> Gobgp {
        let dir = lab_dir(ns, "gobgp");
        std::fs::write(dir.join("gobgpd.toml"), toml).expect("lab setup: write gobgpd.toml");
        let mut g = Gobgp {
            ns: ns.to_string(),
            dir,
            config,
            daemon: None,
        };
        g.start_daemon();
        g
    }

    /// Like [`Gobgp::start`], without waiting for the API: for the bench, which measures
    /// from the start.
    pub fn start_nowait(ns: &str, config: GobgpConfig) -> Gobgp {
        let dir = lab_dir(ns, "gobgp");
        std::fs::write(dir.join("gobgpd.toml"), config.render())
            .expect("lab setup: write gobgpd.toml");
        let mut g = Gobgp {
            ns: ns.to_string(),
            dir,
            config,
            daemon: None,
        };
        g.spawn();
        g
    }

    /// The recorded pid.
    pub fn pid(&self) -> Option<u32> {
        self.daemon.as_ref().and_then(Daemon::pid)
    }

    /// True while gobgpd runs.
    pub fn is_running(&mut self) -> bool {
        self.daemon.as_mut().is_some_and(Daemon::is_running)
    }

    fn start_daemon(&mut self) {
        self.spawn();
        wait_until("gobgpd's API", Duration::from_secs(15), || {
            self.neighbors().map(|_| ())
        });
    }

    fn spawn(&mut self) {
        let conf = self.dir.join("gobgpd.toml").display().to_string();
        self.daemon = Some(Daemon::spawn_in(
            &self.ns,
            "gobgpd",
            &self.dir.join("gobgpd.log"),
            "gobgpd",
            &["-f", &conf, "-t", "toml", "--pprof-disable", "-l", "info"],
        ));
    }

    /// SIGKILLs gobgpd by its recorded pid.
    pub fn kill(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            d.kill();
        }
    }

    /// Starts gobgpd again with the same configuration.
    pub fn restart(&mut self) {
        self.kill();
        self.start_daemon();
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &GobgpConfig {
        &self.config
    }

    /// Runs the `gobgp` client inside the namespace (the API is namespace-local).
    pub fn gobgp(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["netns", "exec", self.ns.as_str(), "gobgp"];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `gobgp neighbor -j`, parsed.
    pub fn neighbors(&self) -> Result<Vec<Value>, String> {
        let out = self.gobgp(&["neighbor", "-j"])?;
        match serde_json::from_str::<Value>(&out) {
            Ok(Value::Array(v)) => Ok(v),
            Ok(Value::Null) => Ok(Vec::new()),
            Ok(other) => Err(format!("gobgp neighbor -j: not a list: {other}")),
            Err(e) => Err(format!("gobgp neighbor -j: bad JSON ({e}): {out}")),
        }
    }

    /// The FSM state of the session with `address`, named as in RFC 4271.
    pub fn neighbor_state(&self, address: IpAddr) -> Result<String, String> {
        let all = self.neighbors()?;
        let n = all
            .iter()
            .find(|n| {
                n.pointer("/conf/neighbor_address").and_then(Value::as_str)
                    == Some(address.to_string().as_str())
            })
            .ok_or_else(|| format!("GoBGP has no neighbor {address}"))?;
        Ok(session_state(n))
    }

    /// Waits until the session with `address` is Established.
    pub fn wait_established(&self, address: IpAddr) {
        wait_until(
            &format!("GoBGP in {} to reach Established with {address}", self.ns),
            CONVERGE,
            || match self.neighbor_state(address)? {
                s if s == "Established" => Ok(()),
                s => Err(format!("state {s}; {}", self.log_tail())),
            },
        );
    }

    /// Originates `prefix` with next hop `next_hop`.
    pub fn add_route(&self, prefix: IpNet, next_hop: IpAddr) -> Result<(), String> {
        let p = prefix.to_string();
        let nh = next_hop.to_string();
        let mut args = vec!["global", "rib", "add"];
        if let IpNet::V6(_) = prefix {
            args.extend(["-a", "ipv6"]);
        }
        args.extend([p.as_str(), "nexthop", nh.as_str()]);
        self.gobgp(&args).map(|_| ())
    }

    /// The paths learned from peers (not those originated here), both families.
    pub fn rib(&self) -> Result<Rib, String> {
        let mut rib = Rib::new();
        for args in [
            &["global", "rib", "-a", "ipv4", "-j"][..],
            &["global", "rib", "-a", "ipv6", "-j"][..],
        ] {
            let out = self.gobgp(args)?;
            if out.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&out)
                .map_err(|e| format!("gobgp {}: bad JSON ({e}): {out}", args.join(" ")))?;
            parse_rib(&v, &mut rib)?;
        }
        Ok(rib)
    }

    /// The last lines of gobgpd's log, for failure messages.
    pub fn log_tail(&self) -> String {
        crate::tail(&self.dir.join("gobgpd.log"), 8)
    }
}

impl Drop for Gobgp {
    fn drop(&mut self) {
        self.kill();
        crate::remove_lab_dir(&self.dir);
    }
}

/// The FSM state of one entry of `gobgp neighbor -j`, named as in RFC 4271.
pub fn session_state(neighbor: &Value) -> String {
    let state = neighbor.pointer("/state/session_state");
    match state.and_then(Value::as_u64) {
        Some(1) => "Idle".to_string(),
        Some(2) => "Connect".to_string(),
        Some(3) => "Active".to_string(),
        Some(4) => "OpenSent".to_string(),
        Some(5) => "OpenConfirm".to_string(),
        Some(6) => "Established".to_string(),
        // Absent (the zero value) or a string in other versions.
        _ => state
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_string(),
    }
}

/// Adds the learned paths of one `gobgp global rib -j` output to `rib`. The next hop is
/// in NEXT_HOP (type 3) or in MP_REACH_NLRI (type 14).
pub fn parse_rib(v: &Value, rib: &mut Rib) -> Result<(), String> {
    let Some(routes) = v.as_object() else {
        return Ok(());
    };
    for (prefix, paths) in routes {
        let prefix: IpNet = prefix
            .parse()
            .map_err(|e| format!("GoBGP route key {prefix:?}: {e}"))?;
        for path in paths.as_array().into_iter().flatten() {
            if path.get("neighbor-ip").is_none() {
                continue;
            }
            let hops = rib.entry(prefix).or_default();
            for attr in path
                .get("attrs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ty = attr.get("type").and_then(Value::as_u64);
                if !matches!(ty, Some(3) | Some(14)) {
                    continue;
                }
                if let Some(s) = attr.get("nexthop").and_then(Value::as_str) {
                    let ip: IpAddr = s
                        .parse()
                        .map_err(|e| format!("GoBGP next hop {s:?} of {prefix}: {e}"))?;
                    hops.insert(ip);
                }
            }
        }
    }
    Ok(())
}

impl crate::LabRouter for Gobgp {
    fn describe(&self) -> &'static str {
        "GoBGP"
    }
    fn session_state(&self) -> Result<String, String> {
        let n = self
            .config
            .neighbors
            .first()
            .ok_or("GoBGP has no neighbor configured")?;
        self.neighbor_state(n.address)
    }
    fn rib(&self) -> Result<Rib, String> {
        Gobgp::rib(self)
    }
    // Its JSON leaves the link-local address of MP_REACH_NLRI out.
    fn shows_link_local_next_hop(&self) -> bool {
        false
    }
    fn kill(&mut self) {
        Gobgp::kill(self);
    }
    fn restart(&mut self) {
        Gobgp::restart(self);
    }
    fn log_tail(&self) -> String {
        Gobgp::log_tail(self)
    }
}
