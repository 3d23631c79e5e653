//! BIRD 2 inside a namespace, with its own control socket and pid file, queried through
//! `birdc -s` and parsed from its text output.

use crate::process::instance::Instance;
use crate::process::run;
use crate::rib::Rib;
use crate::router::{first_peer, wait_established};
use crate::{LabRouter, wait_until};
use ipnet::IpNet;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// One `protocol bgp` with an IPv4 and an IPv6 channel that import everything.
#[derive(Clone, Debug)]
pub struct BirdPeer {
    /// Protocol name (used by `show protocols` and `show route protocol`).
    pub name: String,
    /// Local address of the session.
    pub local: IpAddr,
    /// Local ASN.
    pub local_as: u32,
    /// The peer's address.
    pub neighbor: IpAddr,
    /// The peer's ASN.
    pub remote_as: u32,
    /// TCP-MD5 password.
    pub password: Option<String>,
}

/// What BIRD is told.
#[derive(Clone, Debug)]
pub struct BirdConfig {
    /// Router ID.
    pub router_id: Ipv4Addr,
    /// BGP sessions.
    pub peers: Vec<BirdPeer>,
    /// Static routes to originate to every peer (`route P unreachable`), exported with
    /// BIRD's own address as next hop.
    pub originate: Vec<IpNet>,
}

impl BirdConfig {
    /// The bird.conf text; `log` is the log file.
    pub fn render(&self, log: &str) -> String {
        let router_id = self.router_id;
        // Neighbor reachability for directly connected sessions comes from the device scan.
        let mut c = format!(
            "log \"{log}\" all;
router id {router_id};
protocol device {{ scan time 2; }}
"
        );
        for (name, v6) in [("orig4", false), ("orig6", true)] {
            let _ = writeln!(c, "protocol static {name} {{");
            let _ = writeln!(c, "  {};", if v6 { "ipv6" } else { "ipv4" });
            for p in self
                .originate
                .iter()
                .filter(|p| matches!(p, IpNet::V6(_)) == v6)
            {
                let _ = writeln!(c, "  route {p} unreachable;");
            }
            let _ = writeln!(c, "}}");
        }
        for p in &self.peers {
            let _ = writeln!(c, "protocol bgp {} {{", p.name);
            let _ = writeln!(c, "  local {} as {};", p.local, p.local_as);
            let _ = writeln!(c, "  neighbor {} as {};", p.neighbor, p.remote_as);
            if p.local_as == p.remote_as {
                // iBGP next hops are on the link; no IGP table to resolve them recursively.
                let _ = writeln!(c, "  direct;");
            }
            let _ = writeln!(c, "  hold time 9; keepalive time 3; connect retry time 1;");
            // The default (60 s, up to 300 s) would hold a restarted peer down too long.
            let _ = writeln!(c, "  error wait time 1, 10;");
            if let Some(pw) = &p.password {
                let _ = writeln!(c, "  password \"{pw}\";");
            }
            for ch in ["ipv4", "ipv6"] {
                let _ = writeln!(
                    c,
                    "  {ch} {{ import all; export where source = RTS_STATIC; next hop self; }};"
                );
            }
            let _ = writeln!(c, "}}");
        }
        c
    }
}

/// A running BIRD, killed by pid on drop.
#[derive(Debug)]
pub struct Bird {
    home: Instance,
    config: BirdConfig,
}

impl Bird {
    /// Writes the config into a private directory and starts BIRD in the foreground inside
    /// `ns`; returns once it answers on its control socket.
    pub fn start(ns: &str, config: BirdConfig) -> Bird {
        let render = config.clone();
        Bird::start_with_conf(ns, config, |log| render.render(log))
    }

    /// Like [`Bird::start`], with `extra` appended to the rendered config: protocols the
    /// peers do not need, such as a `protocol kernel` that installs the routes into the
    /// namespace's FIB.
    pub fn start_with(ns: &str, config: BirdConfig, extra: &str) -> Bird {
        let render = config.clone();
        let extra = extra.to_string();
        Bird::start_with_conf(ns, config, move |log| render.render(log) + &extra)
    }

    /// Like [`Bird::start`], with the configuration `render` writes for log file `log`
    /// (for what [`BirdConfig`] cannot say); `config` still describes the peers.
    pub fn start_with_conf(
        ns: &str,
        config: BirdConfig,
        render: impl FnOnce(&str) -> String,
    ) -> Bird {
        let mut bird = Bird::configured(ns, config, render);
        let conf = bird.home.path("bird.conf").display().to_string();
        let check = run("bird", &["-p", "-c", &conf]);
        if let Err(e) = check {
            panic!("lab setup: BIRD rejects its config: {e}");
        }
        bird.start_daemon();
        bird
    }

    /// Like [`Bird::start`], without checking the config first or waiting for the control
    /// socket: for the bench, where the time from start to routes is what is measured and
    /// a second parse of a large config would count against BIRD.
    pub fn start_nowait(ns: &str, config: BirdConfig) -> Bird {
        let render = config.clone();
        let mut bird = Bird::configured(ns, config, |log| render.render(log));
        bird.spawn();
        bird
    }

