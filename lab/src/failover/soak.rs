//! `lab bfd-soak`: one BFD session (300 ms x 3 unless told otherwise) between the ToR and
//! a node running kube-anycast, kept for minutes while busy loops (one per core) in the node's namespace
//! keep the CPUs busy. A false positive is a session going Down with nothing wrong but
//! load; both ends are read before and after (our `/status` transitions, bfdd's
//! session-up and session-down counters) and sampled every second in between.

use super::mode::Mode;
use super::node::OurBfd;
use super::rack::FailoverRack;
use super::tor::TorBfd;
use crate::process::Daemon;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Namespaces of the soak rack start with this.
const PREFIX: &str = "fs";

/// What the soak runs.
#[derive(Clone, Debug)]
pub struct SoakOptions {
    /// The kube-anycast binary.
    pub binary: PathBuf,
    /// The BFD timers of both ends (a BFD mode).
    pub mode: Mode,
    /// How long the session is watched.
    pub duration: Duration,
    /// Busy loops in the node's namespace.
    pub busy_loops: usize,
}

/// Both ends' view at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Ours, from `/status`.
    pub ours: OurBfd,
    /// bfdd's.
    pub tor: TorBfd,
}

/// What the soak saw.
#[derive(Clone, Debug)]
pub struct SoakReport {
    /// The BFD timers.
    pub mode: Mode,
    /// How long it watched.
    pub duration: Duration,
    /// Busy loops running meanwhile.
    pub busy_loops: usize,
    /// Both ends when the soak started (the session Up).
    pub before: Reading,
    /// Both ends when it ended.
    pub after: Reading,
    /// Samples taken (about one a second).
    pub samples: usize,
    /// The samples in which either end was not Up, or could not be read.
    pub not_up: Vec<String>,
    /// `/proc/loadavg` at the start and at the end.
    pub load: (String, String),
}

impl SoakReport {
    /// State changes of our session during the soak.
    pub fn our_transitions(&self) -> u64 {
        self.after
            .ours
            .transitions
            .saturating_sub(self.before.ours.transitions)
    }

    /// Times bfdd's session went Down during the soak.
    pub fn tor_downs(&self) -> u64 {
        self.after.tor.downs.saturating_sub(self.before.tor.downs)
    }

    /// No false positive: no state change on either end, and every sample Up on both.
    pub fn stayed_up(&self) -> bool {
        self.our_transitions() == 0
            && self.tor_downs() == 0
            && self.after.tor.ups == self.before.tor.ups
            && self.not_up.is_empty()
            && self.after.ours.state == "up"
            && self.after.tor.status == "up"
    }
}

/// Reads both ends of node1's session.
fn read(rack: &FailoverRack) -> Result<Reading, String> {
    Ok(Reading {
        ours: rack.node(0).bfd()?,
        tor: rack.tor().bfd(rack.address_of(0))?,
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| e.to_string())
}

/// Runs the soak; `progress` hears about each minute.
pub fn run(options: &SoakOptions, mut progress: impl FnMut(&str)) -> Result<SoakReport, String> {
    if options.mode.timers().is_none() {
        return Err("a soak needs BFD: 300 or 50".into());
    }
    let rack = FailoverRack::start(PREFIX, &options.binary, options.mode, 1);
    rack.wait_whole(crate::CONVERGE)?;
    let node_ns = rack.rack().nodes[0].clone();
    let hog_log = rack.dir().join("cpu-hog.log");
    // Declared after the rack: the hogs are stopped (by pid) before it goes.
    let _hogs: Vec<Daemon> = (0..options.busy_loops)
        .map(|_| {
            Daemon::spawn_in(
                &node_ns,
                "cpu-hog",
                &hog_log,
                "sh",
                &["-c", "while :; do :; done"],
            )
        })
        .collect();
    let before = read(&rack)?;
    let load_start = loadavg();
    let start = Instant::now();
    let (mut samples, mut not_up) = (0, Vec::new());
    let mut next_minute = Duration::from_secs(60);
    while start.elapsed() < options.duration {
        // On the second, however long the last reading took under the load.
        let next = start + Duration::from_secs(samples as u64 + 1);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        samples += 1;
        let at = start.elapsed().as_secs();
        match read(&rack) {
            Ok(r) if r.ours.state == "up" && r.tor.status == "up" => {}
            Ok(r) => not_up.push(format!(
                "{at} s: ours {}, the ToR's {}",
                r.ours.state, r.tor.status
            )),
            Err(e) => not_up.push(format!("{at} s: {e}")),
        }
        if start.elapsed() >= next_minute {
            progress(&format!(
                "{} min: {} sample(s) not Up so far; load {}",
                next_minute.as_secs() / 60,
                not_up.len(),
                loadavg()
            ));
            next_minute += Duration::from_secs(60);
        }
    }
    let after = read(&rack)?;
    Ok(SoakReport {
        mode: options.mode,
        duration: start.elapsed(),
        busy_loops: options.busy_loops,
        before,
        after,
        samples,
        not_up,
        load: (load_start, loadavg()),
    })
}

/// The soak's report, for people.
pub fn render(r: &SoakReport) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} watched for {:.1} min with {} busy loop(s) in the node's namespace (load average {} at the start, {} at the end)",
        r.mode.title(),
        r.duration.as_secs_f64() / 60.0,
        r.busy_loops,
        r.load.0,
        r.load.1
    );
    let _ = writeln!(
        t,
        "- kube-anycast: {} transition(s) during the soak ({} -> {} since start), state {} at the end",
        r.our_transitions(),
        r.before.ours.transitions,
        r.after.ours.transitions,
        r.after.ours.state
    );
    let _ = writeln!(
        t,
        "- FRR bfdd: session-down {} -> {}, session-up {} -> {}, state {} at the end",
        r.before.tor.downs,
        r.after.tor.downs,
        r.before.tor.ups,
        r.after.tor.ups,
        r.after.tor.status
    );
    let _ = writeln!(
        t,
        "- {} sample(s), about one a second; not Up in {}{}",
        r.samples,
        r.not_up.len(),
        if r.not_up.is_empty() {
            String::new()
        } else {
            format!(": {}", r.not_up.join("; "))
        }
    );
    let _ = writeln!(
        t,
        "{}",
        if r.stayed_up() {
            "Stayed Up the whole time: no false positive."
        } else {
            "The session did NOT stay Up: a false positive (or a real fault) happened."
        }
    );
    t
}

#[cfg(test)]
mod tests;
