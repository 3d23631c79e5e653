//! One router instance of a test: the namespace it runs in, its private directory
//! (configs, sockets, pid files, logs) and the daemons it started there. Every router
//! driver holds one, so the order of teardown is written once: the daemons are killed
//! (the last started first), then the directory is removed, or kept when the test fails.

use super::Daemon;
use crate::{lab_dir, remove_lab_dir, tail};
use std::path::{Path, PathBuf};

/// A router's namespace, private directory and daemons; see the module docs.
#[derive(Debug)]
pub struct Instance {
    ns: String,
    dir: PathBuf,
    log: &'static str,
    daemons: Vec<Daemon>,
}

impl Instance {
    /// A fresh private directory for router `what` in `ns`, whose log file (for failure
    /// messages) is `log` in that directory.
    pub fn new(ns: &str, what: &str, log: &'static str) -> Instance {
        Instance {
            ns: ns.to_string(),
            dir: lab_dir(ns, what),
            log,
            daemons: Vec::new(),
        }
    }

    /// The namespace.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The private directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `file` in the private directory.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Writes `text` to `file` in the private directory; a setup step that cannot fail in
    /// a working lab.
    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.path(file), text)
            .unwrap_or_else(|e| panic!("lab setup: write {file}: {e}"));
    }

    /// Starts `program args...` in the namespace as daemon `name`, its output appended to
    /// `out` in the private directory.
    pub fn spawn(&mut self, name: &str, out: &str, program: &str, args: &[&str]) {
        let log = self.path(out);
        let daemon = Daemon::spawn_in(&self.ns, name, &log, program, args);
        self.daemons.push(daemon);
    }

    /// The recorded pid of daemon `name`.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.daemons
            .iter()
            .find(|d| d.name() == name)
            .and_then(Daemon::pid)
    }

    /// True while daemon `name` runs.
    pub fn is_running(&mut self, name: &str) -> bool {
        self.daemons
            .iter_mut()
            .find(|d| d.name() == name)
            .is_some_and(Daemon::is_running)
    }

    /// SIGKILLs daemon `name` by its recorded pid and forgets it, leaving the others
    /// running (a crash of one daemon of the router). Idempotent.
    pub fn kill_one(&mut self, name: &str) {
        if let Some(i) = self.daemons.iter().position(|d| d.name() == name) {
            self.daemons.remove(i).kill();
        }
    }

    /// SIGKILLs every daemon by its recorded pid, the last started first (bgpd before the
    /// zebra it depends on). Idempotent.
    pub fn kill(&mut self) {
        while let Some(mut d) = self.daemons.pop() {
            d.kill();
        }
    }

    /// The last `lines` lines of the log, for failure messages: a few for a router
    /// whose state says most, more where the log is what explains a failure.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.path(self.log), lines)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
        remove_lab_dir(&self.dir);
    }
}
