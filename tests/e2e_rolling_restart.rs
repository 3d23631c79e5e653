//! Rolling restarts end to end (issue 7): three nodes announce the same /32 to one ToR,
//! each running the real `kube-anycast run` binary with the manifests source and a small
//! TCP responder on the anycast address standing in for its pods; a client behind the ToR
//! sends a steady stream of requests to the address while the three speakers are
//! restarted one after another (SIGTERM, wait for the exit, start again with the same
//! config).
//!
//! ```text
//!   client (10.83.4.2) --- ToR (10.83.{1,2,3,4}.1, AS 65000) --- node1 (10.83.1.2, AS 65001)
//!                                                            |-- node2 (10.83.2.2, AS 65002)
//!                                                            \-- node3 (10.83.3.2, AS 65003)
//! ```
//!
//! - `shutdown.mode: graceful-restart`, the ToR a graceful-restart helper: the ToR's route
//!   to the address is never deleted (FRR with zebra and BIRD with its kernel protocol:
//!   `ip monitor route` in the ToR namespace shows no `Deleted` line for it; GoBGP, which
//!   has no FIB: its RIB, polled, always holds the path) and no request fails (FRR and
//!   BIRD only: without a FIB on GoBGP, traffic cannot follow BGP, so it runs no client).
//! - The same, with node2's endpoint moving away while node2 is down: once node2's new
//!   session has sent End-of-RIB, its stale path is gone and the route stays for the
//!   other two nodes.
//! - `shutdown.mode: withdraw` (drain 2 s): each node's next hop leaves the route before
//!   its process exits and comes back after the restart; the route is never deleted and
//!   no request fails.
//!
//! The time from each SIGTERM to the ToR seeing the new session Established (and, on
//! FRR, to its stale paths being gone: End-of-RIB received) is printed, not asserted.
//! Every namespace, process and file is removed on drop, even when a test fails;
//! processes are stopped by their recorded pids.

use lab::client::{Failure, RequestStream};
use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::frr::{Frr, vtysh_json_through};
use lab::kernel_route::RouteMonitor;
use lab::prereq::{Router, lab_available};
use lab::process::{Daemon as LabProcess, must, run};
use lab::rack::{RESPONDER_PORT, StarRack, TOR_ASN, TestFiles, anycast_service, write_manifests};
use lab::{CONVERGE, lab_dir, wait_until};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

const ANYCAST: &str = "203.0.113.20";
const NODES: usize = 3;
/// How long after a request started a change of the next hops may come for a reset of that
/// request to count as an ECMP rehash: the request's own few milliseconds, plus the 20 ms
/// polling of the route and its own duration.
const REHASH_WINDOW: f64 = 0.1;

/// Seconds since the epoch, as the client and `ip -ts monitor` stamp their lines.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The ToR, three nodes and a client on `10.83.0.0/16`, wired and addressed.
fn new_rack() -> StarRack {
    StarRack::new("kr", NODES, 83, ANYCAST.parse().unwrap())
}

fn node_address(i: usize) -> Ipv4Addr {
    StarRack::node_address(83, i)
}

fn all_nodes() -> BTreeSet<Ipv4Addr> {
    (0..NODES).map(node_address).collect()
}

/// Which router is the ToR, and how to ask it about the anycast route and the sessions.
#[derive(Clone)]
enum Query {
    /// FRR with zebra: the kernel route, `vtysh` for sessions.
    Frr { ns: String, vty: PathBuf },
    /// BIRD with its kernel protocol: the kernel route, `birdc` for sessions.
    Bird { ns: String, socket: String },
    /// GoBGP, no FIB: its RIB, `gobgp` for sessions.
    Gobgp { ns: String },
}

