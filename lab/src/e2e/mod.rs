//! The whole daemon in a rack: a [`StarRack`] of three nodes, each running the real
//! `kube-anycast run` binary against one manifests file, a top-of-rack router of one
//! flavour ([`tor`]), and a client behind it. Each node stands in for kube-proxy with
//! `externalTrafficPolicy: Local`: every externalIP is on its loopback, and a responder
//! answers the node's name on the web Service's addresses while the node has an endpoint
//! of it (ready or terminating).
//!
//! ```text
//!   client (link 4) --- ToR (AS 65000) --- node1 10.85.1.2 fd00:85:1::2 (AS 65001)
//!                                      |-- node2 10.85.2.2 fd00:85:2::2 (AS 65002)
//!                                      \-- node3 10.85.3.2 fd00:85:3::2 (AS 65003)
//! ```
//!
//! One BGP session per node, over IPv4, carrying both families; the IPv6 routes' next hop
//! is the node's global address on the link. Speakers: hold time 9 s, connect retry 1 s,
//! no graceful restart (a dead node's routes must leave), shutdown `withdraw` with a 2 s
//! drain. Everything is stopped by pid and every namespace deleted on drop; the files of a
//! failing test are kept and their place printed.

pub mod cluster;
pub mod tor;

use crate::client::{Outcome, RequestStream, requests};
use crate::prereq::Router;
use crate::process::{Daemon, run};
use crate::rack::{StarRack, TestFiles, write_manifests};
use crate::rib::Rib;
use crate::wiretap::Capture;
use crate::{CONVERGE, lab_dir, wait_until};
pub use cluster::{Cluster, EndpointState, Service};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
pub use tor::Tor;

/// The rack's nodes.
pub const NODES: usize = 3;
/// `10.<SUBNET>.0.0/16` and `fd00:<SUBNET>::/48` number the rack's links.
const SUBNET: u8 = 85;
/// The speakers' hold time, in seconds.
pub const HOLD_TIME_SECS: u64 = 9;
/// The port the responders answer on.
const HTTP_PORT: u16 = 80;

/// What kube-anycast announces from, and what the ToR's view is filtered on.
fn pools() -> [IpNet; 2] {
    [
        "203.0.113.0/24".parse().expect("a valid pool"),
        "fd00:203::/64".parse().expect("a valid pool"),
    ]
}

/// Node `i`'s address of one family (node1 is 0): the next hop it announces.
pub fn node_address(i: usize, ipv6: bool) -> IpAddr {
    if ipv6 {
        IpAddr::V6(StarRack::link_address6(SUBNET, i, 2))
    } else {
        IpAddr::V4(StarRack::node_address(SUBNET, i))
    }
}

/// The next hops of `nodes` (node1 is 0) in one family.
pub fn next_hops(nodes: &[usize], ipv6: bool) -> BTreeSet<IpAddr> {
    nodes.iter().map(|&i| node_address(i, ipv6)).collect()
}

/// The rack, its router, its speakers and its responders.
pub struct E2eRack {
    speakers: Vec<Option<Daemon>>,
    responders: BTreeMap<usize, Vec<Daemon>>,
    tor: Tor,
    cluster: Cluster,
    binary: PathBuf,
    /// Responders run (started with traffic): they follow web's endpoints.
    traffic: bool,
    files: TestFiles,
    // Last: the namespaces go after every process started in them.
    rack: StarRack,
}

impl E2eRack {
    /// Builds the rack with `router` as the ToR, starts a speaker (`binary`, the
    /// `kube-anycast` executable) on every node, with responders when `traffic`, and
    /// returns once every session is Established and every route is at the ToR. `name`
    /// (two letters) keeps the namespaces of parallel tests apart.
    pub fn start(router: Router, name: &str, binary: &Path, traffic: bool) -> E2eRack {
        let rack = StarRack::new(name, NODES, SUBNET, Service::Web.address4());
        rack.add_ipv6(SUBNET);
        for service in Service::ALL {
            for ipv6 in [false, true] {
                if service != Service::Web || ipv6 {
                    rack.add_to_loopbacks(service.prefix(ipv6));
                }
            }
        }
        let files = TestFiles(lab_dir(rack.base(), "e2e"));
        let sessions: Vec<tor::Session> = (0..NODES)
            .map(|i| tor::Session {
                tor: Ipv4Addr::new(10, SUBNET, u8::try_from(i + 1).unwrap_or(u8::MAX), 1),
                node: StarRack::node_address(SUBNET, i),
            })
            .collect();
        let tor = Tor::start(router, &rack.tor, &sessions);
        let cluster = Cluster::new(NODES);
        write_manifests(&files.0.join("cluster.json"), &cluster.manifests());
        let mut e2e = E2eRack {
            speakers: (0..NODES).map(|_| None).collect(),
            responders: BTreeMap::new(),
            tor,
            cluster,
            binary: binary.to_path_buf(),
            traffic,
            files,
            rack,
        };
        if traffic {
            for i in 0..NODES {
                e2e.start_responders(i);
            }
        }
        for i in 0..NODES {
            e2e.start_speaker(i);
        }
        e2e.wait_converged();
        e2e
    }

