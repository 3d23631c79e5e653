//! The BFD daemons of the routers inside a namespace: FRR's bfdd (with zebra, which it
//! talks to) configured with a `bfd` / `peer` block, and BIRD 2 with `protocol bfd`. Each
//! is queried in its own words (`show bfd peers json`, `show bfd sessions`) so a test can
//! compare the router's view with ours.

use crate::frr::{configure_through, hand_to_frr, vtysh_json_through, vtysh_through};
use crate::process::instance::Instance;
use crate::process::run;
use crate::wait_until;
use serde_json::Value;
use std::net::IpAddr;
use std::time::Duration;

/// BFD timers as routers configure them, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    /// Desired Min TX.
    pub tx_ms: u32,
    /// Required Min RX.
    pub rx_ms: u32,
    /// Detect Mult.
    pub multiplier: u8,
}

/// The router's view of one BFD session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterView {
    /// Lowercase state: `up`, `down`, `init`, `admin_down`.
    pub state: String,
    /// What the router heard as our Desired Min TX (ms), when it says.
    pub remote_tx_ms: Option<u64>,
    /// What the router heard as our Required Min RX (ms), when it says.
    pub remote_rx_ms: Option<u64>,
    /// The interval the router sends at (ms), when it says.
    pub tx_ms: Option<u64>,
    /// The router's detection time for us (ms), when it says.
    pub detect_ms: Option<u64>,
}

/// How many lines of a BFD router's log a failure message shows.
const LOG_TAIL_LINES: usize = 30;

/// The lines of a bfdd `peer` or `profile` block that set the timers.
fn timer_lines(t: Timers) -> String {
    format!(
        "  transmit-interval {}\n  receive-interval {}\n  detect-multiplier {}\n",
        t.tx_ms, t.rx_ms, t.multiplier
    )
}

/// FRR zebra + bfdd, either with one single-hop peer configured in bfdd, or with a timer
/// profile that bgpd's `neighbor X bfd profile NAME` makes sessions from.
#[derive(Debug)]
pub struct FrrBfd {
    /// Namespace, private directory and daemons: zebra, bfdd, then bgpd when started,
    /// so bgpd and bfdd are stopped before zebra.
    home: Instance,
    /// The peer and local address of the `peer` block; `None` with a profile only.
    single: Option<(IpAddr, IpAddr)>,
}

impl FrrBfd {
    /// Starts zebra and bfdd in `ns` with a BFD peer `peer` sourced from `local`.
    pub fn start(ns: &str, peer: IpAddr, local: IpAddr, timers: Timers) -> FrrBfd {
        let block = format!(
            " peer {peer} local-address {local}\n{}",
            timer_lines(timers)
        );
        FrrBfd::launch(ns, &block, Some((peer, local)))
    }

    /// Starts zebra and bfdd in `ns` with the timer profile `profile` and no session of
    /// its own: bgpd's `neighbor X bfd profile PROFILE` lines make them.
    pub fn start_with_profile(ns: &str, profile: &str, timers: Timers) -> FrrBfd {
        let block = format!(" profile {profile}\n{}", timer_lines(timers));
        FrrBfd::launch(ns, &block, None)
    }

    fn launch(ns: &str, block: &str, single: Option<(IpAddr, IpAddr)>) -> FrrBfd {
        let home = Instance::new(ns, "frr-bfd", "bfdd.log");
        home.write("zebra.conf", &format!("hostname {ns}\n"));
        home.write("bfdd.conf", &format!("hostname {ns}\nbfd\n{block} !\n!\n"));
        let mut frr = FrrBfd { home, single };
        frr.chown();
        frr.spawn("zebra", &[]);
        wait_until("zebra's vty", Duration::from_secs(15), || {
            frr.vtysh("show zebra client summary").map(|_| ())
        });
        let ctl = frr.home.path("bfdd.sock").display().to_string();
        frr.spawn("bfdd", &["--bfdctl", &ctl]);
        wait_until("bfdd's vty", Duration::from_secs(15), || {
            frr.vtysh("show bfd peers json").map(|_| ())
        });
        frr
    }