impl Query {
    fn name(&self) -> &'static str {
        match self {
            Query::Frr { .. } => "FRR",
            Query::Bird { .. } => "BIRD",
            Query::Gobgp { .. } => "GoBGP",
        }
    }

    fn has_fib(&self) -> bool {
        !matches!(self, Query::Gobgp { .. })
    }

    /// The next hops of the anycast route: in the ToR's kernel table, or in GoBGP's RIB.
    fn next_hops(&self) -> Result<BTreeSet<Ipv4Addr>, String> {
        match self {
            Query::Frr { ns, .. } | Query::Bird { ns, .. } => kernel_next_hops(ns),
            Query::Gobgp { ns } => {
                let out = run(
                    "ip",
                    &[
                        "netns", "exec", ns, "gobgp", "global", "rib", "-a", "ipv4", "-j",
                    ],
                )?;
                let mut rib = lab::rib::Rib::new();
                if !out.trim().is_empty() {
                    let v: Value = serde_json::from_str(&out)
                        .map_err(|e| format!("gobgp global rib -j: bad JSON ({e}): {out}"))?;
                    lab::gobgp::parse_rib(&v, &mut rib)?;
                }
                let prefix = format!("{ANYCAST}/32").parse().unwrap();
                Ok(rib
                    .get(&prefix)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| match a {
                        IpAddr::V4(a) => Some(*a),
                        IpAddr::V6(_) => None,
                    })
                    .collect())
            }
        }
    }

    /// Whether the ToR's session with node `i` is Established.
    fn established(&self, i: usize) -> Result<bool, String> {
        let address = node_address(i);
        match self {
            Query::Frr { vty, .. } => {
                let v = vtysh_json_through(vty, &format!("show bgp neighbors {address} json"))?;
                Ok(v.pointer(&format!("/{address}/bgpState"))
                    .and_then(Value::as_str)
                    == Some("Established"))
            }
            Query::Bird { socket, .. } => {
                let out = run(
                    "birdc",
                    &[
                        "-s",
                        socket,
                        "show",
                        "protocols",
                        "all",
                        &format!("node{}", i + 1),
                    ],
                )?;
                Ok(lab::bird::parse_bgp_state(&out).as_deref() == Some("Established"))
            }
            Query::Gobgp { ns } => {
                let out = run("ip", &["netns", "exec", ns, "gobgp", "neighbor", "-j"])?;
                let v: Value = serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))?;
                let a = address.to_string();
                Ok(v.as_array().into_iter().flatten().any(|n| {
                    n.pointer("/conf/neighbor_address").and_then(Value::as_str) == Some(a.as_str())
                        && n.pointer("/state/session_state").and_then(Value::as_u64) == Some(6)
                }))
            }
        }
    }

    /// FRR only: how many paths are marked stale (kept for a restarting peer). `None`
    /// on the other routers.
    fn stale_paths(&self) -> Option<Result<usize, String>> {
        let Query::Frr { vty, .. } = self else {
            return None;
        };
        let table = vtysh_json_through(vty, "show bgp ipv4 unicast json");
        Some(table.map(|v| {
            v.get("routes")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|r| r.values())
                .filter_map(Value::as_array)
                .flatten()
                .filter(|p| p.get("stale").and_then(Value::as_bool) == Some(true))
                .count()
        }))
    }
}

/// The next hops of the kernel route to the anycast address in namespace `ns`.
fn kernel_next_hops(ns: &str) -> Result<BTreeSet<Ipv4Addr>, String> {
    Ok(lab::kernel_route::next_hops(ns, ANYCAST)?
        .into_keys()
        .collect())
}

/// The ToR router's processes, stopped by pid on drop (held only for that).
#[allow(dead_code)]
enum Tor {
    Frr(Frr),
    Other(LabProcess),
}

fn frr_tor(rack: &StarRack) -> (Tor, Query) {
    // Graceful restart (helper for the nodes), multipath across the nodes' ASes.
    let frr = lab::frr_ebgp::star_tor(rack, &["bgp graceful-restart"]);
    let vty = frr_dir(&rack.tor);
    let query = Query::Frr {
        ns: rack.tor.clone(),
        vty,
    };
    (Tor::Frr(frr), query)
}

/// FRR's private directory (its vty sockets and logs), as `Frr::start` made it.
fn frr_dir(ns: &str) -> PathBuf {
    std::env::temp_dir()
        .join("kube-anycast-lab")
        .join(format!("{ns}-frr"))
}