    /// The router's name for messages.
    pub fn tor_name(&self) -> &'static str {
        self.tor.name()
    }

    /// True when the ToR has a FIB, so client traffic follows the routes.
    pub fn has_fib(&self) -> bool {
        self.tor.has_fib()
    }

    /// This rack's private directory.
    pub fn dir(&self) -> &Path {
        &self.files.0
    }

    /// The namespaces' common prefix.
    pub fn base(&self) -> &str {
        self.rack.base()
    }

    /// The ToR's routes inside the pools (FIB, or RIB for GoBGP).
    pub fn routes(&self) -> Result<Rib, String> {
        self.tor.routes(&self.rack.tor, &pools())
    }

    /// The next hops the ToR has for `prefix` (empty when it has no route).
    pub fn next_hops_of(&self, prefix: IpNet) -> Result<BTreeSet<IpAddr>, String> {
        Ok(self.routes()?.remove(&prefix).unwrap_or_default())
    }

    /// Waits until the ToR's route to `service` in both families has exactly the next
    /// hops of `nodes` (node1 is 0; none: no route at all).
    pub fn wait_next_hops(&self, what: &str, service: Service, nodes: &[usize]) {
        wait_until(&format!("{}: {what}", self.tor_name()), CONVERGE, || {
            let routes = self.routes()?;
            for ipv6 in [false, true] {
                let want = next_hops(nodes, ipv6);
                let have = routes
                    .get(&service.prefix(ipv6))
                    .cloned()
                    .unwrap_or_default();
                if have != want {
                    return Err(format!(
                        "{} via {have:?}, want {want:?}",
                        service.prefix(ipv6)
                    ));
                }
            }
            Ok(())
        });
    }

    /// The ToR's state of the session with node `i` (node1 is 0).
    pub fn session_state(&self, i: usize) -> Result<String, String> {
        let node = StarRack::node_address(SUBNET, i);
        self.tor.session_state(i, node)
    }

    /// Waits until every session is Established and every route of the initial cluster is
    /// at the ToR, each with one next hop per node with an endpoint.
    fn wait_converged(&self) {
        wait_until(
            &format!("{}: every session Established", self.tor_name()),
            CONVERGE,
            || {
                for i in 0..NODES {
                    let state = self.session_state(i)?;
                    if state != "Established" {
                        return Err(format!("node{} {state}\n{}", i + 1, self.tor.log_tail()));
                    }
                }
                Ok(())
            },
        );
        self.wait_next_hops("web from every node", Service::Web, &[0, 1, 2]);
        self.wait_next_hops("api from node2 and node3", Service::Api, &[1, 2]);
        self.wait_routes_settled();
    }

    /// Waits until the ToR's routes stay the same for a second: just after the last
    /// session comes up the router may still rewrite them, and a rewrite can move a flow
    /// to another node in the middle of a connection.
    fn wait_routes_settled(&self) {
        let mut last: Option<(Rib, std::time::Instant)> = None;
        wait_until(
            &format!("{}: routes unchanged for a second", self.tor_name()),
            CONVERGE,
            || {
                let now = self.routes()?;
                match &last {
                    Some((seen, since)) if *seen == now => {
                        if since.elapsed() >= std::time::Duration::from_secs(1) {
                            return Ok(());
                        }
                    }
                    _ => last = Some((now, std::time::Instant::now())),
                }
                Err("still changing".to_string())
            },
        );
    }

    /// Node `i`'s speaker config.
    fn speaker_config(&self, i: usize) -> String {
        let n = i + 1;
        let [pool4, pool6] = pools();
        format!(
            "node_name: node{n}\nlocal_asn: {asn}\nrouter_id: {id}\n\
             source: {{manifests: [{m}]}}\n\
             announce: {{allowed_cidrs: [{pool4}, \"{pool6}\"]}}\n\
             peers:\n  - {{name: tor, address: 10.{SUBNET}.{n}.1, asn: {tor}, hold_time: {HOLD_TIME_SECS}s, \
             connect_retry: 1s, families: [ipv4, ipv6]}}\n\
             graceful_restart: {{restart_time: 0s}}\n\
             shutdown: {{mode: withdraw, drain: 2s}}\n\
             http: {{listen: \"127.0.0.1:9179\"}}\n",
            asn = tor::node_asn(i),
            id = StarRack::node_address(SUBNET, i),
            m = self.files.0.join("cluster.json").display(),
            tor = tor::TOR_ASN,
        )
    }

    fn speaker_log(&self, i: usize) -> PathBuf {
        self.files.0.join(format!("speaker-node{}.log", i + 1))
    }

    /// Starts node `i`'s speaker (again); its log is appended to.
    pub fn start_speaker(&mut self, i: usize) {
        let config = self.files.0.join(format!("node{}.yaml", i + 1));
        std::fs::write(&config, self.speaker_config(i))
            .unwrap_or_else(|e| panic!("lab setup: write {}: {e}", config.display()));
        let binary = self.binary.display().to_string();
        let config = config.display().to_string();
        // `env` execs the daemon in place: the recorded pid is the daemon's.
        self.speakers[i] = Some(Daemon::spawn_in(
            &self.rack.nodes[i],
            &format!("speaker-node{}", i + 1),
            &self.speaker_log(i),
            "env",
            &[
                "RUST_LOG=info",
                "NO_COLOR=1",
                &binary,
                "run",
                "--config",
                &config,
            ],
        ));
    }

    /// Sends `signal` to node `i`'s speaker.
    pub fn signal_speaker(&self, i: usize, signal: libc::c_int) {
        let speaker = self.speakers[i]
            .as_ref()
            .unwrap_or_else(|| panic!("node{}'s speaker is not running", i + 1));
        speaker
            .signal(signal)
            .unwrap_or_else(|e| panic!("lab: {e}"));
    }

    /// Waits until node `i`'s speaker has exited; its exit code.
    pub fn wait_speaker_exit(&mut self, i: usize) -> Option<i32> {
        let mut speaker = self.speakers[i]
            .take()
            .unwrap_or_else(|| panic!("node{}'s speaker is not running", i + 1));
        let status = speaker.wait_exit(CONVERGE);
        assert!(
            status.is_some(),
            "node{}'s speaker did not exit\n{}",
            i + 1,
            self.speaker_log_text(i)
        );
        status.and_then(|s| s.code())
    }

    /// True while node `i`'s speaker runs.
    pub fn speaker_running(&mut self, i: usize) -> bool {
        self.speakers[i].as_mut().is_some_and(Daemon::is_running)
    }

    /// Everything node `i`'s speakers logged so far.
    pub fn speaker_log_text(&self, i: usize) -> String {
        std::fs::read_to_string(self.speaker_log(i)).unwrap_or_default()
    }

    /// Panics if any speaker's log shows a panic.
    pub fn assert_no_panic(&self) {
        for i in 0..NODES {
            let log = self.speaker_log_text(i);
            assert!(!log.is_empty(), "node{}'s speaker logged nothing", i + 1);
            assert!(
                !log.contains("panicked"),
                "node{}'s speaker panicked:\n{log}",
                i + 1
            );
        }
    }

    /// Moves node `i`'s endpoint of `service` to `state`, as kube-proxy and the
    /// EndpointSlice controller would: the responder (in a rack with traffic) serves before
    /// the endpoint appears in the slice and stops only after it left.
    pub fn set_endpoint(&mut self, i: usize, service: Service, state: EndpointState) {
        let serves = self.traffic && service == Service::Web;
        if serves && state != EndpointState::Gone && !self.responders.contains_key(&i) {
            self.start_responders(i);
        }
        self.cluster.set(i, service, state);
        write_manifests(
            &self.files.0.join("cluster.json"),
            &self.cluster.manifests(),
        );
        if serves && state == EndpointState::Gone {
            self.responders.remove(&i);
        }
    }

    /// Starts node `i`'s responders for web (IPv4 and IPv6) and waits until they listen.
    fn start_responders(&mut self, i: usize) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbed/responder.py");
        let script = script.display().to_string();
        let ns = &self.rack.nodes[i];
        let name = format!("node{}", i + 1);
        let port = HTTP_PORT.to_string();
        let daemons = [false, true]
            .iter()
            .map(|&ipv6| {
                let address = Service::Web.address(ipv6).to_string();
                let log = self.files.0.join(format!("{name}-responder-{address}.log"));
                Daemon::spawn_in(
                    ns,
                    &name,
                    &log,
                    "python3",
                    &[&script, &address, &port, &name],
                )
            })
            .collect();
        self.responders.insert(i, daemons);
        wait_until("the responders to listen", CONVERGE, || {
            let out = run(
                "ip",
                &["netns", "exec", ns, "ss", "-Hltn", "sport", "=", ":80"],
            )?;
            match out.lines().count() {
                2 => Ok(()),
                n => Err(format!("{n} of 2 listen in {ns}")),
            }
        });
    }

    /// `count` requests from the client to web's address of one family.
    pub fn requests(&self, count: usize, ipv6: bool) -> Outcome {
        requests(
            &self.rack.client,
            Service::Web.address(ipv6),
            HTTP_PORT,
            count,
        )
    }

    /// Requests to web's IPv4 address in the background until finished.
    pub fn request_stream(&self) -> RequestStream {
        RequestStream::start(
            &self.rack.client,
            Service::Web.address(false),
            HTTP_PORT,
            &self.files.0,
        )
    }

    /// Starts capturing the BGP packets on the ToR's link to node `i`.
    pub fn capture(&self, i: usize) -> Capture {
        Capture::start(
            &self.rack.tor,
            &self.rack.tor_interface(i),
            &self.files.0,
            &format!("node{}", i + 1),
        )
    }

    /// Polls (every 20 ms, so the time printed is not rounded up to the poll) until
    /// `check` holds, up to `deadline`; how long it took, or the last reason with the
    /// time waited.
    pub fn poll(
        &self,
        deadline: Duration,
        mut check: impl FnMut(&E2eRack) -> Result<(), String>,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            match check(self) {
                Ok(()) => return Ok(start.elapsed()),
                Err(e) if start.elapsed() >= deadline => {
                    return Err(format!("{e} (after {:?})", start.elapsed()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for E2eRack {
    /// A failing test shows what the router and each speaker said last.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        eprintln!("{} log: {}", self.tor.name(), self.tor.log_tail());
        for i in 0..NODES {
            eprintln!("{}", crate::tail(&self.speaker_log(i), 12));
        }
    }
}

/// True when `routes` has `service`'s routes without any next hop of node `i` and with
/// at least one other next hop (the rest of the rack still announces).
pub fn left_without(routes: &Rib, service: Service, i: usize) -> Result<(), String> {
    for ipv6 in [false, true] {
        let prefix = service.prefix(ipv6);
        let hops = routes.get(&prefix).cloned().unwrap_or_default();
        if hops.contains(&node_address(i, ipv6)) {
            return Err(format!("{prefix} still via node{}: {hops:?}", i + 1));
        }
        if hops.is_empty() {
            return Err(format!("{prefix} has no next hop left at all"));
        }
    }
    Ok(())
}

/// One `#[test]` per router for a scenario, so each router's run passes or fails on its
/// own: `for_routers!(rule)` defines the module `rule` with the tests `rule::frr`,
/// `rule::bird` and `rule::gobgp`, each calling `rule(Router::Frr, "rule::frr")` and so
/// on. `for_routers!(rule: Frr, Bird)` names the routers where a scenario needs something
/// not every ToR has. The test names come from the rule, so they cannot drift from it.
#[macro_export]
macro_rules! for_routers {
    ($rule:ident) => {
        $crate::for_routers!($rule: Frr, Bird, Gobgp);
    };
    ($rule:ident: $($router:ident),+ $(,)?) => {
        mod $rule {
            $($crate::for_routers!(@test $rule, $router);)+
        }
    };
    (@test $rule:ident, Frr) => {
        $crate::for_routers!(@test $rule, Frr, frr);
    };
    (@test $rule:ident, Bird) => {
        $crate::for_routers!(@test $rule, Bird, bird);
    };
    (@test $rule:ident, Gobgp) => {
        $crate::for_routers!(@test $rule, Gobgp, gobgp);
    };
    (@test $rule:ident, $router:ident, $test:ident) => {
        #[test]
        fn $test() {
            super::$rule(
                $crate::prereq::Router::$router,
                concat!(stringify!($rule), "::", stringify!($test)),
            );
        }
    };
}
