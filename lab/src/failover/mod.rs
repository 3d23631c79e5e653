//! BFD failover, measured three ways, and a soak that looks for false positives.
//!
//! `lab failover` builds a fresh rack for each fault in each detection mode ([`mode`]:
//! BFD 300 ms x 3, BFD 50 ms x 3, the BGP hold timer alone): an FRR ToR with bfdd
//! ([`tor`]), three nodes each running the real kube-anycast binary ([`node`]) that all
//! announce one Service externalIP, each with a responder on it ([`rack`]), and a client
//! opening a new connection to the externalIP every 10 ms ([`client`]). Then node2
//! suffers the fault ([`fault`]: link cut, all packets lost, frozen) and [`measure`]
//! times how long the ToR's kernel route keeps its next hop ([`fib`]), counts the
//! requests that failed meanwhile, heals the fault and times the next hop's return.
//! [`table`] prints the result.
//!
//! `lab bfd-soak` ([`soak`]) keeps one BFD session at 300 ms x 3 under a CPU hog on the
//! node for minutes and reports every state change either end saw.
//!
//! Times are printed, never asserted: the lab runs on shared machines.

pub mod cli;
pub mod client;
pub mod fault;
pub mod fib;
pub mod measure;
pub mod mode;
pub mod node;
pub mod rack;
pub mod soak;
pub mod table;
pub mod tor;

use client::Client;
use fault::Fault;
use measure::{Measurement, Settings};
use mode::Mode;
use rack::{ANYCAST, FailoverRack, PORT};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What `lab failover` runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The kube-anycast binary.
    pub binary: PathBuf,
    /// Detection modes, each in a fresh rack.
    pub modes: Vec<Mode>,
    /// Faults, in order, in each mode.
    pub faults: Vec<Fault>,
    /// How many times each fault is measured.
    pub repeat: usize,
    /// One request started every this often.
    pub request_every: Duration,
    /// How each fault is measured.
    pub settings: Settings,
}

/// Namespaces of the failover racks start with this.
const PREFIX: &str = "fo";

/// Every fault in every mode, each in a fresh rack: a session that went down a few
/// seconds earlier would still be in its connect retry backoff (which only starts over
/// after 90 s Established), and its re-add time would depend on the fault before it.
/// `progress` sees each measurement as it is made.
pub fn run_all(options: &Options, mut progress: impl FnMut(&Measurement)) -> Vec<Measurement> {
    let mut runs = Vec::new();
    for &mode in &options.modes {
        for &fault in &options.faults {
            for _ in 0..options.repeat {
                let rack = FailoverRack::start(PREFIX, &options.binary, mode, 3);
                let client = Client::start(
                    &rack.rack().client,
                    SocketAddr::from((ANYCAST, PORT)),
                    options.request_every,
                    options.settings.request_timeout,
                );
                let m = measure::measure(&rack, &client, fault, &options.settings);
                progress(&m);
                runs.push(m);
            }
        }
    }
    runs
}

/// What this machine lacks to run `faults` (root, FRR with bfdd, nft, curl, python3).
pub fn missing(faults: &[Fault]) -> Vec<String> {
    let mut missing = crate::prereq::missing(&[crate::prereq::Router::Frr]);
    let mut tools = vec!["bfdd", "curl", "python3"];
    if faults.contains(&Fault::PacketLoss) {
        tools.push("nft");
    }
    for tool in tools {
        if crate::prereq::find_binary(tool).is_none() {
            missing.push(format!("the `{tool}` binary"));
        }
    }
    missing
}
