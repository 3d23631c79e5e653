//! The ToR's kernel route to the externalIP, as traffic follows it: its next hops read
//! with `ip -j route show`, and every change of them timed by `ip -o monitor route
//! nexthop`, which the kernel feeds the moment zebra replaces the route or its next-hop
//! group. Each monitor line is stamped when read and triggers one read of the route, so a
//! change is timed to within one read (a few milliseconds), without polling.

use crate::process::run;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The next hops of a route.
pub type NextHops = BTreeSet<Ipv4Addr>;

/// The next hops traffic can take in an `ip -j route show PREFIX` output: the gateways of
/// a multipath route's `nexthops` (or of a single-path route), without those the kernel
/// marks `dead`. An absent route has none.
pub fn parse_next_hops(json: &str) -> Result<NextHops, String> {
    if json.trim().is_empty() {
        return Ok(NextHops::new());
    }
    let routes: Value =
        serde_json::from_str(json).map_err(|e| format!("ip -j route: bad JSON ({e}): {json}"))?;
    let mut hops = NextHops::new();
    for route in routes.as_array().into_iter().flatten() {
        let paths = match route.get("nexthops").and_then(Value::as_array) {
            Some(paths) => paths.iter().collect(),
            None => vec![route],
        };
        for path in paths {
            let dead = path
                .get("flags")
                .and_then(Value::as_array)
                .is_some_and(|f| f.iter().any(|f| f == "dead"));
            let gateway = path.get("gateway").and_then(Value::as_str);
            if let (false, Some(gateway)) = (dead, gateway) {
                let gateway = gateway
                    .parse()
                    .map_err(|e| format!("next hop {gateway:?}: {e}"))?;
                hops.insert(gateway);
            }
        }
    }
    Ok(hops)
}

/// The next hops of the kernel route to `address` in namespace `ns`.
pub fn next_hops(ns: &str, address: Ipv4Addr) -> Result<NextHops, String> {
    let prefix = format!("{address}/32");
    parse_next_hops(&run("ip", &["-n", ns, "-j", "route", "show", &prefix])?)
}

/// When the next hops changed, and to what.
pub type Change = (Instant, NextHops);

/// Records every change of the route's next hops, with its time, until dropped.
pub struct FibWatch {
    monitor: Child,
    changes: Arc<Mutex<Vec<Change>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FibWatch {
    /// Starts watching the route to `address` in `ns`; the first change recorded is the
    /// state when the watch started.
    pub fn start(ns: &str, address: Ipv4Addr) -> Result<FibWatch, String> {
        let mut monitor = Command::new("ip")
            .args(["-n", ns, "-o", "monitor", "route", "nexthop"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start ip monitor: {e}"))?;
        let stdout = monitor
            .stdout
            .take()
            .ok_or("ip monitor has no stdout pipe")?;
        let changes = Arc::new(Mutex::new(Vec::new()));
        let initial = next_hops(ns, address)?;
        record(&changes, Instant::now(), initial);
        let (ns, sink) = (ns.to_string(), changes.clone());
        let thread = std::thread::Builder::new()
            .name("fib-watch".into())
            .spawn(move || {
                // Ends when the monitor is killed and its pipe closes.
                for line in BufReader::new(stdout).lines() {
                    let at = Instant::now();
                    if line.is_err() {
                        break;
                    }
                    if let Ok(hops) = next_hops(&ns, address) {
                        record(&sink, at, hops);
                    }
                }
            })
            .map_err(|e| format!("cannot start the FIB watch thread: {e}"))?;
        Ok(FibWatch {
            monitor,
            changes,
            thread: Some(thread),
        })
    }

    /// Every change so far, oldest first.
    pub fn changes(&self) -> Vec<Change> {
        self.changes.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The next hops as last seen.
    pub fn current(&self) -> NextHops {
        self.changes().pop().map(|(_, h)| h).unwrap_or_default()
    }
}

/// The first change at or after `since` whose next hops satisfy `wanted`.
pub fn first_change(
    changes: &[Change],
    since: Instant,
    wanted: impl Fn(&NextHops) -> bool,
) -> Option<Instant> {
    changes
        .iter()
        .find(|(at, hops)| *at >= since && wanted(hops))
        .map(|(at, _)| *at)
}

fn record(changes: &Mutex<Vec<Change>>, at: Instant, hops: NextHops) {
    if let Ok(mut changes) = changes.lock()
        && changes.last().map(|(_, h)| h) != Some(&hops)
    {
        changes.push((at, hops));
    }
}

impl Drop for FibWatch {
    fn drop(&mut self) {
        // Our own child, by its pid; its pipe closes and the thread ends.
        let _ = self.monitor.kill();
        let _ = self.monitor.wait();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests;
