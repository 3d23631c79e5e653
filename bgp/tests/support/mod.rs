//! Lab support for the interop tests: network namespaces joined by a veth, real routers
//! (FRR, BIRD 2, GoBGP) started inside them with private paths, our speaker running on a
//! thread that entered a namespace, and the comparison of a router's RIB with what we
//! announced.
//!
//! Every helper owns what it starts and cleans it up on drop, even when a test panics:
//! routers are stopped by the pid recorded at spawn time, namespaces are deleted only if
//! this process created them. The files of a failed test (configs, logs) are kept under
//! `$TMPDIR/kube-anycast-lab/` and their place is printed.
//!
//! Running: as root, with the routers installed (`testbed/install-deps.sh`), e.g.
//! `cargo test -p bgp --test interop_frr`. Without root or a router binary the lab tests
//! fail and say what is missing; `KUBE_ANYCAST_SKIP_LAB=1` skips them instead.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod bfd_routers;
pub mod bird;
pub mod frr;
pub mod gobgp;
pub mod netns;
pub mod prereq;
pub mod process;
pub mod rib;
pub mod scenario;
pub mod speaker;

use std::time::{Duration, Instant};

/// How long to wait for a session to come up or a RIB to converge. Generous: this is a
/// deadline for a wait, never a timing assertion.
pub const CONVERGE: Duration = Duration::from_secs(30);

/// Polls `check` every 200 ms until it returns `Ok`, and panics with the last error if
/// `deadline` passes first. `what` names the awaited condition in the panic message.
pub fn wait_until<T>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return v,
            Err(e) if start.elapsed() >= deadline => {
                panic!("timed out after {deadline:?} waiting for {what}: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Checks `check` every 250 ms for `period` and panics at the first failure: for
/// conditions that must hold throughout (a session that must never come up).
pub fn holds_for(what: &str, period: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    while start.elapsed() < period {
        if let Err(e) = check() {
            panic!("{what} stopped holding after {:?}: {e}", start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A fresh private directory for one router instance of one namespace.
pub fn lab_dir(ns: &str, what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("kube-anycast-lab")
        .join(format!("{ns}-{what}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("lab setup: cannot create {}: {e}", dir.display()));
    use std::os::unix::fs::PermissionsExt;
    for d in [dir.as_path(), dir.parent().unwrap_or(&dir)] {
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
    }
    dir
}

/// Removes a lab directory, or keeps it (and says where) when the test is failing so its
/// logs can be read.
pub fn remove_lab_dir(dir: &std::path::Path) {
    if std::thread::panicking() {
        eprintln!("lab files kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The last `lines` lines of a log file (or why it could not be read).
pub fn tail(path: &std::path::Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let from = all.len().saturating_sub(lines);
            format!("{}:\n{}", path.display(), all[from..].join("\n"))
        }
        Err(e) => format!("{}: {e}", path.display()),
    }
}

/// What the shared scenarios need from a router, for its first configured peer.
pub trait LabRouter {
    /// A name for messages ("FRR", "BIRD", "GoBGP").
    fn describe(&self) -> &'static str;
    /// The FSM state of the session with our speaker, named as in RFC 4271.
    fn session_state(&self) -> Result<String, String>;
    /// The routes the router learned from our speaker, with next hops.
    fn rib(&self) -> Result<rib::Rib, String>;
    /// True when [`LabRouter::rib`] includes the IPv6 link-local next hop (RFC 2545) next
    /// to the global one.
    fn shows_link_local_next_hop(&self) -> bool;
    /// SIGKILL by recorded pid.
    fn kill(&mut self);
    /// Start again with the same configuration.
    fn restart(&mut self);
    /// The end of the router's log, for failure messages.
    fn log_tail(&self) -> String;
}
