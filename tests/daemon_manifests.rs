//! `kube-anycast run` with the manifests source, as a process: it syncs, decides, serves
//! /status, /readyz and /metrics, follows file changes, keeps the last good state when a
//! file breaks, and exits 0 on SIGTERM. (BGP towards real routers is covered by the lab
//! tests; here the daemon has no peers.)

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kube-anycast");

/// The daemon process and its files; killed and removed on drop, even when a test fails.
struct Daemon {
    child: Child,
    dir: PathBuf,
    http: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {externalIPs: [203.0.113.10, 8.8.8.8]}\n";

fn slice(ready: bool) -> String {
    format!(
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: web-1, namespace: shop, labels: {{kubernetes.io/service-name: web}}}}\naddressType: IPv4\nendpoints: [{{addresses: [10.0.0.1], nodeName: node-a, conditions: {{ready: {ready}}}}}]\n"
    )
}

impl Daemon {
    fn start(name: &str) -> Daemon {
        let dir =
            std::env::temp_dir().join(format!("kube-anycast-daemon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let manifests = dir.join("cluster.yaml");
        std::fs::write(&manifests, format!("{SERVICE}{}", slice(true))).unwrap();
        let http = format!("127.0.0.1:{}", free_port());
        let config = dir.join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {{manifests: [{}]}}\nannounce: {{allowed_cidrs: [203.0.113.0/24]}}\nhttp: {{listen: \"{http}\"}}\n",
                manifests.display()
            ),
        )
        .unwrap();
        let child = Command::new(BIN)
            .args(["run", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kube-anycast run");
        Daemon { child, dir, http }
    }

    fn write_manifests(&self, text: &str) {
        // Write then rename, as a ConfigMap update or an editor would: never half a file.
        let tmp = self.dir.join(".cluster.yaml.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.dir.join("cluster.yaml")).unwrap();
    }

    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = std::net::TcpStream::connect(&self.http).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let code = response.split_whitespace().nth(1)?.parse().ok()?;
        Some((code, response.split_once("\r\n\r\n")?.1.to_owned()))
    }

    fn status(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.get("/status")?.1).ok()
    }

    fn routes(&self) -> Option<Vec<String>> {
        let status = self.status()?;
        Some(
            status["routes"]
                .as_array()?
                .iter()
                .filter_map(|r| r["prefix"].as_str().map(String::from))
                .collect(),
        )
    }

    /// Waits (generously; this is a wait, not a timing assertion) until `f` holds.
    fn wait_for(&self, what: &str, f: impl Fn(&Daemon) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
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
}

#[test]
fn daemon_announces_follows_files_and_keeps_last_good_state() {
    let daemon = Daemon::start("follow");
    daemon.wait_for("the route to be decided", |d| {
        d.routes() == Some(vec!["203.0.113.10/32".into()])
    });
    let status = daemon.status().unwrap();
    assert_eq!(status["synced"], true);
    assert_eq!(
        status["ready"], true,
        "no peers configured: ready once synced"
    );
    assert_eq!(daemon.get("/healthz").map(|r| r.0), Some(200));
    assert_eq!(daemon.get("/readyz").map(|r| r.0), Some(200));

    let metrics = daemon.get("/metrics").unwrap().1;
    assert!(
        metrics.contains("kube_anycast_routes_announced 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kube_anycast_refused_external_ips{reason=\"outside_allowed_cidrs\"} 1"),
        "{metrics}"
    );

    daemon.write_manifests(&format!("{SERVICE}{}", slice(false)));
    daemon.wait_for("the withdraw once the endpoint is not ready", |d| {
        d.routes() == Some(vec![])
    });

    daemon.write_manifests(&format!("{SERVICE}{}", slice(true)));
    daemon.wait_for("the route to come back", |d| {
        d.routes() == Some(vec!["203.0.113.10/32".into()])
    });

    daemon.write_manifests("kind: Service\nmetadata: [this is not yaml\n");
    std::thread::sleep(Duration::from_millis(800)); // several polls of the broken file
    assert_eq!(
        daemon.routes(),
        Some(vec!["203.0.113.10/32".into()]),
        "a broken file keeps the last good state"
    );
}

#[test]
fn daemon_exits_zero_on_sigterm() {
    let mut daemon = Daemon::start("sigterm");
    daemon.wait_for("the daemon to be up", |d| d.status().is_some());
    nix_kill(daemon.child.id(), "TERM");
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(status) = daemon.child.try_wait().unwrap() {
            break status.code();
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));
}

fn nix_kill(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}
