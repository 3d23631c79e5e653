//! The command line as a user meets it: the real binary, real files, exit codes.

use lab::json;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kube-anycast");

/// A private directory removed at the end of the test, even when it fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("kube-anycast-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("NODE_NAME", "node-a")
        .output()
        .expect("run kube-anycast")
}

fn check(config: &Path) -> (i32, String) {
    let out = run(&["check", "--config", config.to_str().unwrap()]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Runs `check` on a config file holding `yaml`: exit code and what it printed.
fn check_yaml(name: &str, yaml: &str) -> (i32, String) {
    let dir = TempDir::new(name);
    check(&dir.write("c.yaml", yaml))
}

/// Runs `check` on a config file holding `yaml`, expects it refused (exit 1), and
/// returns what it printed.
fn refused(name: &str, yaml: &str) -> String {
    let (code, stdout) = check_yaml(name, yaml);
    assert_eq!(code, 1, "{stdout}");
    stdout
}

/// Asserts that one line of `check`'s output is about `field` (it starts with it).
fn assert_names(stdout: &str, field: &str) {
    assert!(
        stdout.lines().any(|l| l.starts_with(field)),
        "no line about {field} in {stdout}"
    );
}

const BASE: &str = "node_name: ${NODE_NAME}\nlocal_asn: 65010\nsource: {manifests: [/dev/null]}\n";

#[test]
fn check_accepts_a_valid_config() {
    let (code, stdout) = check_yaml(
        "valid",
        &format!("{BASE}{ANNOUNCE}peers: [{{name: tor-a, address: 10.0.0.1, asn: 65000}}]\n"),
    );
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn check_refuses_an_unknown_key_naming_it() {
    let stdout = refused(
        "unknown",
        &format!("{BASE}announce: {{allowed_cidrs: []}}\nshutdwon: {{drain: 1s}}\n"),
    );
    assert!(stdout.contains("shutdwon"), "{stdout}");
}

#[test]
fn check_refuses_a_bad_cidr_naming_the_field() {
    let stdout = refused(
        "cidr",
        &format!("{BASE}announce: {{allowed_cidrs: [203.0.113.0/33]}}\n"),
    );
    assert_names(&stdout, "announce.allowed_cidrs[0]:");
}

#[test]
fn check_refuses_duplicate_peer_names() {
    let stdout = refused(
        "dup",
        &format!(
            "{BASE}announce: {{allowed_cidrs: []}}\npeers: [{{name: t, address: 10.0.0.1, asn: 1}}, {{name: t, address: 10.0.0.2, asn: 1}}]\n"
        ),
    );
    assert_names(&stdout, "peers[1].name:");
}

#[test]
fn check_refuses_a_missing_password_file() {
    let dir = TempDir::new("pw");
    let config = dir.write(
        "c.yaml",
        &format!(
            "{BASE}announce: {{allowed_cidrs: []}}\npeers: [{{name: t, address: 10.0.0.1, asn: 1, password_file: {}/missing}}]\n",
            dir.0.display()
        ),
    );
    let (code, stdout) = check(&config);
    assert_eq!(code, 1);
    assert_names(&stdout, "peers[0].password_file:");
}

#[test]
fn check_reports_every_problem_one_per_line() {
    let stdout = refused(
        "many",
        "local_asn: 0\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: [nope]}\n",
    );
    for field in ["node_name:", "local_asn:", "announce.allowed_cidrs[0]:"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(field)),
            "{field} missing in {stdout}"
        );
    }
}

#[test]
fn check_of_a_missing_file_fails() {
    let (code, stdout) = check(Path::new("/nonexistent/kube-anycast.yaml"));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("/nonexistent/kube-anycast.yaml"),
        "{stdout}"
    );
}

const CLUSTER: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {externalIPs: [203.0.113.10, 8.8.8.8]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1], nodeName: node-a, conditions: {ready: true}}]
"#;

/// The `announce:` section most tests run with.
const ANNOUNCE: &str = "announce: {allowed_cidrs: [203.0.113.0/24]}\n";

/// What `plan` reads: the cluster's manifests and a config with `announce` (its
/// `announce:` section), in a directory of their own.
struct PlanFiles {
    _dir: TempDir,
    config: PathBuf,
    manifests: PathBuf,
}

impl PlanFiles {
    fn new(name: &str, cluster: &str, announce: &str) -> PlanFiles {
        let dir = TempDir::new(name);
        let manifests = dir.write("cluster.yaml", cluster);
        let config = dir.write("c.yaml", &format!("{BASE}{announce}"));
        PlanFiles {
            _dir: dir,
            config,
            manifests,
        }
    }

