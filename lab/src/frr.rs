//! FRR (zebra + bgpd) inside a namespace, with private config, pid files and vty sockets,
//! queried through `vtysh --vty_socket` and its JSON output. [`tor`] renders a
//! top-of-rack router's configuration.

pub mod tor;

use crate::process::instance::Instance;
use crate::process::run;
use crate::rib::{Rib, add_json_table};
use crate::router::{first_peer, wait_established};
use crate::{LabRouter, wait_until};
use ipnet::IpNet;
use serde_json::Value;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

/// One `neighbor` of the bgpd configuration, activated for IPv4 and IPv6 unicast.
#[derive(Clone, Debug)]
pub struct FrrNeighbor {
    /// The peer's address (also selects the transport family).
    pub address: IpAddr,
    /// The peer's ASN (`remote-as`).
    pub remote_as: u32,
    /// TCP-MD5 password (`neighbor X password Y`).
    pub password: Option<String>,
    /// Only accept connections (`neighbor X passive`).
    pub passive: bool,
}

/// What bgpd is told.
#[derive(Clone, Debug)]
pub struct FrrConfig {
    /// Local ASN.
    pub asn: u32,
    /// BGP identifier.
    pub router_id: Ipv4Addr,
    /// Peers.
    pub neighbors: Vec<FrrNeighbor>,
    /// Prefixes to originate (`network`), with the import check off so they need no
    /// matching route in the FIB.
    pub networks: Vec<IpNet>,
}

impl FrrConfig {
    /// The bgpd.conf text.
    pub fn bgpd_conf(&self, hostname: &str) -> String {
        let (asn, router_id) = (self.asn, self.router_id);
        // RFC 8212: without `no bgp ebgp-requires-policy`, FRR ignores eBGP routes that no
        // policy accepts.
        let mut c = format!(
            "hostname {hostname}
debug bgp neighbor-events
router bgp {asn}
 bgp router-id {router_id}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 no bgp network import-check
"
        );
        for n in &self.neighbors {
            let a = n.address;
            let _ = writeln!(c, " neighbor {a} remote-as {}", n.remote_as);
            let _ = writeln!(c, " neighbor {a} timers 3 9");
            let _ = writeln!(c, " neighbor {a} timers connect 1");
            if n.passive {
                let _ = writeln!(c, " neighbor {a} passive");
            }
            if let Some(p) = &n.password {
                let _ = writeln!(c, " neighbor {a} password {p}");
            }
        }
        for (afi, v6) in [("ipv4", false), ("ipv6", true)] {
            let _ = writeln!(c, " address-family {afi} unicast");
            for net in self
                .networks
                .iter()
                .filter(|n| matches!(n, IpNet::V6(_)) == v6)
            {
                let _ = writeln!(c, "  network {net}");
            }
            for n in &self.neighbors {
                let _ = writeln!(c, "  neighbor {} activate", n.address);
            }
            let _ = writeln!(c, " exit-address-family");
        }
        c
    }
}

/// The arguments every FRR daemon `name` runs with when all its files (config, pid file,
/// zebra's API socket, vty sockets) are in the private directory `dir`, and no vty TCP
/// port is opened.
pub fn daemon_args(dir: &str, name: &str) -> Vec<String> {
    [
        "-f".to_string(),
        format!("{dir}/{name}.conf"),
        "-i".to_string(),
        format!("{dir}/{name}.pid"),
        "-z".to_string(),
        format!("{dir}/zserv.api"),
        "--vty_socket".to_string(),
        dir.to_string(),
        "-P".to_string(),
        "0".to_string(),
    ]
    .to_vec()
}

/// The program and arguments of FRR daemon `name` with its files in `dir` (see
/// [`daemon_args`]), logging to `NAME.log` there, with `extra` arguments after them.
pub fn daemon_command(dir: &str, name: &str, extra: &[&str]) -> (String, Vec<String>) {
    let bin =
        crate::prereq::find_binary(name).unwrap_or_else(|| panic!("lab setup: {name} not found"));
    let mut args = daemon_args(dir, name);
    args.extend(["--log".to_string(), format!("file:{dir}/{name}.log")]);
    args.extend(extra.iter().map(|a| a.to_string()));
    (bin.display().to_string(), args)
}

/// A running FRR. Its daemons are killed by pid on drop.
#[derive(Debug)]
pub struct Frr {
    home: Instance,
    config: FrrConfig,
}