    /// A private directory in `ns` holding the bird.conf `render` writes for its log file;
    /// nothing started yet.
    fn configured(ns: &str, config: BirdConfig, render: impl FnOnce(&str) -> String) -> Bird {
        let home = Instance::new(ns, "bird", "bird.log");
        let log = home.path("bird.log").display().to_string();
        home.write("bird.conf", &render(&log));
        Bird { home, config }
    }

    /// The recorded pid.
    pub fn pid(&self) -> Option<u32> {
        self.home.pid("bird")
    }

    /// True while BIRD runs.
    pub fn is_running(&mut self) -> bool {
        self.home.is_running("bird")
    }

    fn socket(&self) -> String {
        self.home.path("bird.ctl").display().to_string()
    }

    fn start_daemon(&mut self) {
        self.spawn();
        wait_until("BIRD's control socket", Duration::from_secs(15), || {
            self.birdc(&["show", "status"]).map(|_| ())
        });
    }

    fn spawn(&mut self) {
        let d = self.home.dir().display().to_string();
        let sock = self.socket();
        let pid = format!("{d}/bird.pid");
        let conf = format!("{d}/bird.conf");
        let args = ["-f", "-s", &sock, "-P", &pid, "-c", &conf];
        self.home.spawn("bird", "bird.out", "bird", &args);
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &BirdConfig {
        &self.config
    }

    /// Runs one birdc command.
    pub fn birdc(&self, args: &[&str]) -> Result<String, String> {
        let sock = self.socket();
        let mut all = vec!["-s", sock.as_str()];
        all.extend_from_slice(args);
        run("birdc", &all)
    }

    /// The `BGP state` of protocol `name` (`Established`, `Active`, `Connect`, ...).
    pub fn protocol_state(&self, name: &str) -> Result<String, String> {
        let out = self.birdc(&["show", "protocols", "all", name])?;
        parse_bgp_state(&out).ok_or_else(|| format!("no BGP state for {name}: {out}"))
    }

    /// Waits until protocol `name` is Established.
    pub fn wait_established(&self, name: &str) {
        let which = format!("on {name}");
        wait_established(self, self.home.ns(), &which, || self.protocol_state(name));
    }

    /// The routes learned through protocol `name`, with their BGP next hops.
    pub fn rib(&self, name: &str) -> Result<Rib, String> {
        let out = self.birdc(&["show", "route", "all", "protocol", name])?;
        parse_routes(&out)
    }
}

/// The value of the `BGP state:` line of `show protocols all`.
pub fn parse_bgp_state(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("BGP state:"))
        .map(|s| s.trim().to_string())
}

/// Parses `show route all`: a line starting with a prefix opens a route, indented
/// `unicast [...]` lines are further paths of the same prefix, and `BGP.next_hop:` lines
/// carry the next hops (an IPv6 one may list the global and the link-local address).
/// Routes that are not `unicast` (unreachable, blackhole) are left out.
pub fn parse_routes(out: &str) -> Result<Rib, String> {
    let mut rib = Rib::new();
    let mut current: Option<IpNet> = None;
    let mut usable = false;
    for line in out.lines() {
        let starts_indented = line.starts_with([' ', '\t']);
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if !starts_indented {
            if let Ok(p) = first.parse::<IpNet>() {
                current = Some(p);
                usable = words.next() == Some("unicast");
                if usable {
                    rib.entry(p).or_default();
                }
            } else {
                current = None;
            }
        } else if first == "unicast" && line.contains('[') {
            usable = true;
            if let Some(p) = current {
                rib.entry(p).or_default();
            }
        } else if first == "BGP.next_hop:" && usable {
            let Some(p) = current else { continue };
            for w in words {
                let ip: IpAddr = w
                    .parse()
                    .map_err(|e| format!("BIRD next hop {w:?} of {p}: {e}"))?;
                rib.entry(p).or_default().insert(ip);
            }
        }
    }
    Ok(rib)
}

impl LabRouter for Bird {
    fn describe(&self) -> &'static str {
        "BIRD"
    }
    fn session_state(&self) -> Result<String, String> {
        self.protocol_state(&first_peer(self, &self.config.peers)?.name)
    }
    fn rib(&self) -> Result<Rib, String> {
        Bird::rib(self, &first_peer(self, &self.config.peers)?.name)
    }
    /// SIGKILLs BIRD by its recorded pid.
    fn kill(&mut self) {
        self.home.kill();
    }
    /// Starts BIRD again with the same configuration.
    fn restart(&mut self) {
        self.home.kill();
        let _ = std::fs::remove_file(self.socket());
        self.start_daemon();
    }
    /// The last lines of BIRD's log, for failure messages.
    fn log_tail(&self) -> String {
        self.home.log_tail(8)
    }
}
