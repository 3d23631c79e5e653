//! The deployment as a user meets it: every kustomization under `deploy/` renders with
//! `kubectl kustomize` and passes `kubernetes-validate --strict`; the config each one
//! ships passes the real `kube-anycast check` with the password files its Secret
//! provides; the DaemonSet keeps the rules the config depends on (probe port =
//! `http.listen`, capabilities only for passive peers, grace period above the drain);
//! and the containerlab testbed's topology and FRR configs agree with the containerlab
//! overlay on addresses, AS numbers, passwords and the anycast pool.
//!
//! Needs `kubectl` and `kubernetes-validate` (and FRR's `vtysh` for the syntax check of
//! the FRR configs): `testbed/install-deps.sh` installs them. Without them the tests skip
//! as the lab tests do (`lab::prereq`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lab::prereq::{find_binary, tools_available};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every kustomization that renders a deployment, and the components they may use.
const KUSTOMIZATIONS: [&str; 3] = [
    "deploy/base",
    "deploy/overlays/example",
    "deploy/overlays/containerlab",
];
const COMPONENTS: [&str; 1] = ["deploy/components/bind-bgp-port"];
/// Kubernetes releases whose API schemas the manifests must pass: an old release still
/// in wide use and the newest schema kubernetes-validate ships.
const VALIDATE_VERSIONS: [&str; 2] = ["1.29.0", "1.37.0"];
const LAB_OVERLAY: &str = "deploy/overlays/containerlab";
const LAB_DIR: &str = "testbed/containerlab";
/// What the DaemonSet's downward API would give the config on a node.
const TEST_ENV: [(&str, &str); 2] = [("NODE_NAME", "node-1"), ("HOST_IP", "10.0.1.11")];

// ---------------------------------------------------------------------------------------
// Tools and rendering
// ---------------------------------------------------------------------------------------

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tools' paths, or `None` when they are missing and the test skips
/// (`lab::prereq::tools_available`).
fn tools(test: &str, names: &[&str]) -> Option<BTreeMap<String, PathBuf>> {
    if !tools_available(test, names) {
        return None;
    }
    names
        .iter()
        .map(|name| Some((name.to_string(), find_binary(name)?)))
        .collect()
}

/// `kubectl kustomize DIR`, as a list of documents.
fn render(kubectl: &Path, dir: &str) -> (String, Vec<Value>) {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(repo().join(dir))
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {dir} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("kustomize output is UTF-8");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
        .unwrap_or_else(|e| panic!("kubectl kustomize {dir}: output is not YAML: {e}"));
    let docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
    (text, docs)
}

/// The one document of `kind` (and `name` prefix, for generated names).
fn find<'a>(docs: &'a [Value], kind: &str, name_prefix: &str) -> &'a Value {
    let matches: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == kind)
        .filter(|d| {
            d["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(name_prefix))
        })
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "expected exactly one {kind} named {name_prefix}*, found {}",
        matches.len()
    );
    matches[0]
}

/// The strings of the list `v[key]`.
fn strings<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no list {key} in {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{key}: {s} is not a string"))
        })
        .collect()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

