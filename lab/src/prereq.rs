//! What the lab needs before it can run, checked up front so a missing piece fails the
//! test with a clear message instead of a confusing one later.

use std::path::{Path, PathBuf};

/// Set to `1` to skip lab tests on machines that cannot run them (no root, no routers).
pub const SKIP_ENV: &str = "KUBE_ANYCAST_SKIP_LAB";

/// A router implementation a test needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Router {
    /// FRR: zebra, bgpd, vtysh.
    Frr,
    /// BIRD 2: bird, birdc.
    Bird,
    /// GoBGP: gobgpd, gobgp.
    Gobgp,
    /// ExaBGP 4.
    Exabgp,
}

impl Router {
    fn binaries(self) -> &'static [&'static str] {
        match self {
            Router::Frr => &["zebra", "bgpd", "vtysh"],
            Router::Bird => &["bird", "birdc"],
            Router::Gobgp => &["gobgpd", "gobgp"],
            Router::Exabgp => &["exabgp"],
        }
    }
}

/// Finds an executable in `PATH` or in the places Debian puts routing daemons.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            ["/usr/sbin", "/sbin", "/usr/lib/frr"]
                .iter()
                .map(PathBuf::from),
        )
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Returns true when the lab can run. Returns false (after saying so) when the skip
/// variable is set. Panics with what is missing otherwise: a lab test must never pass
/// silently because its lab could not start.
pub fn lab_available(test: &str, routers: &[Router]) -> bool {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        // Straight to stderr: the test harness captures `eprintln!` of passing tests, and
        // a skip must be seen.
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{test}: SKIPPED ({SKIP_ENV}=1)");
        return false;
    }
    let missing = missing(routers);
    if !missing.is_empty() {
        panic!(
            "{test}: the interop lab cannot run; missing: {}. Install with \
             testbed/install-deps.sh as root, or set {SKIP_ENV}=1 to skip.",
            missing.join(", ")
        );
    }
    true
}

/// What the lab lacks to run `routers` (root, binaries, the `frr` user); empty when it
/// can run.
pub fn missing(routers: &[Router]) -> Vec<String> {
    let mut missing = Vec::new();
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        missing.push("root privileges (network namespaces, port 179)".to_string());
    }
    for bin in ["ip"]
        .iter()
        .chain(routers.iter().flat_map(|r| r.binaries()))
    {
        if find_binary(bin).is_none() {
            missing.push(format!("the `{bin}` binary"));
        }
    }
    if routers.contains(&Router::Frr) && crate::process::run("id", &["frr"]).is_err() {
        missing.push("the `frr` user".to_string());
    }
    missing
}

/// The message a lab test that cannot run prints before passing.
pub const SKIPPED: &str = "skipped: needs root and the lab (testbed/run-tests.sh runs them)";

/// True when the lab can run `routers`; otherwise says [`SKIPPED`] (and what is missing)
/// once on stderr and returns false, so the test passes without running. For tests that
/// are not part of a plain `cargo test`'s promise, such as the bench smoke run.
pub fn lab_or_skip(test: &str, routers: &[Router]) -> bool {
    let missing = missing(routers);
    if missing.is_empty() {
        return true;
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "{test}: {SKIPPED} (missing: {})",
        missing.join(", ")
    );
    false
}