/// BIRD 2: graceful restart on, the kernel protocol merging equal paths into ECMP.
fn bird_tor(rack: &StarRack, dir: &Path) -> (Tor, Query) {
    let mut c = format!(
        "log \"{}\" all;\nrouter id 10.83.1.1;\nprotocol device {{ scan time 2; }}\n\
         protocol kernel {{ ipv4 {{ export all; }}; merge paths on; }}\n",
        dir.join("bird.log").display()
    );
    for i in 0..NODES {
        let n = i + 1;
        c.push_str(&format!(
            "protocol bgp node{n} {{ local 10.83.{n}.1 as {TOR_ASN}; neighbor 10.83.{n}.2 as {}; \
             hold time 9; keepalive time 3; connect retry time 1; error wait time 1, 10; \
             graceful restart on; ipv4 {{ import all; export none; }}; }}\n",
            StarRack::node_asn(i)
        ));
    }
    let conf = dir.join("bird.conf");
    std::fs::write(&conf, c).unwrap();
    let conf = conf.display().to_string();
    must("bird", &["-p", "-c", &conf]);
    let socket = dir.join("bird.ctl").display().to_string();
    let pid = dir.join("bird.pid").display().to_string();
    let bird = LabProcess::spawn_in(
        &rack.tor,
        "bird",
        &dir.join("bird.out"),
        "bird",
        &["-f", "-s", &socket, "-P", &pid, "-c", &conf],
    );
    wait_until("BIRD's control socket", CONVERGE, || {
        run("birdc", &["-s", &socket, "show", "status"]).map(|_| ())
    });
    let query = Query::Bird {
        ns: rack.tor.clone(),
        socket,
    };
    (Tor::Other(bird), query)
}

/// GoBGP with graceful restart (helper) on every neighbor; RIB only.
fn gobgp_tor(rack: &StarRack, dir: &Path) -> (Tor, Query) {
    let mut c =
        format!("[global.config]\n  as = {TOR_ASN}\n  router-id = \"10.83.1.1\"\n  port = 179\n");
    for i in 0..NODES {
        c.push_str(&format!(
            "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{}\"\n    peer-as = {}\n\
             \x20 [neighbors.timers.config]\n    connect-retry = 1\n    hold-time = 9\n    keepalive-interval = 3\n\
             \x20 [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = 120\n\
             \x20 [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n\
             \x20   [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n",
            node_address(i),
            StarRack::node_asn(i)
        ));
    }
    let conf = dir.join("gobgpd.toml");
    std::fs::write(&conf, c).unwrap();
    let conf = conf.display().to_string();
    let gobgpd = LabProcess::spawn_in(
        &rack.tor,
        "gobgpd",
        &dir.join("gobgpd.log"),
        "gobgpd",
        &["-f", &conf, "--pprof-disable"],
    );
    let ns = rack.tor.clone();
    wait_until("GoBGP's API", CONVERGE, || {
        run("ip", &["netns", "exec", &ns, "gobgp", "neighbor", "-j"]).map(|_| ())
    });
    (Tor::Other(gobgpd), Query::Gobgp { ns })
}

/// The cluster: one Service on the anycast address, one ready endpoint on each node in
/// `nodes` (1-based).
fn manifests(nodes: &[usize]) -> Value {
    let endpoints: Vec<Value> = nodes
        .iter()
        .map(|n| {
            json!({"addresses": [format!("10.244.{n}.1")], "nodeName": format!("node{n}"),
                "conditions": {"ready": true}})
        })
        .collect();
    anycast_service(ANYCAST, endpoints)
}

/// How the speakers shut down.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    GracefulRestart,
    Withdraw,
}