/// A Secret's or ConfigMap's entries, decoded.
fn entries(object: &Value) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Some(data) = object["data"].as_object() {
        for (k, v) in data {
            let text = v.as_str().expect("data values are strings");
            let bytes = if object["kind"] == "Secret" {
                BASE64
                    .decode(text)
                    .unwrap_or_else(|e| panic!("Secret value {k} is not base64: {e}"))
            } else {
                text.as_bytes().to_vec()
            };
            out.insert(k.clone(), bytes);
        }
    }
    if let Some(data) = object["stringData"].as_object() {
        for (k, v) in data {
            out.insert(k.clone(), v.as_str().expect("string").as_bytes().to_vec());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The deployment: the DaemonSet, what it mounts, and the config it runs with
// ---------------------------------------------------------------------------------------

/// One rendered kustomization, resolved the way the kubelet would resolve the pod.
struct Deployment {
    dir: &'static str,
    docs: Vec<Value>,
    /// The `--config` argument.
    config_path: String,
    /// The config file's text as mounted.
    config_text: String,
    /// Every mounted file: path in the container -> content.
    files: BTreeMap<String, Vec<u8>>,
}

impl Deployment {
    fn load(kubectl: &Path, dir: &'static str) -> Deployment {
        let (_, docs) = render(kubectl, dir);
        let ds = find(&docs, "DaemonSet", "kube-anycast").clone();
        let pod = &ds["spec"]["template"]["spec"];
        let containers = pod["containers"].as_array().expect("containers");
        assert_eq!(containers.len(), 1, "{dir}: one container");
        let container = &containers[0];
        let args = strings(container, "args");
        assert_eq!(
            args.first(),
            Some(&"run"),
            "{dir}: the container runs `run`"
        );
        let config_path = args
            .windows(2)
            .find(|w| w[0] == "--config")
            .map(|w| w[1].to_string())
            .unwrap_or_else(|| panic!("{dir}: no --config argument"));

        // Volumes by name -> the object they come from.
        let mut volumes: BTreeMap<&str, &Value> = BTreeMap::new();
        for v in pod["volumes"].as_array().expect("volumes") {
            let name = str_at(v, "/name");
            let source = if let Some(cm) = v.get("configMap") {
                find(&docs, "ConfigMap", str_at(cm, "/name"))
            } else if let Some(secret) = v.get("secret") {
                find(&docs, "Secret", str_at(secret, "/secretName"))
            } else {
                panic!("{dir}: volume {name} is neither a ConfigMap nor a Secret");
            };
            // The generated names carry a hash suffix; the reference must be exact.
            let referenced = v
                .pointer("/configMap/name")
                .or_else(|| v.pointer("/secret/secretName"))
                .and_then(Value::as_str);
            assert_eq!(
                referenced,
                source["metadata"]["name"].as_str(),
                "{dir}: volume {name} names its object exactly"
            );
            volumes.insert(name, source);
        }
        let mut files = BTreeMap::new();
        for m in container["volumeMounts"].as_array().expect("volumeMounts") {
            let source = volumes[str_at(m, "/name")];
            let data = entries(source);
            let mount = str_at(m, "/mountPath");
            match m["subPath"].as_str() {
                Some(key) => {
                    let content = data
                        .get(key)
                        .unwrap_or_else(|| panic!("{dir}: subPath {key} is not in its volume"));
                    files.insert(mount.to_string(), content.clone());
                }
                None => {
                    for (key, content) in data {
                        files.insert(format!("{}/{key}", mount.trim_end_matches('/')), content);
                    }
                }
            }
        }
        let config_text = String::from_utf8(
            files
                .get(&config_path)
                .unwrap_or_else(|| panic!("{dir}: nothing is mounted at {config_path}"))
                .clone(),
        )
        .expect("config is UTF-8");
        Deployment {
            dir,
            docs,
            config_path,
            config_text,
            files,
        }
    }

    fn daemonset(&self) -> &Value {
        find(&self.docs, "DaemonSet", "kube-anycast")
    }

    fn container(&self) -> &Value {
        &self.daemonset()["spec"]["template"]["spec"]["containers"][0]
    }

    /// The config as the daemon would parse it on node-1, as JSON, for assertions.
    fn config(&self) -> Value {
        let mut text = self.config_text.clone();
        for (name, value) in TEST_ENV {
            text = text.replace(&format!("${{{name}}}"), value);
        }
        serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: config.yaml is not YAML: {e}", self.dir))
    }

    /// Writes every mounted file under `root` (the container's paths re-rooted there) and
    /// returns the config path, with the config's absolute paths re-rooted too.
    fn materialize(&self, root: &Path) -> PathBuf {
        let _ = std::fs::remove_dir_all(root);
        let rerooted = |path: &str| root.join(path.trim_start_matches('/'));
        for (path, content) in &self.files {
            let target = rerooted(path);
            std::fs::create_dir_all(target.parent().expect("mounted files have a parent"))
                .expect("create dir");
            std::fs::write(&target, content).expect("write mounted file");
        }
        let mut text = self.config_text.clone();
        for path in self.files.keys() {
            if path != &self.config_path {
                text = text.replace(path.as_str(), &rerooted(path).display().to_string());
            }
        }
        let config = rerooted(&self.config_path);
        std::fs::write(&config, text).expect("write config");
        config
    }
}

/// Renders each kustomization of `dirs` and runs `check` on it with its directory; false
/// when kubectl is missing and `test` skips (`lab::prereq::tools_available`).
fn each_deployment(
    test: &str,
    dirs: &[&'static str],
    mut check: impl FnMut(&'static str, &Deployment),
) -> bool {
    let Some(tools) = tools(test, &["kubectl"]) else {
        return false;
    };
    for dir in dirs {
        check(dir, &Deployment::load(&tools["kubectl"], dir));
    }
    true
}

/// One kustomization rendered, or `None` when kubectl is missing and `test` skips.
fn deployment(test: &str, dir: &'static str) -> Option<Deployment> {
    let tools = tools(test, &["kubectl"])?;
    Some(Deployment::load(&tools["kubectl"], dir))
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("deploy")
        .join(name)
}

/// Runs `kube-anycast check` on a materialized deployment; returns (success, output).
fn kube_anycast_check(config: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kube-anycast"))
        .arg("check")
        .arg("--config")
        .arg(config)
        .envs(TEST_ENV)
        .stdin(Stdio::null())
        .output()
        .expect("run kube-anycast check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn kustomization_dirs_on_disk() -> BTreeSet<String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read deploy/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.file_name().is_some_and(|n| n == "kustomization.yaml") {
                let rel = path
                    .parent()
                    .expect("parent")
                    .strip_prefix(base)
                    .expect("under the repo");
                out.insert(rel.display().to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&repo().join("deploy"), &repo(), &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Tests: the manifests
// ---------------------------------------------------------------------------------------

#[test]
fn every_kustomization_is_listed_here() {
    let listed: BTreeSet<String> = KUSTOMIZATIONS
        .iter()
        .chain(COMPONENTS.iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(kustomization_dirs_on_disk(), listed);
}

#[test]
fn every_kustomization_renders_and_passes_strict_schema_validation() {
    let Some(tools) = tools(
        "every_kustomization_renders_and_passes_strict_schema_validation",
        &["kubectl", "kubernetes-validate"],
    ) else {
        return;
    };
    for dir in KUSTOMIZATIONS {
        let (text, docs) = render(&tools["kubectl"], dir);
        let file = scratch("validate").join(format!("{}.yaml", dir.replace('/', "_")));
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, &text).expect("write rendered");
        for version in VALIDATE_VERSIONS {
            let out = Command::new(&tools["kubernetes-validate"])
                .args(["--strict", "--kubernetes-version", version])
                .arg(&file)
                .output()
                .expect("run kubernetes-validate");
            let report = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{dir}: kubernetes-validate --strict for {version}:\n{report}"
            );
            // One "passed" line per document: nothing was skipped for an unknown kind.
            let passed = report.lines().filter(|l| l.contains(" passed ")).count();
            assert_eq!(
                passed,
                docs.len(),
                "{dir}: every document validated for {version}:\n{report}"
            );
        }
        for kind in [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "Secret",
            "DaemonSet",
        ] {
            assert!(
                docs.iter().any(|d| d["kind"] == kind),
                "{dir}: renders a {kind}"
            );
        }
    }
}

#[test]
fn every_shipped_config_passes_kube_anycast_check_with_its_mounted_passwords() {
    each_deployment(
        "every_shipped_config_passes_kube_anycast_check_with_its_mounted_passwords",
        &KUSTOMIZATIONS,
        |dir, deployment| {
            let config = deployment.materialize(&scratch(&dir.replace('/', "_")));
            let (ok, output) = kube_anycast_check(&config);
            assert!(ok, "{dir}: kube-anycast check failed:\n{output}");
            assert!(output.contains(": ok"), "{dir}: check says ok: {output}");
        },
    );
}

#[test]
fn shipped_passwords_outside_the_testbed_are_visible_placeholders() {
    let outside_the_testbed: Vec<&'static str> = KUSTOMIZATIONS
        .into_iter()
        .filter(|d| *d != LAB_OVERLAY)
        .collect();
    let mut checked = 0;
    let ran = each_deployment(
        "shipped_passwords_outside_the_testbed_are_visible_placeholders",
        &outside_the_testbed,
        |dir, d| {
            for (path, content) in &d.files {
                if path.starts_with("/etc/kube-anycast/secrets/") {
                    assert!(
                        content.starts_with(b"CHANGE-ME"),
                        "{dir}: {path} must be an obvious placeholder"
                    );
                    checked += 1;
                }
            }
        },
    );
    if ran {
        assert_eq!(checked, 4, "tor-a, tor-b (base), leaf-1, leaf-2 (example)");
    }
}

#[test]
fn a_password_file_missing_from_the_secret_fails_the_check() {
    let Some(mut deployment) = deployment(
        "a_password_file_missing_from_the_secret_fails_the_check",
        "deploy/base",
    ) else {
        return;
    };
    let removed = deployment
        .files
        .keys()
        .find(|p| p.ends_with("/tor-b"))
        .cloned()
        .expect("the base mounts a password for tor-b");
    deployment.files.remove(&removed);
    let config = deployment.materialize(&scratch("missing-password"));
    let (ok, output) = kube_anycast_check(&config);
    assert!(
        !ok,
        "check must fail without tor-b's password file:\n{output}"
    );
    assert!(
        output.contains("peers[1].password_file"),
        "the problem names the field: {output}"
    );
}

#[test]
fn the_daemonset_reads_node_name_and_host_ip_from_the_downward_api() {
    each_deployment(
        "the_daemonset_reads_node_name_and_host_ip_from_the_downward_api",
        &KUSTOMIZATIONS,
        |dir, d| {
            let env: BTreeMap<&str, &str> = d.container()["env"]
                .as_array()
                .expect("env")
                .iter()
                .filter_map(|e| {
                    Some((
                        e["name"].as_str()?,
                        e.pointer("/valueFrom/fieldRef/fieldPath")?.as_str()?,
                    ))
                })
                .collect();
            assert_eq!(env.get("NODE_NAME"), Some(&"spec.nodeName"), "{dir}");
            assert_eq!(env.get("HOST_IP"), Some(&"status.hostIP"), "{dir}");
            // And the config uses them where SPEC 3 says.
            assert!(d.config_text.contains("node_name: ${NODE_NAME}"), "{dir}");
            assert!(d.config_text.contains("router_id: ${HOST_IP}"), "{dir}");
        },
    );
}

#[test]
fn probes_reach_the_http_listener_of_the_config() {
    each_deployment(
        "probes_reach_the_http_listener_of_the_config",
        &KUSTOMIZATIONS,
        |dir, d| {
            let config = d.config();
            let listen: std::net::SocketAddr = config["http"]["listen"]
                .as_str()
                .unwrap_or_else(|| panic!("{dir}: http.listen is set"))
                .parse()
                .expect("http.listen is ADDRESS:PORT");
            // The kubelet probes the pod IP, which with hostNetwork is the node's IP.
            assert_eq!(
                listen.ip().to_string(),
                TEST_ENV[1].1,
                "{dir}: http.listen is on ${{HOST_IP}}"
            );
            let container = d.container();
            let port = container["ports"]
                .as_array()
                .expect("ports")
                .iter()
                .find(|p| p["name"] == "http")
                .expect("a port named http");
            assert_eq!(
                port["containerPort"].as_u64(),
                Some(u64::from(listen.port())),
                "{dir}"
            );
            for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
                let get = &container[probe]["httpGet"];
                assert_eq!(get["path"], path, "{dir}: {probe}");
                assert_eq!(get["port"], "http", "{dir}: {probe}");
                assert!(
                    get.get("host").is_none(),
                    "{dir}: {probe} goes to the pod IP"
                );
            }
        },
    );
}

#[test]
fn the_pod_is_host_network_critical_and_rolls_one_node_at_a_time() {
    each_deployment(
        "the_pod_is_host_network_critical_and_rolls_one_node_at_a_time",
        &KUSTOMIZATIONS,
        |dir, d| {
            let ds = d.daemonset();
            let pod = &ds["spec"]["template"]["spec"];
            assert_eq!(pod["hostNetwork"], true, "{dir}");
            assert_eq!(pod["dnsPolicy"], "ClusterFirstWithHostNet", "{dir}");
            assert_eq!(pod["priorityClassName"], "system-node-critical", "{dir}");
            assert_eq!(
                ds["spec"]["updateStrategy"]["type"], "RollingUpdate",
                "{dir}"
            );
            let rolling = &ds["spec"]["updateStrategy"]["rollingUpdate"];
            assert_eq!(rolling["maxUnavailable"], 1, "{dir}");
            assert_eq!(
                rolling["maxSurge"], 0,
                "{dir}: never two speakers on a node"
            );
            assert!(
                d.container()["resources"]["requests"].is_object()
                    && d.container()["resources"]["limits"]["memory"].is_string(),
                "{dir}: requests and a memory limit"
            );
        },
    );
}

/// Seconds of a config duration (`5s`, `500ms`, `2m`).
fn seconds(duration: &str) -> f64 {
    let split = duration
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(duration.len());
    let (n, unit) = duration.split_at(split);
    let n: f64 = n
        .parse()
        .unwrap_or_else(|_| panic!("{duration:?} is a duration"));
    match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => panic!("unknown duration unit {other:?}"),
    }
}

#[test]
fn the_grace_period_covers_the_shutdown_drain_with_margin() {
    // After the drain come the Cease and the close of every session (the driver lingers
    // up to 3 s on a close); 10 s above the drain leaves room for a slow router.
    const MARGIN_SECS: f64 = 10.0;
    each_deployment(
        "the_grace_period_covers_the_shutdown_drain_with_margin",
        &KUSTOMIZATIONS,
        |dir, d| {
            let config = d.config();
            let drain = config["shutdown"]["drain"].as_str().map_or(2.0, seconds);
            let grace = d.daemonset()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
                .as_f64()
                .unwrap_or(30.0);
            assert!(
                grace >= drain + MARGIN_SECS,
                "{dir}: terminationGracePeriodSeconds {grace} < shutdown.drain {drain} + {MARGIN_SECS}"
            );
        },
    );
}

#[test]
fn capabilities_are_dropped_and_port_179_is_allowed_only_for_passive_peers() {
    let mut seen_passive = false;
    let ran = each_deployment(
        "capabilities_are_dropped_and_port_179_is_allowed_only_for_passive_peers",
        &KUSTOMIZATIONS,
        |dir, d| {
            let passive = d.config()["peers"]
                .as_array()
                .expect("peers")
                .iter()
                .any(|p| p["passive"] == true);
            seen_passive |= passive;
            let pod = &d.daemonset()["spec"]["template"]["spec"];
            let sc = &d.container()["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{dir}");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{dir}");
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{dir}"
            );
            assert_eq!(
                pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
                "{dir}"
            );
            let added = sc["capabilities"]["add"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if passive {
                assert_eq!(
                    added,
                    vec![Value::from("NET_BIND_SERVICE")],
                    "{dir}: a passive peer needs port 179"
                );
                // Added capabilities are effective only for UID 0 (see the component).
                assert_eq!(pod["securityContext"]["runAsUser"], 0, "{dir}");
            } else {
                assert!(
                    added.is_empty(),
                    "{dir}: no capability without passive peers"
                );
                assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{dir}");
                assert_ne!(pod["securityContext"]["runAsUser"], 0, "{dir}");
            }
        },
    );
    if ran {
        assert!(
            seen_passive,
            "some overlay exercises the passive-peer component"
        );
    }
}

/// As kube-proxy: tainted ingress nodes get a speaker, and a node being drained or
/// removed keeps its speaker long enough to withdraw.
#[test]
fn the_daemonset_tolerates_every_taint() {
    each_deployment(
        "the_daemonset_tolerates_every_taint",
        &KUSTOMIZATIONS,
        |dir, d| {
            let tolerations = d.daemonset()["spec"]["template"]["spec"]["tolerations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                tolerations.iter().any(|t| t["operator"] == "Exists"
                    && t.get("key").is_none_or(Value::is_null)
                    && t.get("effect").is_none_or(Value::is_null)),
                "{dir}: tolerations {tolerations:?}"
            );
        },
    );
}

/// Which rules the ClusterRole holds is checked against the calls the daemon makes, in
/// `tests/rbac.rs`; here, that the pod runs with it.
#[test]
fn rbac_binds_the_cluster_role_to_the_pods_service_account() {
    let Some(d) = deployment(
        "rbac_binds_the_cluster_role_to_the_pods_service_account",
        "deploy/base",
    ) else {
        return;
    };
    let role = find(&d.docs, "ClusterRole", "kube-anycast");
    let binding = find(&d.docs, "ClusterRoleBinding", "kube-anycast");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    let subject = &binding["subjects"][0];
    let pod = &d.daemonset()["spec"]["template"]["spec"];
    assert_eq!(subject["name"], pod["serviceAccountName"]);
    assert_eq!(subject["namespace"], d.daemonset()["metadata"]["namespace"]);
}

// ---------------------------------------------------------------------------------------
// Tests: the containerlab testbed against its overlay
// ---------------------------------------------------------------------------------------

/// What the tests need from an FRR config: read line by line, as vtysh would show it.
#[derive(Debug, Default)]
struct Frr {
    hostname: String,
    asn: u32,
    /// Interface -> its addresses (with prefix length).
    addresses: BTreeMap<String, Vec<ipnet::IpNet>>,
    /// Prefix list name -> (prefix, ge) of its permit entries.
    prefix_lists: BTreeMap<String, Vec<(ipnet::IpNet, u8)>>,
    /// Route-map name -> prefix lists it matches, for `permit` entries.
    route_map_matches: BTreeMap<String, Vec<String>>,
    /// Peer-group settings: `neighbor NAME KEY VALUE...` -> (NAME, KEY) -> VALUE.
    neighbor: BTreeMap<(String, String), String>,
    /// `route-map NAME in` per (address family, peer-group).
    route_map_in: BTreeMap<(String, String), String>,
    listen_ranges: Vec<(ipnet::IpNet, String)>,
    /// Address families with `maximum-paths` above 1.
    multipath_families: BTreeSet<String>,
    multipath_relax: bool,
}

fn parse_frr(text: &str) -> Frr {
    let mut frr = Frr::default();
    let mut interface: Option<String> = None;
    let mut route_map: Option<(String, bool)> = None;
    let mut family = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] | ["!", ..] => {}
            ["hostname", name] => frr.hostname = name.to_string(),
            ["interface", name] => interface = Some(name.to_string()),
            ["ip" | "ipv6", "address", addr] if interface.is_some() => {
                let net: ipnet::IpNet = addr.parse().expect("interface address");
                frr.addresses
                    .entry(interface.clone().expect("in interface"))
                    .or_default()
                    .push(net);
            }
            [
                "ip" | "ipv6",
                "prefix-list",
                name,
                "seq",
                _,
                "permit",
                prefix,
                "ge",
                ge,
            ] => {
                frr.prefix_lists
                    .entry(name.to_string())
                    .or_default()
                    .push((prefix.parse().expect("prefix"), ge.parse().expect("ge")));
            }
            ["ip" | "ipv6", "prefix-list", ..] => {
                panic!("unexpected prefix-list form (use `seq N permit P ge LEN`): {line}")
            }
            ["route-map", name, action, _] => {
                route_map = Some((name.to_string(), *action == "permit"));
            }
            ["match", "ip" | "ipv6", "address", "prefix-list", list] => {
                if let Some((name, true)) = &route_map {
                    frr.route_map_matches
                        .entry(name.clone())
                        .or_default()
                        .push(list.to_string());
                }
            }
            ["router", "bgp", asn] => frr.asn = asn.parse().expect("ASN"),
            ["bgp", "bestpath", "as-path", "multipath-relax"] => frr.multipath_relax = true,
            ["bgp", "listen", "range", range, "peer-group", group] => frr
                .listen_ranges
                .push((range.parse().expect("listen range"), group.to_string())),
            ["address-family", afi, "unicast"] => family = afi.to_string(),
            ["exit-address-family"] => family.clear(),
            ["maximum-paths", n] if n.parse::<u32>().expect("number") > 1 => {
                frr.multipath_families.insert(family.clone());
            }
            ["neighbor", name, "route-map", map, "in"] => {
                frr.route_map_in
                    .insert((family.clone(), name.to_string()), map.to_string());
            }
            ["neighbor", name, key, rest @ ..] if family.is_empty() => {
                frr.neighbor
                    .insert((name.to_string(), key.to_string()), rest.join(" "));
            }
            ["exit"] => {
                interface = None;
                route_map = None;
            }
            _ => {}
        }
    }
    frr
}

