//! The kernel's route to one address in a namespace, as `ip route show` prints it: its
//! next hops and their weights. On a ToR with a FIB (FRR with zebra, BIRD with its kernel
//! protocol) this is where traffic really goes, whatever the router's RIB says.

use crate::process::run;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

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

#[cfg(test)]
mod tests;