impl Frr {
    /// Writes the configs into a private directory owned by `frr` and starts zebra, then
    /// bgpd, inside `ns`; returns once bgpd answers on its vty socket.
    pub fn start(ns: &str, config: FrrConfig) -> Frr {
        let bgpd_conf = config.bgpd_conf(ns);
        Frr::start_with_conf(ns, config, &bgpd_conf)
    }

    /// Like [`Frr::start`], with `bgpd_conf` as bgpd's configuration (for what
    /// [`FrrConfig`] cannot say); `config` still describes the neighbors.
    pub fn start_with_conf(ns: &str, config: FrrConfig, bgpd_conf: &str) -> Frr {
        let home = Instance::new(ns, "frr", "bgpd.log");
        home.write("zebra.conf", &format!("hostname {ns}\n"));
        home.write("bgpd.conf", bgpd_conf);
        hand_to_frr(home.dir()).unwrap_or_else(|e| panic!("lab setup: {e}"));
        let mut frr = Frr { home, config };
        frr.start_daemons();
        frr
    }

    fn spawn(&mut self, name: &str) {
        let (bin, args) = daemon_command(&self.home.dir().display().to_string(), name, &[]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.home.spawn(name, &format!("{name}.out"), &bin, &args);
    }

    fn start_daemons(&mut self) {
        self.spawn("zebra");
        wait_until("zebra's vty", Duration::from_secs(15), || {
            self.vtysh("show zebra client summary").map(|_| ())
        });
        self.spawn("bgpd");
        wait_until("bgpd's vty", Duration::from_secs(15), || {
            self.vtysh_json("show bgp summary json").map(|_| ())
        });
    }

    /// A lasting connection to `daemon`'s vty (`bgpd`, `zebra`), for frequent polls.
    pub fn vty(&self, daemon: &str) -> Result<crate::vty::Vty, String> {
        crate::vty::Vty::connect(&self.home.path(&format!("{daemon}.vty")))
    }

    /// zebra's recorded pid: its `/proc/PID/net` shows the namespace's kernel tables.
    pub fn zebra_pid(&self) -> Option<u32> {
        self.home.pid("zebra")
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &FrrConfig {
        &self.config
    }

    /// Runs one vtysh command and returns its output.
    pub fn vtysh(&self, command: &str) -> Result<String, String> {
        vtysh_through(self.home.dir(), command)
    }

    /// Applies configuration lines in order, as typed after `configure terminal`.
    pub fn configure(&self, lines: &[&str]) -> Result<String, String> {
        configure_through(self.home.dir(), lines)
    }

    /// Runs one vtysh command that ends in `json` and parses its output.
    pub fn vtysh_json(&self, command: &str) -> Result<Value, String> {
        vtysh_json_through(self.home.dir(), command)
    }

    /// The neighbor's `show bgp neighbors X json` object.
    pub fn neighbor(&self, address: IpAddr) -> Result<Value, String> {
        let v = self.vtysh_json(&format!("show bgp neighbors {address} json"))?;
        v.get(address.to_string())
            .cloned()
            .ok_or_else(|| format!("FRR has no neighbor {address}: {v}"))
    }

    /// The neighbor's FSM state as FRR names it (`Established`, `Active`, ...).
    pub fn neighbor_state(&self, address: IpAddr) -> Result<String, String> {
        let n = self.neighbor(address)?;
        n.get("bgpState")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("no bgpState for {address}: {n}"))
    }

    /// One counter of the neighbor's `messageStats` (e.g. `routeRefreshSent`).
    pub fn neighbor_stat(&self, address: IpAddr, name: &str) -> Result<u64, String> {
        let n = self.neighbor(address)?;
        n.pointer(&format!("/messageStats/{name}"))
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("no messageStats/{name} for {address}"))
    }

    /// Waits until the session with `address` is Established.
    pub fn wait_established(&self, address: IpAddr) {
        let which = format!("with {address}");
        wait_established(self, self.home.ns(), &which, || {
            self.neighbor_state(address)
        });
    }

    /// The valid paths of the IPv4 and IPv6 unicast tables, with their next hops.
    pub fn rib(&self) -> Result<Rib, String> {
        let mut rib = Rib::new();
        for afi in ["ipv4", "ipv6"] {
            let v = self.vtysh_json(&format!("show bgp {afi} unicast json"))?;
            parse_bgp_table(&v, &mut rib)?;
        }
        Ok(rib)
    }

