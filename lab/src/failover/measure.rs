//! One fault of one node, measured: from the moment the fault is in place until the ToR's
//! kernel route has lost the node's next hop, the client requests that failed meanwhile,
//! and from the heal until the next hop is back, which the node and the ToR must do by
//! themselves.

use super::client::{Client, Tally};
use super::fault::Fault;
use super::fib::{FibWatch, NextHops, first_change};
use super::mode::{HOLD_TIME, Mode};
use super::rack::FailoverRack;
use crate::poll_until;
use std::time::{Duration, Instant};

/// How a measurement runs.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The node that suffers the fault (node1 is 0).
    pub node: usize,
    /// How long to wait for the next hop to leave, and to come back.
    pub deadline: Duration,
    /// The client's deadline for one request.
    pub request_timeout: Duration,
    /// How long the fault stays after the next hop has left, before the heal.
    pub dwell: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            node: 1,
            deadline: HOLD_TIME * 4,
            request_timeout: Duration::from_millis(300),
            dwell: Duration::from_secs(1),
        }
    }
}

/// One fault in one mode.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// The detection mode.
    pub mode: Mode,
    /// The fault.
    pub fault: Fault,
    /// Fault in place -> the node's next hop gone from the ToR's kernel route.
    pub detect: Option<Duration>,
    /// Requests started from one request timeout before the fault until the heal.
    pub during: Tally,
    /// Heal -> the node's next hop back in the ToR's kernel route.
    pub readd: Option<Duration>,
    /// When the next hop came back.
    pub back_at: Option<Instant>,
    /// Requests started from the heal until a second after the next hop came back
    /// (a next hop coming back moves flows: one in flight then can be reset).
    pub after: Tally,
    /// In a BFD mode: whether the ToR's BFD session with the node went Down and came Up
    /// again (bfdd's counters), as the detection must have come from it.
    pub tor_bfd_down_and_up: Option<bool>,
    /// What went wrong, if anything.
    pub notes: Vec<String>,
}

/// Injects `fault` on `settings.node` of a whole rack while `client` runs, and measures.
pub fn measure(
    rack: &FailoverRack,
    client: &Client,
    fault: Fault,
    settings: &Settings,
) -> Measurement {
    let mut m = Measurement {
        mode: rack.mode,
        fault,
        detect: None,
        during: Tally::default(),
        readd: None,
        back_at: None,
        after: Tally::default(),
        tor_bfd_down_and_up: None,
        notes: Vec::new(),
    };
    let (i, address) = (settings.node, rack.address_of(settings.node));
    let tor_ns = rack.rack().tor.clone();
    if let Err(e) = rack.wait_whole(settings.deadline) {
        m.notes
            .push(format!("the rack was not whole before the fault: {e}"));
        return m;
    }
    let bfd_before = rack
        .mode
        .timers()
        .and_then(|_| rack.tor().bfd(address).ok());
    let fib = match FibWatch::start(&tor_ns, super::rack::ANYCAST) {
        Ok(fib) => fib,
        Err(e) => {
            m.notes.push(e);
            return m;
        }
    };
    let target = rack.target(i);
    if let Err(e) = fault.inject(&target) {
        m.notes.push(format!("cannot inject the fault: {e}"));
        return m;
    }
    let fault_at = Instant::now();
    let gone = |h: &NextHops| !h.contains(&address);
    let back = |h: &NextHops| h.contains(&address);
    let detected = wait_for_change(&fib, fault_at, settings.deadline, gone);
    m.detect = detected.map(|at| at.saturating_duration_since(fault_at));
    if detected.is_none() {
        m.notes.push(format!(
            "the next hop did not leave within {:?}",
            settings.deadline
        ));
    }
    std::thread::sleep(settings.dwell);
    let heal = fault.heal(&target);
    let heal_at = Instant::now();
    if let Err(e) = heal {
        m.notes.push(format!("cannot heal the fault: {e}"));
        return m;
    }
    let readded = wait_for_change(&fib, heal_at, settings.deadline * 2, back);
    m.readd = readded.map(|at| at.saturating_duration_since(heal_at));
    m.back_at = readded;
    if readded.is_none() {
        m.notes.push(format!(
            "the next hop did not come back within {:?}",
            settings.deadline * 2
        ));
    }
    let after_end = readded.unwrap_or(heal_at) + Duration::from_secs(1);
    // Requests still in flight finish (or time out) before they are counted.
    let settle = after_end + settings.request_timeout + Duration::from_millis(100);
    std::thread::sleep(settle.saturating_duration_since(Instant::now()));
    let window_start = fault_at
        .checked_sub(settings.request_timeout)
        .unwrap_or(fault_at);
    m.during = client.tally(window_start, heal_at);
    m.after = client.tally(heal_at, after_end);
    if let Some(before) = bfd_before {
        let after = poll_until(
            "the ToR's BFD session Up again",
            settings.deadline,
            Duration::from_millis(50),
            || match rack.tor().bfd(address)? {
                s if s.status == "up" => Ok(s),
                s => Err(format!("state {}", s.status)),
            },
        );
        m.tor_bfd_down_and_up = Some(match after {
            Ok(after) => after.downs > before.downs && after.ups > before.ups,
            Err(e) => {
                m.notes.push(e);
                false
            }
        });
    }
    m
}

/// Waits until the watch has recorded a change at or after `since` that satisfies
/// `wanted`, and returns its time; `None` after `deadline`.
fn wait_for_change(
    fib: &FibWatch,
    since: Instant,
    deadline: Duration,
    wanted: impl Fn(&NextHops) -> bool,
) -> Option<Instant> {
    let end = since + deadline;
    loop {
        if let Some(at) = first_change(&fib.changes(), since, &wanted) {
            return Some(at);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
