//! The scale benchmark: kube-anycast (manifests and Kubernetes sources) and the anchors
//! BIRD 2, GoBGP and ExaBGP, one after another, each originating the same N host routes
//! into an FRR ToR in fresh namespaces. For each run it records when the ToR saw the
//! session come up, when its RIB and then its kernel FIB held all N, how long a bulk
//! withdraw took to empty them, what the ToR received, and what the originator process
//! cost (peak RSS, CPU). [`table`] prints the runs side by side.
//!
//! The ToR is watched with cheap polls (FRR's summary JSON, `ip route show proto bgp`);
//! every time is the end of the first poll that saw the condition, so it is late by at
//! most one poll interval, which the table states.

pub mod binary;
pub mod kube_anycast;
pub mod mrt;
pub mod originator;
pub mod procstat;
pub mod table;
pub mod tor;

use originator::{Kind, Running};
use procstat::Usage;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tor::{Export, Received, Tor};

/// The route counts of a full run.
pub const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The kube-anycast binary.
    pub binary: PathBuf,
    /// Route counts.
    pub sizes: Vec<usize>,
    /// Originators, in order.
    pub kinds: Vec<Kind>,
    /// Pause between two polls of the ToR.
    pub poll: Duration,
    /// What the ToR advertises back to the originator.
    pub export: Export,
}

/// One originator's run at one size. A phase that did not complete is `None`, and
/// `notes` says why.
#[derive(Clone, Debug)]
pub struct Run {
    /// The originator.
    pub kind: Kind,
    /// Routes announced.
    pub n: usize,
    /// What the ToR advertised back to the originator.
    pub export: Export,
    /// Process start -> the ToR sees the session Established.
    pub established: Option<Duration>,
    /// Process start -> the ToR's RIB holds all N.
    pub rib_full: Option<Duration>,
    /// Process start -> the ToR's kernel FIB holds all N.
    pub fib_full: Option<Duration>,
    /// Withdraw started -> the ToR's RIB is empty.
    pub rib_empty: Option<Duration>,
    /// Withdraw started -> the ToR's FIB is empty.
    pub fib_empty: Option<Duration>,
    /// What the ToR received from start until its FIB held all N.
    pub announce: Option<Received>,
    /// What the ToR received during the withdraw.
    pub withdraw: Option<Received>,
    /// The originator's peak RSS and CPU over its life.
    pub usage: Option<Usage>,
    /// kube-anycast with the Kubernetes source: its peak RSS once all N were in the FIB,
    /// and again after a relist forced by 410 Gone on every watch.
    pub relist: Option<Relist>,
    /// Mean interval between two summary polls (the resolution of the RIB times).
    pub rib_poll: Duration,
    /// Mean interval between two FIB polls.
    pub fib_poll: Duration,
    /// Why a phase is missing.
    pub notes: Vec<String>,
}

impl Run {
    fn new(kind: Kind, n: usize, export: Export) -> Run {
        Run {
            kind,
            n,
            export,
            established: None,
            rib_full: None,
            fib_full: None,
            rib_empty: None,
            fib_empty: None,
            announce: None,
            withdraw: None,
            usage: None,
            relist: None,
            rib_poll: Duration::ZERO,
            fib_poll: Duration::ZERO,
            notes: Vec::new(),
        }
    }

    /// True when every phase completed: all N reached the RIB and the FIB, and left both.
    pub fn completed(&self) -> bool {
        self.established.is_some()
            && self.rib_full.is_some()
            && self.fib_full.is_some()
            && self.rib_empty.is_some()
            && self.fib_empty.is_some()
    }
}

/// Peak RSS around a relist (see [`Run::relist`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relist {
    /// VmHWM before the relist, bytes.
    pub peak_before: u64,
    /// VmHWM after it, bytes.
    pub peak_after: u64,
    /// CPU the relist took (user + system).
    pub cpu: Duration,
}

/// How long one phase may take at `n` routes before the run is given up: generous, as
/// the point is to measure slow originators too.
pub fn phase_deadline(n: usize) -> Duration {
    Duration::from_secs(30) + Duration::from_millis(n as u64)
}

/// Runs every selected originator at every selected size, calling `report` after each.
pub fn run_all(options: &Options, mut report: impl FnMut(&Run)) -> Vec<Run> {
    let mut runs = Vec::new();
    for &n in &options.sizes {
        for &kind in &options.kinds {
            let run = run_one(options, kind, n);
            report(&run);
            runs.push(run);
        }
    }
    runs
}