    /// How many paths of both unicast tables are marked stale (kept for a restarting
    /// peer, RFC 4724 section 4.2).
    pub fn stale_paths(&self) -> Result<usize, String> {
        let mut n = 0;
        for afi in ["ipv4", "ipv6"] {
            let v = self.vtysh_json(&format!("show bgp {afi} unicast json"))?;
            let routes = v.get("routes").and_then(Value::as_object);
            n += routes
                .into_iter()
                .flat_map(|r| r.values())
                .filter_map(Value::as_array)
                .flatten()
                .filter(|p| p.get("stale").and_then(Value::as_bool) == Some(true))
                .count();
        }
        Ok(n)
    }
}

/// Hands the router directory `dir` to user `frr`: FRR's daemons drop to it and must
/// create their pid files and sockets there.
pub fn hand_to_frr(dir: &Path) -> Result<String, String> {
    run("chown", &["-R", "frr:frr", &dir.display().to_string()])
}

/// Runs `commands` in order in one vtysh through the vty sockets in `vty_dir`, and
/// returns the output. The sockets are files: no namespace needs entering, the
/// directory is all a caller needs to know of the router.
fn vtysh_commands(vty_dir: &Path, commands: &[&str]) -> Result<String, String> {
    let d = vty_dir.display().to_string();
    let mut args = vec!["--vty_socket", d.as_str()];
    for command in commands {
        args.extend(["-c", command]);
    }
    run("vtysh", &args)
}

/// Runs one vtysh command through the vty sockets in `vty_dir` and returns its output;
/// for an FRR the caller did not start itself, or knows only by its directory.
pub fn vtysh_through(vty_dir: &Path, command: &str) -> Result<String, String> {
    vtysh_commands(vty_dir, &[command])
}

/// Runs one vtysh command that ends in `json` through the vty sockets in `vty_dir` and
/// parses its output.
pub fn vtysh_json_through(vty_dir: &Path, command: &str) -> Result<Value, String> {
    let out = vtysh_through(vty_dir, command)?;
    serde_json::from_str(&out).map_err(|e| format!("`{command}`: bad JSON ({e}): {out}"))
}

/// Applies configuration lines in order, as typed after `configure terminal`, through
/// the vty sockets in `vty_dir`.
pub fn configure_through(vty_dir: &Path, lines: &[&str]) -> Result<String, String> {
    let mut commands = vec!["configure terminal"];
    commands.extend_from_slice(lines);
    vtysh_commands(vty_dir, &commands)
}

/// Adds the valid paths of one `show bgp <afi> unicast json` output to `rib`.
pub fn parse_bgp_table(v: &Value, rib: &mut Rib) -> Result<(), String> {
    let Some(routes) = v.get("routes").and_then(Value::as_object) else {
        // An empty table has no "routes" key in some versions.
        return Ok(());
    };
    let usable = |path: &Value| path.get("valid").and_then(Value::as_bool) == Some(true);
    add_json_table(routes, rib, "FRR", usable, |path| {
        let hops = path.get("nexthops").and_then(Value::as_array);
        hops.into_iter()
            .flatten()
            .map(|nh| nh.get("ip").and_then(Value::as_str).unwrap_or_default())
            .collect()
    })
}

impl LabRouter for Frr {
    fn describe(&self) -> &'static str {
        "FRR"
    }
    fn session_state(&self) -> Result<String, String> {
        self.neighbor_state(first_peer(self, &self.config.neighbors)?.address)
    }
    fn rib(&self) -> Result<Rib, String> {
        Frr::rib(self)
    }
    /// SIGKILLs bgpd and zebra by their recorded pids (a crash, not a shutdown).
    fn kill(&mut self) {
        self.home.kill();
    }
    /// Starts the daemons again with the same configuration.
    fn restart(&mut self) {
        self.home.kill();
        // Stale sockets of the killed daemons would make the new ones fail to bind.
        for f in ["zserv.api", "zebra.vty", "bgpd.vty"] {
            let _ = std::fs::remove_file(self.home.path(f));
        }
        self.start_daemons();
    }
    /// The last lines of bgpd's log, for failure messages.
    fn log_tail(&self) -> String {
        self.home.log_tail(8)
    }
}