/// The testbed's node containers: kind names them CLUSTER-control-plane,
/// CLUSTER-worker, CLUSTER-worker2, ... in the order of kind-cluster.yaml.
fn kind_node_names(cluster: &str, kind_config: &Value) -> Vec<String> {
    let mut names = Vec::new();
    // How many nodes of each role so far: the second worker is CLUSTER-worker2.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for node in kind_config["nodes"].as_array().expect("kind nodes") {
        let role = match node["role"].as_str() {
            Some(role @ ("control-plane" | "worker")) => role,
            other => panic!("unknown kind node role {other:?}"),
        };
        let n = seen.entry(role).or_default();
        *n += 1;
        names.push(if *n == 1 {
            format!("{cluster}-{role}")
        } else {
            format!("{cluster}-{role}{n}")
        });
    }
    names
}

/// The words of each command of a node's exec list.
fn exec_commands(node: &Value) -> Vec<Vec<&str>> {
    node["exec"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some(c.as_str()?.split_whitespace().collect()))
        .collect()
}

/// `ip [-6] addr add ADDR/LEN dev eth1` lines of a node's exec list.
fn exec_addresses(node: &Value, dev: &str) -> Vec<ipnet::IpNet> {
    exec_commands(node)
        .into_iter()
        .filter_map(|words| {
            let at = words.iter().position(|w| *w == "add")?;
            let is_addr = words.contains(&"addr") && words.ends_with(&["dev", dev]);
            is_addr.then(|| words[at + 1].parse().expect("address"))
        })
        .collect()
}

