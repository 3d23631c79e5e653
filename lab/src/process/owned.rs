//! Processes that outlive the `lab` command that started them (the rack of `lab up` runs
//! until `lab down`), owned through pid files: started in a namespace with their pid
//! recorded, and signalled only while that pid still lives in one of the lab's own
//! namespaces, so a recycled pid is never signalled.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long [`PidFiles::stop`] waits after SIGTERM before it sends SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A directory of pid files (`NAME.pid`) and the namespaces their processes must live in.
#[derive(Clone, Debug)]
pub struct PidFiles {
    dir: PathBuf,
    namespaces: Vec<String>,
}

impl PidFiles {
    /// The pid files in `dir`, owned while their process is in one of `namespaces`.
    pub fn new(dir: &Path, namespaces: Vec<String>) -> PidFiles {
        PidFiles {
            dir: dir.to_path_buf(),
            namespaces,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pid"))
    }

    /// Starts `program args...` in namespace `ns` in a session of its own (it outlives
    /// us and ignores our terminal), with `envs` added, output appended to `log`, and
    /// records its pid as `name`. `ip netns exec` execs the program in place, so the pid
    /// recorded is the program's.
    pub fn spawn(
        &self,
        name: &str,
        ns: &str,
        log: &Path,
        program: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Result<u32, String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", ns, program])
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {program} in {ns}: {e}"))?;
        let pid = child.id();
        // The child is not waited for: it belongs to the pid file from now on.
        drop(child);
        std::fs::write(self.path(name), format!("{pid}\n"))
            .map_err(|e| format!("cannot write the pid file of {name}: {e}"))?;
        Ok(pid)
    }

    /// The pid of `name` if it lives and is in one of the namespaces.
    pub fn live(&self, name: &str) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.path(name))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let ns_inode = std::fs::metadata(format!("/proc/{pid}/ns/net")).ok()?.ino();
        self.namespaces
            .iter()
            .filter_map(|ns| std::fs::metadata(format!("/run/netns/{ns}")).ok())
            .any(|m| m.ino() == ns_inode)
            .then_some(pid)
    }

    /// Sends `signal` to `name`; false when it does not live in the lab.
    pub fn signal(&self, name: &str, signal: libc::c_int) -> bool {
        let Some(pid) = self.live(name) else {
            return false;
        };
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill has no memory preconditions; the pid was just checked to be ours.
        unsafe { libc::kill(pid, signal) == 0 }
    }

    /// The names of every pid file, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".pid"))
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        names
    }

    /// SIGTERM to each of `names`, up to five seconds for them to exit, then SIGKILL to
    /// any left; their pid files are removed.
    pub fn stop(&self, names: &[String]) {
        let pids: Vec<u32> = names
            .iter()
            .filter(|n| self.signal(n, libc::SIGTERM))
            .filter_map(|n| self.live(n))
            .collect();
        let start = Instant::now();
        while start.elapsed() < STOP_GRACE && pids.iter().any(|p| is_running(*p)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        for name in names {
            self.signal(name, libc::SIGKILL);
            let _ = std::fs::remove_file(self.path(name));
        }
    }
}

/// True while `pid` exists and is not a zombie.
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|s| !s.trim_start().starts_with('Z'))
    })
}
