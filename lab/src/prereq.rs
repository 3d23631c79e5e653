//! What the lab needs before it can run, checked up front so a missing piece fails the
//! test with a clear message instead of a confusing one later.

use std::path::{Path, PathBuf};

/// Set to `1` by `testbed/run-tests.sh`: there a lab test that cannot run fails, naming
/// what is missing, instead of skipping. A plain `cargo test` skips them and says so.
pub const REQUIRE_ENV: &str = "KUBE_ANYCAST_REQUIRE_LAB";

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

/// True when the lab can run `routers`. Otherwise the test must not run: with
/// [`REQUIRE_ENV`] set it panics naming what is missing; without, it says [`SKIPPED`]
/// once per test binary and returns false.
pub fn lab_available(test: &str, routers: &[Router]) -> bool {
    available(test, missing(routers))
}

/// True when the tools (such as `kubectl`) are on the `PATH`; otherwise as
/// [`lab_available`].
pub fn tools_available(test: &str, tools: &[&str]) -> bool {
    let missing = tools
        .iter()
        .filter(|tool| find_binary(tool).is_none())
        .map(|tool| format!("the `{tool}` binary"))
        .collect();
    available(test, missing)
}

fn available(test: &str, missing: Vec<String>) -> bool {
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
        panic!(
            "{test}: the lab cannot run; missing: {missing}. Install with \
             testbed/install-deps.sh as root."
        );
    }
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        // Straight to stderr: the test harness captures `eprintln!` of passing tests, and
        // a skip must be seen.
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{SKIPPED} (missing: {missing})");
    });
    false
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