/// `ip [-6] route replace PREFIX via GW` lines of a node's exec list.
fn exec_routes(node: &Value) -> Vec<(ipnet::IpNet, IpAddr)> {
    exec_commands(node)
        .into_iter()
        .filter_map(|words| {
            let at = words.iter().position(|w| *w == "replace")?;
            let via = words.iter().position(|w| *w == "via")?;
            Some((
                words[at + 1].parse().expect("route prefix"),
                words[via + 1].parse().expect("gateway"),
            ))
        })
        .collect()
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_containerlab_testbed_agrees_with_its_overlay() {
    let Some(d) = deployment(
        "the_containerlab_testbed_agrees_with_its_overlay",
        LAB_OVERLAY,
    ) else {
        return;
    };
    let lab = repo().join(LAB_DIR);
    // The image README.md builds and `kind load`s; pulling it would fail.
    assert_eq!(d.container()["image"], "kube-anycast:dev");
    assert_eq!(d.container()["imagePullPolicy"], "IfNotPresent");
    let readme = std::fs::read_to_string(repo().join(LAB_DIR).join("README.md")).expect("README");
    assert!(readme.contains("kind load docker-image kube-anycast:dev --name anycast"));
    let config = d.config();
    let topology = read_yaml(&lab.join("kube-anycast.clab.yml"));
    let nodes = topology["topology"]["nodes"].as_object().expect("nodes");
    let links: Vec<(String, String)> = topology["topology"]["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            let e = l["endpoints"].as_array().expect("endpoints");
            (
                e[0].as_str().expect("endpoint").to_string(),
                e[1].as_str().expect("endpoint").to_string(),
            )
        })
        .collect();
    let linked = |a: &str, b_node: &str| {
        links.iter().any(|(x, y)| {
            (x == a && y.split(':').next() == Some(b_node))
                || (y == a && x.split(':').next() == Some(b_node))
        })
    };
    let bridge = nodes
        .iter()
        .find(|(_, n)| n["kind"] == "bridge")
        .map(|(name, _)| name.clone())
        .expect("a bridge node is the rack segment");

    // The kind cluster's nodes are the topology's ext-container nodes, on the rack.
    let kind_nodes = kind_node_names("anycast", &read_yaml(&lab.join("kind-cluster.yaml")));
    let ext: Vec<String> = nodes
        .iter()
        .filter(|(_, n)| n["kind"] == "ext-container")
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(
        ext.iter().collect::<BTreeSet<_>>(),
        kind_nodes.iter().collect::<BTreeSet<_>>(),
        "ext-container nodes are the kind cluster's nodes"
    );
    assert_eq!(ext.len(), 3);
    let node_addresses: Vec<Vec<ipnet::IpNet>> = ext
        .iter()
        .map(|name| {
            assert!(
                linked(&format!("{name}:eth1"), &bridge),
                "{name}:eth1 is on {bridge}"
            );
            exec_addresses(&nodes[name.as_str()], "eth1")
        })
        .collect();

    // The routers: one FRR container per peer of the overlay, named like the peer.
    let peers = config["peers"].as_array().expect("peers");
    let routers: BTreeSet<String> = nodes
        .iter()
        .filter(|(_, n)| {
            n["image"]
                .as_str()
                .is_some_and(|i| i.contains("frrouting/frr"))
        })
        .map(|(name, _)| name.clone())
        .collect();
    let peer_names: BTreeSet<String> = peers
        .iter()
        .map(|p| p["name"].as_str().expect("peer name").to_string())
        .collect();
    assert_eq!(
        routers, peer_names,
        "one FRR router per configured peer, same names"
    );
    assert_eq!(routers.len(), 2);

    let local_asn = config["local_asn"].as_u64().expect("local_asn");
    let allowed: BTreeSet<ipnet::IpNet> = strings(&config["announce"], "allowed_cidrs")
        .into_iter()
        .map(|c| c.parse().expect("cidr"))
        .collect();
    let families: BTreeSet<&str> = peers
        .iter()
        .flat_map(|p| p["families"].as_array().expect("families").iter())
        .map(|f| f.as_str().expect("family"))
        .collect();

    for peer in peers {
        let name = peer["name"].as_str().expect("name");
        let node = &nodes[name];
        let conf_bind = strings(node, "binds")
            .into_iter()
            .find(|b| b.ends_with(":/etc/frr/frr.conf"))
            .expect("frr.conf is bound");
        let conf_path = lab.join(conf_bind.split(':').next().expect("host path"));
        let frr = parse_frr(&std::fs::read_to_string(&conf_path).expect("read frr.conf"));
        assert_eq!(frr.hostname, name, "{}", conf_path.display());
        assert!(
            linked(&format!("{name}:eth1"), &bridge),
            "{name}:eth1 is on {bridge}"
        );

        // Our peer address is the router's rack address; our ASN its neighbor's.
        let address: IpAddr = peer["address"]
            .as_str()
            .expect("address")
            .parse()
            .expect("ip");
        let rack = frr.addresses.get("eth1").expect("eth1 has addresses");
        let rack_net = rack
            .iter()
            .find(|n| n.addr() == address)
            .unwrap_or_else(|| panic!("{name}: eth1 has {address}, the peer address"));
        assert_eq!(
            u64::from(frr.asn),
            peer["asn"].as_u64().expect("asn"),
            "{name}: router bgp"
        );
        assert_ne!(u64::from(frr.asn), local_asn, "{name}: the testbed is eBGP");

        // Every node can connect: its rack address is in the router's listen range, in
        // the same subnet as the router (a one-hop eBGP session).
        assert_eq!(frr.listen_ranges.len(), 1, "{name}: one listen range");
        let (range, group) = &frr.listen_ranges[0];
        for (node_name, addrs) in ext.iter().zip(&node_addresses) {
            let v4 = addrs
                .iter()
                .find(|n| n.addr().is_ipv4())
                .unwrap_or_else(|| panic!("{node_name}: an IPv4 rack address"));
            assert!(
                range.contains(&v4.addr()),
                "{name}: listen range {range} has {node_name}"
            );
            assert!(
                rack_net.contains(&v4.addr()),
                "{node_name} is on {name}'s subnet"
            );
            if families.contains("ipv6") {
                // next_hop ipv6 auto: the global IPv6 address of the session's interface.
                assert!(
                    addrs.iter().any(|n| n.addr().is_ipv6()),
                    "{node_name}: an IPv6 address on eth1 for IPv6 next hops"
                );
            }
        }
        let setting = |key: &str| frr.neighbor.get(&(group.clone(), key.to_string()));
        assert_eq!(
            setting("remote-as").map(String::as_str),
            Some(local_asn.to_string().as_str()),
            "{name}: neighbor {group} remote-as is local_asn"
        );

        // The TCP-MD5 password is the one in the overlay's Secret for this peer.
        let password_file = peer["password_file"].as_str().expect("password_file");
        let password = d
            .files
            .get(password_file)
            .unwrap_or_else(|| panic!("{name}: {password_file} is mounted"));
        assert_eq!(
            setting("password").map(String::as_bytes),
            Some(password.as_slice()),
            "{name}: neighbor {group} password"
        );

        // The pool: exactly allowed_cidrs, host routes only, applied inbound per family.
        let mut pool = BTreeSet::new();
        for afi in ["ipv4", "ipv6"] {
            if !families.contains(afi) {
                continue;
            }
            let map = frr
                .route_map_in
                .get(&(afi.to_string(), group.clone()))
                .unwrap_or_else(|| panic!("{name}: {afi} route-map in for {group}"));
            let lists = frr
                .route_map_matches
                .get(map)
                .unwrap_or_else(|| panic!("{name}: route-map {map} matches a prefix-list"));
            for list in lists {
                for (prefix, ge) in &frr.prefix_lists[list] {
                    assert_eq!(
                        prefix.addr().is_ipv4(),
                        afi == "ipv4",
                        "{name}: {list} in {afi}"
                    );
                    assert_eq!(
                        *ge,
                        prefix.max_prefix_len(),
                        "{name}: {list} takes host routes only"
                    );
                    pool.insert(*prefix);
                }
            }
            assert!(
                frr.multipath_families.contains(afi),
                "{name}: maximum-paths in {afi}"
            );
        }
        assert_eq!(
            pool, allowed,
            "{name}: the prefix-lists are announce.allowed_cidrs"
        );
        assert!(
            frr.multipath_relax,
            "{name}: bgp bestpath as-path multipath-relax"
        );
    }

    // The client routes the pool towards a router, and nodes route the client back.
    let client_routes = exec_routes(&nodes["client"]);
    for cidr in &allowed {
        assert!(
            client_routes.iter().any(|(p, _)| p.contains(cidr)),
            "client routes {cidr} to a router"
        );
    }
}