/// Node `i`'s config (the same for every start of it).
fn node_config(i: usize, manifests: &Path, mode: Mode) -> String {
    let n = i + 1;
    let shutdown = match mode {
        Mode::GracefulRestart => "{mode: graceful-restart}",
        Mode::Withdraw => "{mode: withdraw, drain: 2s}",
    };
    format!(
        "node_name: node{n}\nlocal_asn: {asn}\nrouter_id: 10.83.{n}.2\n\
         source: {{manifests: [{m}]}}\n\
         announce: {{allowed_cidrs: [203.0.113.0/24]}}\n\
         graceful_restart: {{restart_time: 120s}}\n\
         shutdown: {shutdown}\n\
         peers:\n  - {{name: tor, address: 10.83.{n}.1, asn: {TOR_ASN}, hold_time: 9s, connect_retry: 1s, families: [ipv4]}}\n",
        asn = StarRack::node_asn(i),
        m = manifests.display(),
    )
}

/// The responders standing in for each node's pods: answer the node's name on the
/// anycast address. They keep running while the speakers restart.
fn responders(rack: &StarRack, dir: &Path) -> Vec<LabProcess> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testbed/responder.py");
    let procs = rack.start_responders(&script, ANYCAST.parse().unwrap(), dir);
    rack.wait_for_responders();
    procs
}

/// When the next hops changed (seconds since the epoch) and to what.
type Change = (f64, BTreeSet<Ipv4Addr>);

/// Polls the anycast route's next hops every 20 ms on a thread and records each change
/// with its time, and every moment the route was absent.
struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    changes: Arc<Mutex<Vec<Change>>>,
}

