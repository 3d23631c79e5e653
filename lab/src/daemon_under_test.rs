//! The daemon under test: the real `kube-anycast run` binary (the path the test gives,
//! `env!("CARGO_BIN_EXE_kube-anycast")`) as a child process, with its HTTP endpoints and
//! its log. Killed and its files removed on drop, even when a test fails.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running daemon under test.
pub struct DaemonUnderTest {
    /// The child process.
    pub child: Child,
    /// Its private directory (config, manifests, log).
    pub dir: PathBuf,
    /// Its HTTP address.
    pub http: String,
}

impl Drop for DaemonUnderTest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("daemon log:\n{}", self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `path` from `http` (ADDRESS:PORT) in the caller's network namespace: status code
/// and body.
pub fn http_get(http: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(http).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let code = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, response.split_once("\r\n\r\n")?.1.to_owned()))
}

/// A private directory for one test.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kube-anycast-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl DaemonUnderTest {
    /// Starts `kube-anycast run` in `dir` with `config` (the `http:` section is added),
    /// extra environment variables, logging to `dir/daemon.log`.
    pub fn start(binary: &str, dir: PathBuf, config: &str, env: &[(&str, &str)]) -> Self {
        DaemonUnderTest::spawn(binary, None, dir, config, "", env)
    }

    /// Like [`DaemonUnderTest::start`], inside network namespace `netns` when given (`ip netns exec`
    /// execs the daemon, so the pid we hold is the daemon's own).
    pub fn start_in(
        binary: &str,
        netns: Option<&str>,
        dir: PathBuf,
        config: &str,
        env: &[(&str, &str)],
    ) -> Self {
        DaemonUnderTest::spawn(binary, netns, dir, config, "", env)
    }

    /// Like [`DaemonUnderTest::start`], with more keys in the `http:` section, e.g.
    /// `ready_when: any-peer`.
    pub fn start_with_http(
        binary: &str,
        dir: PathBuf,
        config: &str,
        http_keys: &str,
        env: &[(&str, &str)],
    ) -> Self {
        DaemonUnderTest::spawn(binary, None, dir, config, http_keys, env)
    }

    fn spawn(
        bin: &str,
        netns: Option<&str>,
        dir: PathBuf,
        config: &str,
        http_keys: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let http = format!("127.0.0.1:{}", free_port());
        let config_path = dir.join("config.yaml");
        let more = if http_keys.is_empty() {
            String::new()
        } else {
            format!(", {http_keys}")
        };
        std::fs::write(
            &config_path,
            format!("{config}http: {{listen: \"{http}\"{more}}}\n"),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("daemon.log")).unwrap();
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, bin]);
                c
            }
            None => Command::new(bin),
        };
        let child = command
            .args(["run", "--config", config_path.to_str().unwrap()])
            .envs(env.iter().copied())
            // `kube=warn` alone would also silence `kube_anycast` (targets match by prefix).
            .env("RUST_LOG", "info,kube=warn,kube_anycast=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kube-anycast run");
        DaemonUnderTest { child, dir, http }
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    /// GET `path`: status code and body.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(&self.http, path)
    }

    /// `/status` as JSON.
    pub fn status(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.get("/status")?.1).ok()
    }

    /// The announced prefixes, sorted.
    pub fn routes(&self) -> Option<Vec<String>> {
        let status = self.status()?;
        let mut routes: Vec<String> = status["routes"]
            .as_array()?
            .iter()
            .filter_map(|r| r["prefix"].as_str().map(String::from))
            .collect();
        routes.sort();
        Some(routes)
    }

    /// Waits (generously: a wait, not a timing assertion) until `f` holds.
    pub fn wait_for(&self, what: &str, f: impl Fn(&DaemonUnderTest) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}; last status: {:?}",
            self.status()
        );
    }

    /// Sends a signal by the pid we started.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        nix::sys::signal::kill(pid, signal).unwrap();
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the daemon did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