    /// Hands the private directory to FRR's daemons (again after a new config file).
    fn chown(&self) {
        hand_to_frr(self.home.dir()).unwrap_or_else(|e| panic!("lab setup: {e}"));
    }

    fn spawn(&mut self, name: &str, extra: &[&str]) {
        let dir = self.home.dir().display().to_string();
        let (bin, args) = crate::frr::daemon_command(&dir, name, extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.home.spawn(name, &format!("{name}.out"), &bin, &args);
    }

    /// Starts bgpd beside bfdd with this configuration (see `FrrConfig::bgpd_conf`).
    pub fn start_bgpd(&mut self, conf: &str) {
        self.home.write("bgpd.conf", conf);
        self.chown();
        self.spawn("bgpd", &[]);
        wait_until("bgpd's vty", Duration::from_secs(15), || {
            self.vtysh("show bgp summary json").map(|_| ())
        });
    }

    /// SIGKILLs bfdd: the router's BFD packets stop while bgpd and the link stay up.
    pub fn kill_bfdd(&mut self) {
        self.home.kill_one("bfdd");
    }

    /// bgpd's `show bgp neighbors ADDRESS json` entry for `address`.
    pub fn bgp_neighbor(&self, address: IpAddr) -> Result<Value, String> {
        let command = format!("show bgp neighbors {address} json");
        let v = vtysh_json_through(self.home.dir(), &command)?;
        v.get(address.to_string())
            .cloned()
            .ok_or_else(|| format!("no neighbor {address}: {v}"))
    }

    /// Runs one vtysh command.
    pub fn vtysh(&self, command: &str) -> Result<String, String> {
        vtysh_through(self.home.dir(), command)
    }

    /// Applies configuration lines in order, as typed after `configure terminal` (bgpd's
    /// and bfdd's alike).
    pub fn configure(&self, lines: &[&str]) -> Result<String, String> {
        configure_through(self.home.dir(), lines)
    }

    fn single_peer(&self) -> Result<(IpAddr, IpAddr), String> {
        self.single
            .ok_or_else(|| "this bfdd has a profile, no peer block".to_string())
    }

    /// Changes the peer's timers at runtime (bfdd starts a Poll Sequence).
    pub fn set_timers(&self, timers: Timers) -> Result<String, String> {
        let (peer, local) = self.single_peer()?;
        let peer = format!("peer {peer} local-address {local}");
        let tx = format!("transmit-interval {}", timers.tx_ms);
        let rx = format!("receive-interval {}", timers.rx_ms);
        let mult = format!("detect-multiplier {}", timers.multiplier);
        self.configure(&["bfd", &peer, &tx, &rx, &mult])
    }

    /// The raw JSON of the session with our address.
    pub fn peer_json(&self) -> Result<Value, String> {
        let (peer, _) = self.single_peer()?;
        self.session_json(peer, "show bfd peers json")
    }

    /// The entry for `peer` in the output of `command`, a list of sessions in JSON
    /// (`show bfd peers json`, `show bfd peers counters json`).
    pub fn session_json(&self, peer: IpAddr, command: &str) -> Result<Value, String> {
        let all = vtysh_json_through(self.home.dir(), command)?;
        all.as_array()
            .and_then(|sessions| {
                sessions
                    .iter()
                    .find(|p| p["peer"].as_str() == Some(&peer.to_string()))
            })
            .cloned()
            .ok_or_else(|| format!("no BFD peer {peer} in {all}"))
    }

    /// bfdd's view of the session.
    pub fn view(&self) -> Result<RouterView, String> {
        let p = self.peer_json()?;
        Ok(RouterView {
            state: p["status"].as_str().unwrap_or("?").replace('-', "_"),
            remote_tx_ms: p["remote-transmit-interval"].as_u64(),
            remote_rx_ms: p["remote-receive-interval"].as_u64(),
            tx_ms: p["transmit-interval"].as_u64(),
            detect_ms: None,
        })
    }

    /// The end of bfdd's log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.home.log_tail(LOG_TAIL_LINES)
    }
}

