//! GoBGP inside a namespace. gobgpd does not daemonize, so it runs as a child whose pid is
//! recorded; its gRPC API listens on 127.0.0.1:50051 inside the namespace, so each
//! namespace has its own and the `gobgp` client must run there too.

use crate::process::instance::Instance;
use crate::process::run;
use crate::rib::{Rib, add_json_table};
use crate::router::{first_peer, wait_established};
use crate::{LabRouter, wait_until};
use ipnet::IpNet;
use serde_json::Value;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
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
        let mut c = format!(
            "[global.config]
  as = {}
  router-id = \"{}\"
  port = 179
",
            self.asn, self.router_id
        );
        for n in &self.neighbors {
            open_neighbor(&mut c, n.address, n.remote_as);
            if self.start_disabled {
                let _ = writeln!(c, "    admin-down = true");
            }
            if let Some(pw) = &n.password {
                let _ = writeln!(c, "    auth-password = \"{pw}\"");
            }
            c.push_str(
                "  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
",
            );
            unicast_families(&mut c);
        }
        c
    }
}

/// Opens a `[[neighbors]]` table of gobgpd.toml for `address` in AS `asn`; more
/// `[neighbors.config]` keys may follow.
pub fn open_neighbor(c: &mut String, address: impl std::fmt::Display, asn: u32) {
    let _ = write!(
        c,
        "[[neighbors]]
  [neighbors.config]
    neighbor-address = \"{address}\"
    peer-as = {asn}
"
    );
}

/// Enables IPv4 and IPv6 unicast on the neighbor opened last.
pub fn unicast_families(c: &mut String) {
    for afi in ["ipv4-unicast", "ipv6-unicast"] {
        let _ = write!(
            c,
            "  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = \"{afi}\"
"
        );
    }
}

/// A running gobgpd, killed by pid on drop.
#[derive(Debug)]
pub struct Gobgp {
    home: Instance,
    config: GobgpConfig,
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
        let mut g = Gobgp::configured(ns, config, toml);
        g.start_daemon();
        g
    }

    /// Like [`Gobgp::start`], without waiting for the API: for the bench, which measures
    /// from the start.
    pub fn start_nowait(ns: &str, config: GobgpConfig) -> Gobgp {
        let toml = config.render();
        let mut g = Gobgp::configured(ns, config, &toml);
        g.spawn();
        g
    }

    /// A private directory in `ns` holding `toml`; nothing started yet.
    fn configured(ns: &str, config: GobgpConfig, toml: &str) -> Gobgp {
        let home = Instance::new(ns, "gobgp", "gobgpd.log");
        home.write("gobgpd.toml", toml);
        Gobgp { home, config }
    }

    /// The recorded pid.
    pub fn pid(&self) -> Option<u32> {
        self.home.pid("gobgpd")
    }

    /// True while gobgpd runs.
    pub fn is_running(&mut self) -> bool {
        self.home.is_running("gobgpd")
    }

    fn start_daemon(&mut self) {
        self.spawn();
        wait_until("gobgpd's API", Duration::from_secs(15), || {
            self.neighbors().map(|_| ())
        });
    }

    fn spawn(&mut self) {
        let conf = self.home.path("gobgpd.toml").display().to_string();
        let args = ["-f", &conf, "-t", "toml", "--pprof-disable", "-l", "info"];
        self.home.spawn("gobgpd", "gobgpd.log", "gobgpd", &args);
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &GobgpConfig {
        &self.config
    }

    /// Runs the `gobgp` client inside the namespace (the API is namespace-local).
    pub fn gobgp(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["netns", "exec", self.home.ns(), "gobgp"];
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
        let which = format!("with {address}");
        wait_established(self, self.home.ns(), &which, || {
            self.neighbor_state(address)
        });
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
    let learned = |path: &Value| path.get("neighbor-ip").is_some();
    add_json_table(routes, rib, "GoBGP", learned, |path| {
        let attrs = path.get("attrs").and_then(Value::as_array);
        attrs
            .into_iter()
            .flatten()
            .filter(|a| matches!(a.get("type").and_then(Value::as_u64), Some(3) | Some(14)))
            .filter_map(|a| a.get("nexthop").and_then(Value::as_str))
            .collect()
    })
}

impl LabRouter for Gobgp {
    fn describe(&self) -> &'static str {
        "GoBGP"
    }
    fn session_state(&self) -> Result<String, String> {
        self.neighbor_state(first_peer(self, &self.config.neighbors)?.address)
    }
    fn rib(&self) -> Result<Rib, String> {
        Gobgp::rib(self)
    }
    // Its JSON leaves the link-local address of MP_REACH_NLRI out.
    fn shows_link_local_next_hop(&self) -> bool {
        false
    }
    /// SIGKILLs gobgpd by its recorded pid.
    fn kill(&mut self) {
        self.home.kill();
    }
    /// Starts gobgpd again with the same configuration.
    fn restart(&mut self) {
        self.home.kill();
        self.start_daemon();
    }
    /// The last lines of gobgpd's log, for failure messages.
    fn log_tail(&self) -> String {
        self.home.log_tail(8)
    }
}
