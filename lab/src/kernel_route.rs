//! The kernel's route to one address in a namespace, as `ip route show` prints it: its
//! next hops and their weights. On a ToR with a FIB (FRR with zebra, BIRD with its kernel
//! protocol) this is where traffic really goes, whatever the router's RIB says.

use crate::process::{Daemon, run};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// The next hops of the kernel route to `destination` in namespace `ns`, with their
/// weights; empty when there is no route.
pub fn next_hops(ns: &str, destination: &str) -> Result<BTreeMap<Ipv4Addr, u32>, String> {
    parse_next_hops(&run("ip", &["-n", ns, "route", "show", destination])?)
}

/// The next hops of `ip route show` output: each `via ADDRESS`, with the `weight` on its
/// line, 1 when the kernel prints none (a single path).
pub fn parse_next_hops(out: &str) -> Result<BTreeMap<Ipv4Addr, u32>, String> {
    let mut hops = BTreeMap::new();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(via) = words.iter().position(|w| *w == "via") else {
            continue;
        };
        let address: Ipv4Addr = words
            .get(via + 1)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("no address after via: {line}"))?;
        let weight = match words.iter().position(|w| *w == "weight") {
            Some(at) => words
                .get(at + 1)
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| format!("bad weight: {line}"))?,
            None => 1,
        };
        hops.insert(address, weight);
    }
    Ok(hops)
}

/// `ip monitor route` in a namespace: every change of the kernel's routes logged, so that
/// a test can show that a route was never deleted while its next hops changed.
pub struct RouteMonitor {
    process: Daemon,
    log: PathBuf,
}

impl RouteMonitor {
    /// Starts monitoring namespace `ns` into `log`; with `timestamps` each line is stamped
    /// (`ip -ts`), in seconds since the epoch.
    pub fn start(ns: &str, log: PathBuf, timestamps: bool) -> RouteMonitor {
        let args: &[&str] = if timestamps {
            &["-ts", "monitor", "route"]
        } else {
            &["monitor", "route"]
        };
        let process = Daemon::spawn_in(ns, "ip-monitor", &log, "ip", args);
        RouteMonitor { process, log }
    }

    /// Stops monitoring; the lines logged (empty when there were none or the log is gone).
    pub fn finish(mut self) -> String {
        self.process.kill();
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