#[test]
fn the_testbed_frr_configs_are_accepted_by_vtysh() {
    let Some(tools) = tools("the_testbed_frr_configs_are_accepted_by_vtysh", &["vtysh"]) else {
        return;
    };
    let frr = repo().join(LAB_DIR).join("frr");
    let mut checked = 0;
    for entry in std::fs::read_dir(&frr).expect("read frr/") {
        let conf = entry.expect("entry").path().join("frr.conf");
        if !conf.is_file() {
            continue;
        }
        // `vtysh -C`: parse with the full command grammar and exit; no daemon needed.
        let out = Command::new(&tools["vtysh"])
            .arg("-C")
            .arg("-f")
            .arg(&conf)
            .output()
            .expect("run vtysh");
        assert!(
            out.status.success(),
            "{}: vtysh -C:\n{}{}",
            conf.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "tor-a and tor-b");
}

#[test]
fn frr_parser_reads_the_statements_the_checks_rely_on() {
    let frr = parse_frr(
        "hostname r1\ninterface eth1\n ip address 10.0.1.2/24\nexit\n\
         ip prefix-list P seq 5 permit 203.0.113.0/24 ge 32\n\
         route-map M permit 10\n match ip address prefix-list P\nexit\n\
         router bgp 65000\n bgp listen range 10.0.1.0/24 peer-group G\n\
         neighbor G remote-as 65010\n neighbor G password secret words\n\
         address-family ipv4 unicast\n  neighbor G route-map M in\n  maximum-paths 8\n\
         exit-address-family\nexit\n",
    );
    assert_eq!(frr.hostname, "r1");
    assert_eq!(frr.asn, 65000);
    assert_eq!(
        frr.addresses["eth1"],
        vec!["10.0.1.2/24".parse::<ipnet::IpNet>().unwrap()]
    );
    assert_eq!(
        frr.prefix_lists["P"],
        vec![("203.0.113.0/24".parse().unwrap(), 32)]
    );
    assert_eq!(frr.route_map_matches["M"], vec!["P".to_string()]);
    assert_eq!(frr.route_map_in[&("ipv4".into(), "G".into())], "M");
    assert_eq!(
        frr.neighbor[&("G".into(), "password".into())],
        "secret words"
    );
    assert!(frr.multipath_families.contains("ipv4"));
    assert!(!frr.multipath_relax);
}