impl Watcher {
    fn start(query: &Query) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let changes = Arc::new(Mutex::new(Vec::new()));
        let (q, s, c) = (query.clone(), stop.clone(), changes.clone());
        let thread = std::thread::spawn(move || {
            let mut last: Option<BTreeSet<Ipv4Addr>> = None;
            while !s.load(Ordering::Relaxed) {
                if let Ok(hops) = q.next_hops()
                    && last.as_ref() != Some(&hops)
                {
                    c.lock().unwrap().push((now(), hops.clone()));
                    last = Some(hops);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Watcher {
            stop,
            thread: Some(thread),
            changes,
        }
    }

    fn finish(mut self) -> Vec<Change> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        std::mem::take(&mut *self.changes.lock().unwrap())
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What a scenario does while node2 (index 1) is down.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// Every node keeps its endpoint.
    Steady,
    /// node2's endpoint moves away while node2 is down.
    Node2EndpointMoves,
}

/// Like `lab::wait_until`, polling every 20 ms instead of 200 ms, so the restart times
/// printed are not rounded up to the poll; still a deadline, not a timing assertion.
fn poll_until<T>(what: &str, deadline: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let end = Instant::now() + deadline;
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() >= end => panic!("timed out waiting for {what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Starts node `i`'s speaker (incarnation `k`: a fresh private directory each time, the
/// same config).
fn start_node(rack: &StarRack, i: usize, k: usize, config: &str) -> DaemonUnderTest {
    DaemonUnderTest::start_in(
        BINARY,
        Some(&rack.nodes[i]),
        test_dir(&format!("e2e-rr-{}-node{}-{k}", rack.base(), i + 1)),
        config,
        &[],
    )
}

fn fmt_hops(hops: &BTreeSet<Ipv4Addr>) -> String {
    let v: Vec<String> = hops.iter().map(ToString::to_string).collect();
    format!("[{}]", v.join(", "))
}

/// The whole scenario against one ToR.
fn rolling_restart(router: Router, mode: Mode, variant: Variant, label: &str) {
    let rack = new_rack();
    let files = TestFiles(lab_dir(rack.base(), label));
    let (_tor, query) = match router {
        Router::Frr => frr_tor(&rack),
        Router::Bird => bird_tor(&rack, &files.0),
        Router::Gobgp => gobgp_tor(&rack, &files.0),
        other => panic!("no rolling restart scenario for {other:?}"),
    };
    let manifests_path = files.0.join("cluster.json");
    write_manifests(&manifests_path, &manifests(&[1, 2, 3]));
    let _responders = responders(&rack, &files.0);
    let configs: Vec<String> = (0..NODES)
        .map(|i| node_config(i, &manifests_path, mode))
        .collect();
    let mut nodes: Vec<Option<DaemonUnderTest>> = (0..NODES)
        .map(|i| Some(start_node(&rack, i, 0, &configs[i])))
        .collect();
    let tor_name = query.name();
    wait_until(
        &format!("{tor_name}: the route with all three next hops"),
        CONVERGE,
        || {
            let hops = query.next_hops()?;
            if hops == all_nodes() {
                Ok(())
            } else {
                Err(format!("next hops {}", fmt_hops(&hops)))
            }
        },
    );
    for i in 0..NODES {
        wait_until("the session Established", CONVERGE, || {
            query
                .established(i)?
                .then_some(())
                .ok_or_else(|| format!("node{} not Established", i + 1))
        });
    }
    if let Some(Ok(0)) = query.stale_paths() {
    } else if query.stale_paths().is_some() {
        panic!("stale paths before any restart: {:?}", query.stale_paths());
    }
    eprintln!(
        "{tor_name}, shutdown {mode:?}: route {}",
        must("ip", &["-n", &rack.tor, "route", "show", ANYCAST]).trim()
    );

    let monitor = RouteMonitor::start(&rack.tor, files.0.join("ip-monitor.log"), true);
    let watcher = Watcher::start(&query);
    // Traffic follows BGP only where the ToR has a FIB: GoBGP's RIB is polled instead.
    let client = query.has_fib().then(|| {
        RequestStream::start(
            &rack.client,
            ANYCAST.parse().unwrap(),
            RESPONDER_PORT,
            &files.0,
        )
    });
    if client.is_some() {
        // Some requests before the first restart.
        wait_until("the client's first answers", CONVERGE, || {
            let log =
                std::fs::read_to_string(files.0.join("node1-responder.log")).unwrap_or_default();
            if log.contains("GET") {
                Ok(())
            } else {
                Err("no request yet".to_string())
            }
        });
    }
    std::thread::sleep(Duration::from_secs(1));

    let mut report = Vec::new();
    for i in 0..NODES {
        let n = i + 1;
        let mut old = nodes[i].take().unwrap();
        let sigterm_at = now();
        let t0 = Instant::now();
        old.signal(nix::sys::signal::Signal::SIGTERM);
        if mode == Mode::Withdraw {
            // The next hop leaves the route while the process is still draining.
            poll_until(
                &format!("{tor_name}: node{n}'s next hop gone while it drains"),
                CONVERGE,
                || {
                    let hops = query.next_hops()?;
                    if hops.contains(&node_address(i)) {
                        return Err(format!("next hops {}", fmt_hops(&hops)));
                    }
                    Ok(())
                },
            );
            let running = old.child.try_wait().unwrap().is_none();
            assert!(
                running,
                "node{n}'s next hop left the route only after its process exited\n{}",
                old.log()
            );
            eprintln!(
                "  node{n}: next hop gone {:.3} s after SIGTERM, process still running",
                t0.elapsed().as_secs_f64()
            );
        }
        let code = old.wait_exit();
        let exited = t0.elapsed();
        assert_eq!(code, Some(0), "node{n} exit code\n{}", old.log());
        let old_log = old.log();
        drop(old);
        poll_until(
            &format!("{tor_name} to see node{n}'s session go down"),
            CONVERGE,
            || match query.established(i)? {
                true => Err("still Established".to_string()),
                false => Ok(()),
            },
        );
        let down = t0.elapsed();
        if mode == Mode::GracefulRestart {
            // The helper keeps node2's path while it is down.
            let hops = query.next_hops().unwrap();
            assert!(
                hops.contains(&node_address(i)),
                "{tor_name} dropped node{n}'s path as soon as its session closed: {}\nold log:\n{old_log}",
                fmt_hops(&hops)
            );
        }
        if variant == Variant::Node2EndpointMoves && i == 1 {
            write_manifests(&manifests_path, &manifests(&[1, 3]));
            eprintln!("  node2 down: its endpoint moved away (manifests rewritten)");
        }
        let new = start_node(&rack, i, 1, &configs[i]);
        poll_until(
            &format!("{tor_name}: node{n}'s new session Established"),
            CONVERGE,
            || match query.established(i)? {
                true => Ok(()),
                false => Err(format!("not yet; daemon log:\n{}", new.log())),
            },
        );
        let established = t0.elapsed();
        let expected: BTreeSet<Ipv4Addr> = if variant == Variant::Node2EndpointMoves && i >= 1 {
            [node_address(0), node_address(2)].into()
        } else {
            all_nodes()
        };
        // FRR marks what it kept as stale: gone once End-of-RIB has arrived.
        let eor = query.stale_paths().map(|_| {
            poll_until(
                &format!("{tor_name}: no stale paths after node{n}'s End-of-RIB"),
                CONVERGE,
                || match query.stale_paths().unwrap()? {
                    0 => Ok(()),
                    s => Err(format!("{s} stale paths")),
                },
            );
            t0.elapsed()
        });
        poll_until(
            &format!("{tor_name}: the route's next hops after node{n}'s restart"),
            CONVERGE,
            || {
                let hops = query.next_hops()?;
                if hops == expected {
                    Ok(())
                } else {
                    Err(format!("next hops {}", fmt_hops(&hops)))
                }
            },
        );
        let settled = t0.elapsed();
        let line = format!(
            "  node{n}: SIGTERM at {sigterm_at:.3}; exited +{:.3} s, {tor_name} saw the session down +{:.3} s, new session Established +{:.3} s{}, next hops {} +{:.3} s",
            exited.as_secs_f64(),
            down.as_secs_f64(),
            established.as_secs_f64(),
            eor.map(|d| format!(", stale paths gone (End-of-RIB) +{:.3} s", d.as_secs_f64()))
                .unwrap_or_default(),
            fmt_hops(&expected),
            settled.as_secs_f64(),
        );
        eprintln!("{line}");
        report.push(line);
        nodes[i] = Some(new);
        // A little traffic on the settled rack before the next restart.
        std::thread::sleep(Duration::from_secs(1));
    }

    let result = client.map(RequestStream::finish);
    let changes = watcher.finish();
    let events = monitor.finish();
    let (ok, failed) = match &result {
        Some(result) => {
            eprintln!("{tor_name}, shutdown {mode:?}: {}", result.describe());
            (result.ok, result.failed.clone())
        }
        None => {
            eprintln!(
                "{tor_name}, shutdown {mode:?}: no FIB, no client traffic; the RIB was polled every 20 ms"
            );
            (1, Vec::new())
        }
    };
    for (at, hops) in &changes {
        eprintln!("  next hops at {at:.3}: {}", fmt_hops(hops));
    }
    let route_events: Vec<&str> = events.lines().filter(|l| l.contains(ANYCAST)).collect();
    eprintln!("  ip monitor: {} lines about {ANYCAST}", route_events.len());
    for l in &route_events {
        eprintln!("    {l}");
    }
    let mut problems = Vec::new();
    if query.has_fib() {
        let deleted: Vec<&&str> = route_events
            .iter()
            .filter(|l| l.contains("Deleted"))
            .collect();
        if !deleted.is_empty() {
            problems.push(format!(
                "the ToR's kernel route was deleted: {deleted:?}\nip monitor:\n{events}"
            ));
        }
    }
    if query.has_fib() && (mode == Mode::Withdraw || variant == Variant::Node2EndpointMoves) {
        // The next hop list changed: ip monitor must have seen it, or it saw nothing.
        if route_events.is_empty() {
            problems.push(format!("ip monitor saw no change of the route:\n{events}"));
        }
    }
    if mode == Mode::GracefulRestart && variant == Variant::Steady {
        // Graceful restart: not even a next hop may leave the route.
        if changes.len() != 1 || changes[0].1 != all_nodes() {
            problems.push(format!(
                "the next hops moved during graceful restarts: {changes:?}"
            ));
        }
    }
    let absent: Vec<&Change> = changes.iter().filter(|(_, h)| h.is_empty()).collect();
    if !absent.is_empty() {
        problems.push(format!("the route was absent at {absent:?}"));
    }
    // Stateless ECMP rehashes flows whenever the next hop set changes, so a connection in
    // flight at that instant can land on another node, which resets it (testbed/README.md).
    // Such resets are shown apart; any other failure (refused, timed out, no route), or a
    // reset away from a change of the next hops, fails the test.
    let (rehash_resets, failed): (Vec<Failure>, Vec<Failure>) = failed.into_iter().partition(|f| {
        f.reset
            && changes
                .iter()
                .skip(1)
                .any(|(t, _)| *t >= f.at && *t - f.at <= REHASH_WINDOW)
    });
    if !rehash_resets.is_empty() {
        eprintln!(
            "{tor_name}, shutdown {mode:?}: {} connection(s) reset by an ECMP rehash as the next hops changed (not failures)",
            rehash_resets.len()
        );
    }
    if !failed.is_empty() {
        // Where each failure fell relative to the route's changes, for whoever reads this.
        let described: Vec<String> = failed
            .iter()
            .map(|f| {
                let at = f.at;
                let nearest = changes
                    .iter()
                    .skip(1)
                    .min_by(|a, b| (a.0 - at).abs().total_cmp(&(b.0 - at).abs()));
                match nearest {
                    Some((t, hops)) => format!(
                        "request started at {at:.3}: {}; nearest next hop change seen {:+.0} ms later (to {})",
                        f.error,
                        (t - at) * 1000.0,
                        fmt_hops(hops)
                    ),
                    None => format!("request started at {at:.3}: {}; the route never changed", f.error),
                }
            })
            .collect();
        problems.push(format!(
            "{} requests failed:\n{}",
            failed.len(),
            described.join("\n")
        ));
    }
    if ok == 0 {
        problems.push("no request answered".to_string());
    }
    if !problems.is_empty() {
        for n in nodes.iter().flatten() {
            eprintln!("{} log:\n{}", n.dir.display(), n.log());
        }
        let router_log = match &query {
            Query::Frr { .. } => lab::tail(&frr_dir(&rack.tor).join("bgpd.log"), 60),
            Query::Bird { .. } => lab::tail(&files.0.join("bird.log"), 60),
            Query::Gobgp { .. } => lab::tail(&files.0.join("gobgpd.log"), 60),
        };
        panic!(
            "{tor_name}, shutdown {mode:?}:\n{}\nrouter log:\n{router_log}",
            problems.join("\n")
        );
    }
}

macro_rules! scenario {
    ($name:ident, $router:expr, $mode:expr, $variant:expr) => {
        #[test]
        fn $name() {
            if !lab_available(stringify!($name), &[$router]) {
                return;
            }
            rolling_restart($router, $mode, $variant, stringify!($name));
        }
    };
}

scenario!(
    frr_graceful_restart_keeps_the_route,
    Router::Frr,
    Mode::GracefulRestart,
    Variant::Steady
);
scenario!(
    frr_graceful_restart_flushes_a_moved_endpoint_after_end_of_rib,
    Router::Frr,
    Mode::GracefulRestart,
    Variant::Node2EndpointMoves
);
scenario!(
    frr_withdraw_moves_traffic_before_exit,
    Router::Frr,
    Mode::Withdraw,
    Variant::Steady
);
scenario!(
    bird_graceful_restart_keeps_the_route,
    Router::Bird,
    Mode::GracefulRestart,
    Variant::Steady
);
scenario!(
    bird_graceful_restart_flushes_a_moved_endpoint_after_end_of_rib,
    Router::Bird,
    Mode::GracefulRestart,
    Variant::Node2EndpointMoves
);
scenario!(
    bird_withdraw_moves_traffic_before_exit,
    Router::Bird,
    Mode::Withdraw,
    Variant::Steady
);
scenario!(
    gobgp_graceful_restart_keeps_the_path,
    Router::Gobgp,
    Mode::GracefulRestart,
    Variant::Steady
);
scenario!(
    gobgp_graceful_restart_flushes_a_moved_endpoint_after_end_of_rib,
    Router::Gobgp,
    Mode::GracefulRestart,
    Variant::Node2EndpointMoves
);
scenario!(
    gobgp_withdraw_moves_traffic_before_exit,
    Router::Gobgp,
    Mode::Withdraw,
    Variant::Steady
);
