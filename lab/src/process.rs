//! Running lab commands and owning long-lived router processes: [`Daemon`] for a
//! process owned by one test, [`owned`] for those that outlive the `lab` command.

pub mod owned;

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Runs `program args...` to completion and returns its stdout, or an error naming the
/// command, its exit status and its stderr.
pub fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        String::from_utf8(out.stdout).map_err(|e| format!("{program}: output not UTF-8: {e}"))
    } else {
        Err(format!(
            "`{program} {}` failed ({}): {}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    }
}

/// Like [`run`], for setup steps that cannot fail in a working lab.
pub fn must(program: &str, args: &[&str]) -> String {
    run(program, args).unwrap_or_else(|e| panic!("lab setup: {e}"))
}

/// A process started by the lab, stopped with SIGKILL by its recorded pid on drop.
#[derive(Debug)]
pub struct Daemon {
    name: String,
    child: Option<Child>,
}

impl Daemon {
    /// Starts `program args...` inside namespace `ns` (via `ip netns exec`, which execs the
    /// program in place, so the child's pid is the router's pid), with stdout and stderr
    /// appended to `log`.
    pub fn spawn_in(ns: &str, name: &str, log: &Path, program: &str, args: &[&str]) -> Daemon {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("lab setup: cannot open {}: {e}", log.display()));
        let err = out.try_clone().expect("lab setup: dup log fd");
        let child = Command::new("ip")
            .args(["netns", "exec", ns, program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("lab setup: cannot start {program}: {e}"));
        Daemon {
            name: name.to_string(),
            child: Some(child),
        }
    }

    /// The recorded pid.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends SIGKILL to the recorded pid and reaps it. Idempotent.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` sends SIGKILL to this child's pid only.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The name given at spawn time.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}