    /// `plan` on these files, with `extra` arguments.
    fn run(&self, extra: &[&str]) -> Output {
        let files = [
            "plan",
            "--config",
            self.config.to_str().unwrap(),
            "--manifests",
            self.manifests.to_str().unwrap(),
        ];
        run(&[&files[..], extra].concat())
    }

    /// `plan --json` on these files, with `extra` arguments, as JSON.
    fn json(&self, extra: &[&str]) -> Value {
        let out = self.run(&[extra, &["--json"]].concat());
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "plan --json prints JSON: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

#[test]
fn plan_prints_each_external_ip_with_its_decision() {
    let files = PlanFiles::new("plan", CLUSTER, ANNOUNCE);
    let out = files.run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |ip: &str| {
        stdout
            .lines()
            .find(|l| l.contains(ip))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("203.0.113.10").contains("announced: ready endpoint on this node"),
        "{stdout}"
    );
    assert!(
        line("8.8.8.8").contains("outside announce.allowed_cidrs"),
        "{stdout}"
    );

    let json = files.json(&["--node", "node-b"]);
    assert_eq!(json["node"], "node-b");
    assert_eq!(json["routes"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        json::strings(&json["external_ips"], "reason"),
        vec!["no_local_endpoints", "outside_allowed_cidrs"]
    );
}

#[test]
fn plan_names_the_pool_and_reads_namespace_labels_from_manifests() {
    let cluster = format!(
        "{CLUSTER}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{team: shop}}}}\n"
    );
    let files = PlanFiles::new(
        "plan-pools",
        &cluster,
        "announce:\n  allowed_cidrs: [203.0.113.0/24]\n  pools:\n    - {name: shop-pool, cidrs: [203.0.113.0/28], namespace_selector: {matchLabels: {team: shop}}}\n",
    );
    let json = files.json(&[]);
    assert_eq!(json["external_ips"][0]["pool"], "shop-pool");
    assert_eq!(json["external_ips"][0]["reason"], "announced");
    assert_eq!(json["routes"].as_array().map(Vec::len), Some(1));
}

#[test]
fn plan_says_a_shared_address_is_held_back() {
    let cluster = format!(
        "{CLUSTER}---\napiVersion: v1\nkind: Service\nmetadata: {{name: intruder, namespace: other}}\nspec: {{externalIPs: [203.0.113.10]}}\n"
    );
    let json = PlanFiles::new("plan-shared", &cluster, ANNOUNCE).json(&[]);
    let web = json::find(&json["external_ips"], |v| {
        v["service"] == "shop/web" && v["external_ip"] == "203.0.113.10"
    });
    assert_eq!(web["reason"], "shared_address", "{json:#}");
    assert_eq!(web["announced"], false);
    assert_eq!(json["routes"].as_array().map(Vec::len), Some(0));
    let codes = json::strings(&json["problems"], "code");
    assert!(codes.contains(&"shared_ip_cross_namespace"), "{codes:?}");
}

#[test]
fn check_refuses_overlapping_pools_naming_both() {
    let stdout = refused(
        "check-pools",
        &format!(
            "{BASE}announce:\n  allowed_cidrs: [203.0.113.0/24]\n  pools:\n    - {{name: a, cidrs: [203.0.113.0/28], namespaces: [a]}}\n    - {{name: b, cidrs: [203.0.113.8/29], namespaces: [b]}}\n"
        ),
    );
    assert!(stdout.contains("announce.pools[1].cidrs[0]"), "{stdout}");
    assert!(stdout.contains("pool \"a\""), "{stdout}");
}

#[test]
fn plan_with_a_broken_manifest_fails_clearly() {
    let files = PlanFiles::new(
        "plan-broken",
        "kind: Service\nmetadata: [unclosed\n",
        "announce: {allowed_cidrs: []}\n",
    );
    let out = files.run(&[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cluster.yaml"));
}

#[test]
fn status_without_a_daemon_fails_clearly() {
    let out = run(&["status", "--http", "127.0.0.1:1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the daemon"));
}

#[test]
fn plan_shows_the_weight_of_each_weighted_address() {
    let files = PlanFiles::new(
        "plan-weighted",
        CLUSTER,
        "announce: {allowed_cidrs: [203.0.113.0/24], weighted: {enabled: true, bandwidth_per_endpoint: 10Gbps}}\n",
    );
    let out = files.run(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    // One ready endpoint on node-a: 10Gbps.
    let line = stdout.lines().find(|l| l.contains("203.0.113.10")).unwrap();
    assert!(line.ends_with("(weight 10Gbps)"), "{stdout}");
    let json = files.json(&[]);
    assert_eq!(json["routes"][0]["weight"], "10Gbps");
    assert_eq!(json["routes"][0]["link_bandwidth_bytes_per_second"], 1.25e9);
}
