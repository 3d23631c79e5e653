//! Finding (and building first) the kube-anycast binary the bench runs: cargo is asked to
//! build it and says where the executable is, whatever the target directory.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Builds the `kube-anycast` binary (release or debug) with the cargo running us (or the
/// one in `PATH`) and returns its path.
pub fn build_kube_anycast(release: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "--manifest-path",
        manifest,
        "-p",
        "kube-anycast",
        "--bin",
        "kube-anycast",
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        cmd.arg("--release");
    }
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_for_one_package) {
            cmd.env_remove(&name);
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{cargo} build -p kube-anycast` failed ({})",
            out.status
        ));
    }
    executable(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| "cargo did not name the kube-anycast executable".to_string())
}

/// True for the variables cargo sets for the one package whose test or build script is
/// running (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, `OUT_DIR`, ...). A build started from
/// a test must not inherit them: build scripts that watch one (ring's watches
/// `CARGO_MANIFEST_DIR`) would see it change and rebuild their crate, here and again in
/// the next plain `cargo test`. What the user set (`CARGO_HOME`, `CARGO_TARGET_DIR`, ...)
/// stays.
pub fn set_for_one_package(name: &str) -> bool {
    const EXACT: [&str; 8] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    EXACT.contains(&name) || name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_BIN_EXE_")
}

/// The `executable` of the kube-anycast binary artifact in cargo's JSON messages.
pub fn executable(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "kube-anycast")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
}

#[cfg(test)]
mod tests;
