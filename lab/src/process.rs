//! Running lab commands and owning long-lived router processes: [`Daemon`] for a
//! process owned by one test, [`instance`] for a router's directory and daemons,
//! [`owned`] for those that outlive the `lab` command.

pub mod instance;
pub mod owned;

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

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

    /// Sends `signal` (`libc::SIGTERM`, `SIGSTOP`, ...) to the recorded pid, if the process
    /// has not been reaped yet.
    pub fn signal(&self, signal: libc::c_int) -> Result<(), String> {
        let pid = self
            .pid()
            .ok_or_else(|| format!("{} is not running", self.name))?;
        let pid = libc::pid_t::try_from(pid).map_err(|e| format!("pid {pid}: {e}"))?;
        // SAFETY: kill has no memory preconditions; the pid is our own unreaped child, so
        // it cannot have been reused by another process.
        if unsafe { libc::kill(pid, signal) } == 0 {
            Ok(())
        } else {
            Err(format!(
                "signal {signal} to {} ({pid}): {}",
                self.name,
                std::io::Error::last_os_error()
            ))
        }
    }

    /// Waits until the process exits, up to `deadline`; its exit status, or `None` when it
    /// still runs (or was already reaped).
    pub fn wait_exit(&mut self, deadline: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        let child = self.child.as_mut()?;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    self.child = None;
                    return Some(status);
                }
                Ok(None) if start.elapsed() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => return None,
            }
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`: for processes that must
    /// finish their output (a capture's last packets).
    pub fn terminate(&mut self, grace: Duration) {
        if self.signal(libc::SIGTERM).is_ok() && self.wait_exit(grace).is_some() {
            return;
        }
        self.kill();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}
