//! ExaBGP 4.2 inside a namespace, originating static routes from its config. Debian's
//! default would drop privileges and share one CLI named pipe between instances, so each
//! instance runs as root with its API CLI off and its own files in a private directory.
//! It reads its config again on SIGUSR1 and announces or withdraws the difference: the
//! fastest way to change what it sends without an API process.

use crate::process::instance::Instance;
use crate::process::run;
use crate::wait_until;
use ipnet::IpNet;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// What ExaBGP is told: one neighbor, IPv4 and IPv6 unicast.
#[derive(Clone, Debug)]
pub struct ExabgpConfig {
    /// Router ID.
    pub router_id: Ipv4Addr,
    /// Local address of the session.
    pub local: IpAddr,
    /// Local ASN.
    pub local_as: u32,
    /// The peer's address.
    pub neighbor: IpAddr,
    /// The peer's ASN.
    pub remote_as: u32,
    /// Hold time in seconds.
    pub hold_time: u16,
    /// Routes to originate, with `next-hop self`.
    pub originate: Vec<IpNet>,
}

impl ExabgpConfig {
    /// The exabgp.conf text.
    pub fn render(&self) -> String {
        let ExabgpConfig {
            router_id,
            local,
            local_as,
            neighbor,
            remote_as,
            hold_time,
            originate,
        } = self;
        let mut c = format!(
            "neighbor {neighbor} {{
  router-id {router_id};
  local-address {local};
  local-as {local_as};
  peer-as {remote_as};
  hold-time {hold_time};
  family {{ ipv4 unicast; ipv6 unicast; }}
  static {{
"
        );
        for p in originate {
            let _ = writeln!(c, "    route {p} next-hop self;");
        }
        c.push_str("  }\n}\n");
        c
    }
}

/// A running ExaBGP, killed by pid on drop.
#[derive(Debug)]
pub struct Exabgp {
    home: Instance,
    config: ExabgpConfig,
}

impl Exabgp {
    /// Writes the config into a private directory and starts ExaBGP inside `ns`. ExaBGP
    /// has no control socket to wait for: the caller waits for the session instead.
    pub fn start(ns: &str, config: ExabgpConfig) -> Exabgp {
        let text = config.render();
        Exabgp::start_with_conf(ns, config, &text)
    }

    /// Like [`Exabgp::start`], with `text` as its configuration (for what
    /// [`ExabgpConfig`] cannot say); `config` still describes the session.
    pub fn start_with_conf(ns: &str, config: ExabgpConfig, text: &str) -> Exabgp {
        let home = Instance::new(ns, "exabgp", "exabgp.log");
        home.write("exabgp.conf", text);
        let mut e = Exabgp { home, config };
        e.start_daemon();
        e
    }

    fn start_daemon(&mut self) {
        let conf = self.home.path("exabgp.conf").display().to_string();
        let pid = self.home.path("exabgp.pid");
        // A stale pid file makes ExaBGP refuse to start.
        let _ = std::fs::remove_file(&pid);
        let settings = [
            "exabgp.daemon.user=root".to_string(),
            "exabgp.daemon.drop=false".to_string(),
            format!("exabgp.daemon.pid={}", pid.display()),
            "exabgp.api.cli=false".to_string(),
            "exabgp.log.destination=stdout".to_string(),
            "exabgp.log.level=INFO".to_string(),
        ];
        let mut args: Vec<&str> = settings.iter().map(String::as_str).collect();
        let bin = crate::prereq::find_binary("exabgp")
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "exabgp".to_string());
        args.extend([bin.as_str(), conf.as_str()]);
        // `env` execs ExaBGP (a Python script, exec'd by its interpreter) in place, so
        // the recorded pid is ExaBGP's.
        self.home.spawn("exabgp", "exabgp.log", "env", &args);
    }

    /// The recorded pid of the ExaBGP process.
    pub fn pid(&self) -> Option<u32> {
        self.home.pid("exabgp")
    }

    /// True while ExaBGP runs.
    pub fn is_running(&mut self) -> bool {
        self.home.is_running("exabgp")
    }

    /// Replaces the originated routes: rewrites the config and sends SIGUSR1, on which
    /// ExaBGP reloads it and sends the difference.
    pub fn set_routes(&mut self, routes: Vec<IpNet>) -> Result<(), String> {
        self.config.originate = routes;
        std::fs::write(self.home.path("exabgp.conf"), self.config.render())
            .map_err(|e| format!("rewrite exabgp.conf: {e}"))?;
        let pid = self.pid().ok_or("ExaBGP is not running")?;
        run("kill", &["-USR1", &pid.to_string()]).map(|_| ())
    }

    /// Waits until ExaBGP's log says the session is up (ExaBGP has no query interface
    /// without its CLI).
    pub fn wait_logged_up(&self, deadline: Duration) {
        wait_until("ExaBGP's session", deadline, || {
            let log = std::fs::read_to_string(self.home.path("exabgp.log")).unwrap_or_default();
            if log.contains("connected to") || log.contains("peer-up") {
                Ok(())
            } else {
                Err(self.log_tail())
            }
        });
    }

    /// SIGKILLs ExaBGP by its recorded pid.
    pub fn kill(&mut self) {
        self.home.kill();
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &ExabgpConfig {
        &self.config
    }

    /// The last lines of ExaBGP's log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.home.log_tail(8)
    }
}