/// BIRD 2 with `protocol bfd` and one neighbor.
#[derive(Debug)]
pub struct BirdBfd {
    /// Namespace, private directory and the bird daemon.
    home: Instance,
    peer: IpAddr,
    local: IpAddr,
    router_id: std::net::Ipv4Addr,
}

impl BirdBfd {
    /// Starts BIRD in `ns` with a BFD neighbor `peer` sourced from `local`.
    pub fn start(
        ns: &str,
        router_id: std::net::Ipv4Addr,
        peer: IpAddr,
        local: IpAddr,
        timers: Timers,
    ) -> BirdBfd {
        let mut bird = BirdBfd {
            home: Instance::new(ns, "bird-bfd", "bird.log"),
            peer,
            local,
            router_id,
        };
        bird.write_config(timers);
        let conf = bird.home.path("bird.conf").display().to_string();
        if let Err(e) = run("bird", &["-p", "-c", &conf]) {
            panic!("lab setup: BIRD rejects its config: {e}");
        }
        let sock = bird.socket();
        let pid = bird.home.path("bird.pid").display().to_string();
        let args = ["-f", "-s", &sock, "-P", &pid, "-c", &conf];
        bird.home.spawn("bird", "bird.out", "bird", &args);
        wait_until("BIRD's control socket", Duration::from_secs(15), || {
            bird.birdc(&["show", "status"]).map(|_| ())
        });
        bird
    }

    fn write_config(&self, t: Timers) {
        let log = self.home.path("bird.log").display().to_string();
        let conf = format!(
            "log \"{log}\" all;\nrouter id {};\nprotocol device {{}}\nprotocol bfd bfd1 {{\n  interface \"*\" {{ min rx interval {} ms; min tx interval {} ms; multiplier {}; }};\n  neighbor {} local {};\n}}\n",
            self.router_id, t.rx_ms, t.tx_ms, t.multiplier, self.peer, self.local
        );
        self.home.write("bird.conf", &conf);
    }

    fn socket(&self) -> String {
        self.home.path("bird.ctl").display().to_string()
    }

    /// Runs one birdc command.
    pub fn birdc(&self, args: &[&str]) -> Result<String, String> {
        let sock = self.socket();
        let mut all = vec!["-s", sock.as_str()];
        all.extend_from_slice(args);
        run("birdc", &all)
    }

    /// Changes the timers at runtime: new config, `birdc configure` (BIRD polls).
    pub fn set_timers(&self, timers: Timers) -> Result<String, String> {
        self.write_config(timers);
        self.birdc(&["configure"])
    }

    /// BIRD's view, from `show bfd sessions`: state, interval and timeout columns.
    pub fn view(&self) -> Result<RouterView, String> {
        let out = self.birdc(&["show", "bfd", "sessions"])?;
        let peer = self.peer.to_string();
        let row = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(peer.as_str()))
            .ok_or_else(|| format!("no session for {peer} in {out}"))?;
        let cols: Vec<&str> = row.split_whitespace().collect();
        // IP address, Interface, State, Since (one or two words), Interval, Timeout.
        let secs = |s: Option<&&str>| {
            s.and_then(|v| v.parse::<f64>().ok())
                .map(|v| (v * 1000.0).round() as u64)
        };
        let n = cols.len();
        Ok(RouterView {
            state: cols.get(2).map_or("?".into(), |s| s.to_lowercase()),
            remote_tx_ms: None,
            remote_rx_ms: None,
            tx_ms: secs(cols.get(n.wrapping_sub(2))),
            detect_ms: secs(cols.get(n.wrapping_sub(1))),
        })
    }

    /// The end of BIRD's log, for failure messages.
    pub fn log_tail(&self) -> String {
        self.home.log_tail(LOG_TAIL_LINES)
    }
}