/// Polls `check` until it returns true; the time is taken when that poll returned.
/// Fails at `deadline` or when the originator exits.
struct Poller<'a> {
    running: &'a mut Running,
    pause: Duration,
    polls: u32,
    spent: Duration,
}

impl<'a> Poller<'a> {
    /// A poller that has not polled yet, pausing `pause` between two polls.
    fn new(running: &'a mut Running, pause: Duration) -> Poller<'a> {
        Poller {
            running,
            pause,
            polls: 0,
            spent: Duration::ZERO,
        }
    }

    fn until(
        &mut self,
        deadline: Instant,
        mut check: impl FnMut() -> Result<bool, String>,
    ) -> Result<Instant, String> {
        let mut last: String;
        loop {
            let started = Instant::now();
            let outcome = check();
            let now = Instant::now();
            self.polls += 1;
            self.spent += now - started + self.pause;
            match outcome {
                Ok(true) => return Ok(now),
                Ok(false) => last = "not yet".into(),
                Err(e) => last = e,
            }
            if now >= deadline {
                return Err(format!("deadline passed ({last})"));
            }
            if !self.running.is_running() {
                return Err(format!(
                    "the originator exited: {}",
                    self.running.log_tail()
                ));
            }
            std::thread::sleep(self.pause);
        }
    }

    fn interval(&self) -> Duration {
        self.spent / self.polls.max(1)
    }
}

/// One run in fresh namespaces: start, announce, withdraw, stop.
pub fn run_one(options: &Options, kind: Kind, n: usize) -> Run {
    let mut run = Run::new(kind, n, options.export);
    let tor = Tor::new(options.export);
    let dir = crate::lab_dir(&tor.pair.b.ns, "bench");
    match start(options, &tor, kind, n, &dir) {
        Ok((running, t0)) => measure(&tor, running, t0, options.poll, &mut run),
        Err(e) => run.notes.push(format!("did not start: {e}")),
    }
    crate::remove_lab_dir(&dir);
    run
}

fn start(
    options: &Options,
    tor: &Tor,
    kind: Kind,
    n: usize,
    dir: &std::path::Path,
) -> Result<(Running, Instant), String> {
    if kind.is_anchor() {
        let t0 = Instant::now();
        return Ok((originator::start_anchor(kind, tor, n, dir), t0));
    }
    let spec = match kind.workload() {
        Some('B') => crate::workload::Spec::workload_b(n, kube_anycast::NODE),
        Some('C') => crate::workload::Spec::workload_c(n, kube_anycast::NODE),
        _ => crate::workload::Spec::workload_a(n, kube_anycast::NODE),
    };
    let source = kube_anycast::prepare(tor, &spec, kind.watches_the_api(), dir)?;
    let t0 = Instant::now();
    let k = kube_anycast::KubeAnycast::start(&options.binary, tor, source, spec, dir.into())?;
    Ok((Running::KubeAnycast(Box::new(k)), t0))
}

fn measure(tor: &Tor, mut running: Running, t0: Instant, pause: Duration, run: &mut Run) {
    let n = run.n as u64;
    let deadline = phase_deadline(run.n);
    let mut rib = Poller::new(&mut running, pause);
    let mut established = None;
    let mut last = None;
    let full = rib.until(t0 + deadline, || {
        let s = tor.summary()?;
        if established.is_none() && s.state == "Established" {
            established = Some(Instant::now());
        }
        let done = s.prefixes >= n;
        last = Some(s);
        Ok(done)
    });
    run.established = established.map(|t| t - t0);
    run.rib_poll = rib.interval();
    let full = match full {
        Ok(t) => t,
        Err(e) => {
            run.notes.push(format!(
                "RIB never held all {n}: {e}; last seen: {last:?}; {} log: {}",
                running.trouble().unwrap_or_default(),
                last_lines(&running.log_tail(), 2)
            ));
            return finish(&mut running, run);
        }
    };
    run.rib_full = Some(full - t0);
    let mut fib = Poller::new(&mut running, pause);
    let fib_full = fib.until(full + deadline, || Ok(tor.fib_routes()? >= n));
    let fib_interval = fib.interval();
    match fib_full {
        Ok(t) => run.fib_full = Some(t - t0),
        Err(e) => {
            run.notes.push(format!("FIB never held all {n}: {e}"));
            return finish(&mut running, run);
        }
    }
    let before = tor.received();
    run.announce = before.as_ref().ok().copied();
    measure_relist(tor, &mut running, deadline, run);
    let expected_sent = match tor.export {
        Export::All => n,
        Export::None => 0,
    };
    if let Err(e) = settle(tor, &mut running, expected_sent, pause, deadline) {
        run.notes.push(format!("the ToR did not settle: {e}"));
        return finish(&mut running, run);
    }

    let t_withdraw = Instant::now();
    if let Err(e) = running.withdraw_all() {
        run.notes.push(format!("withdraw failed: {e}"));
        return finish(&mut running, run);
    }
    let mut rib = Poller::new(&mut running, pause);
    let empty = rib.until(t_withdraw + deadline, || Ok(tor.summary()?.prefixes == 0));
    let empty = match empty {
        Ok(t) => t,
        Err(e) => {
            run.notes.push(format!("RIB never emptied: {e}"));
            return finish(&mut running, run);
        }
    };
    run.rib_empty = Some(empty - t_withdraw);
    let mut fib = Poller::new(&mut running, pause);
    match fib.until(empty + deadline, || Ok(tor.fib_routes()? == 0)) {
        Ok(t) => run.fib_empty = Some(t - t_withdraw),
        Err(e) => run.notes.push(format!("FIB never emptied: {e}")),
    }
    run.fib_poll = fib_interval.max(fib.interval());
    if let (Ok(before), Ok(after)) = (before, tor.received()) {
        run.withdraw = Some(Received {
            updates: after.updates.saturating_sub(before.updates),
            bytes: after.bytes.saturating_sub(before.bytes),
        });
    }
    if tor.summary().map(|s| s.state) != Ok("Established".to_string()) {
        run.notes
            .push("the session did not stay up through the withdraw".to_string());
    }
    finish(&mut running, run)
}

/// Waits until the ToR has finished advertising back to the originator: `sent` routes in
/// its Adj-RIB-Out toward it and no message written for a while. Without this, a bulk
/// withdraw would cost the ToR retracting anything between none and all of the N,
/// depending on how long after its routes arrived the originator was told to withdraw.
fn settle(
    tor: &Tor,
    running: &mut Running,
    sent: u64,
    pause: Duration,
    deadline: Duration,
) -> Result<(), String> {
    /// No message for this long: the ToR has written what it queued (KEEPALIVEs come
    /// every 3 s).
    const QUIET: Duration = Duration::from_millis(300);
    let end = Instant::now() + deadline;
    let mut poller = Poller::new(running, pause);
    poller.until(end, || Ok(tor.summary()?.sent == sent))?;
    let mut last = (tor.summary()?.messages_sent, Instant::now());
    poller.until(end, || {
        let now = tor.summary()?.messages_sent;
        if now != last.0 {
            last = (now, Instant::now());
        }
        Ok(last.1.elapsed() >= QUIET)
    })?;
    Ok(())
}

/// kube-anycast with the Kubernetes source: forces a relist of everything (410 Gone on
/// every watch) with all N announced, and records the peak RSS before and after it. A
/// relist must cost memory only while it runs, and withdraw nothing.
fn measure_relist(tor: &Tor, running: &mut Running, deadline: Duration, run: &mut Run) {
    let Running::KubeAnycast(k) = running else {
        return;
    };
    let Some(pid) = k.pid() else { return };
    let before = match procstat::usage(pid) {
        Ok(u) => u,
        Err(e) => return run.notes.push(format!("no usage before the relist: {e}")),
    };
    match k.relist(Instant::now() + deadline) {
        None => return,
        Some(Err(e)) => return run.notes.push(format!("relist: {e}")),
        Some(Ok(())) => {}
    }
    // The relist's own work ends after the watches reopen: let it settle, then check that
    // nothing left the ToR.
    std::thread::sleep(Duration::from_secs(1));
    match tor.summary() {
        Ok(s) if s.prefixes >= run.n as u64 => {}
        Ok(s) => run.notes.push(format!(
            "routes left the ToR during the relist: {} of {}",
            s.prefixes, run.n
        )),
        Err(e) => run
            .notes
            .push(format!("no ToR summary after the relist: {e}")),
    }
    match procstat::usage(pid) {
        Ok(after) => {
            run.relist = Some(Relist {
                peak_before: before.peak_rss,
                peak_after: after.peak_rss,
                cpu: after.cpu.saturating_sub(before.cpu),
            })
        }
        Err(e) => run.notes.push(format!("no usage after the relist: {e}")),
    }
}

/// The last `n` lines of `text`.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// Reads the originator's lifetime usage just before it is stopped (on drop).
fn finish(running: &mut Running, run: &mut Run) {
    match running
        .pid()
        .ok_or_else(|| "no pid".to_string())
        .and_then(procstat::usage)
    {
        Ok(u) => run.usage = Some(u),
        Err(e) => run.notes.push(format!("no usage: {e}")),
    }
}
