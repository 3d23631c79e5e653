//! `kube-anycast run` follows its config file (SPEC 3): the file lives in a ConfigMap
//! volume, updated as the kubelet does it (a new timestamped directory, then an atomic
//! rename of the `..data` symlink); peers and announce settings change without a
//! restart; a broken file is refused and the running config stays.

use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::metrics::assert_shows;
use std::os::unix::fs::symlink;
use std::path::Path;

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

const CLUSTER: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {externalIPs: [203.0.113.10, 198.51.100.10]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0.1], nodeName: node-a}]\n";

/// Publishes `text` as the volume's `config.yaml`, the kubelet's way.
fn publish(volume: &Path, version: u32, text: &str) {
    let data = volume.join(format!("..2026_12_07_{version:02}"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("config.yaml"), text).unwrap();
    let tmp = volume.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    symlink(data.file_name().unwrap(), &tmp).unwrap();
    std::fs::rename(&tmp, volume.join("..data")).unwrap();
}

fn peer_names(daemon: &DaemonUnderTest) -> Vec<String> {
    let status = daemon.status().unwrap_or_default();
    let mut names: Vec<String> = status["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    names.sort();
    names
}

#[test]
fn config_changes_apply_without_restart_and_a_broken_file_is_refused() {
    let dir = test_dir("reload-configmap");
    let manifests = dir.join("cluster.yaml");
    std::fs::write(&manifests, CLUSTER).unwrap();
    // The volume layout, with the first version in place before the daemon starts; the
    // test support writes the config through the `config.yaml -> ..data/config.yaml` link.
    publish(&dir, 1, "");
    symlink("..data/config.yaml", dir.join("config.yaml")).unwrap();
    let base = format!(
        "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {{manifests: [{}]}}\nannounce: {{allowed_cidrs: [203.0.113.0/24]}}\npeers:\n  - {{name: tor-a, address: 127.0.0.1, port: 1, asn: 65000, connect_retry: 1s}}\n",
        manifests.display()
    );
    let daemon = DaemonUnderTest::start(BINARY, dir.clone(), &base, &[]);
    daemon.wait_for("the first decision", |d| {
        d.routes() == Some(vec!["203.0.113.10/32".into()])
    });
    assert_eq!(peer_names(&daemon), vec!["tor-a"]);
    let running = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    assert!(
        running.contains("http:"),
        "the test support added the listener"
    );

    // A second peer and a wider allowed range, through a ConfigMap update.
    let edited = running
        .replace("[203.0.113.0/24]", "[203.0.113.0/24, 198.51.100.0/24]")
        .replace(
            "peers:\n",
            "peers:\n  - {name: tor-b, address: 127.0.0.1, port: 2, asn: 65000, connect_retry: 1s}\n",
        );
    publish(&dir, 2, &edited);
    daemon.wait_for("the new allowed range to be decided", |d| {
        d.routes() == Some(vec!["198.51.100.10/32".into(), "203.0.113.10/32".into()])
    });
    daemon.wait_for("the added peer", |d| {
        peer_names(d) == vec!["tor-a", "tor-b"]
    });

    // A broken file: refused, one line per problem, and nothing changes.
    publish(&dir, 3, &edited.replace("local_asn: 65010", "local_asn: 0"));
    daemon.wait_for("the refusal", |d| d.log().contains("config reload refused"));
    let log = daemon.log();
    assert!(
        log.contains("local_asn"),
        "the problem names the field:\n{log}"
    );
    assert_eq!(
        daemon.routes(),
        Some(vec!["198.51.100.10/32".into(), "203.0.113.10/32".into()])
    );
    assert_eq!(peer_names(&daemon), vec!["tor-a", "tor-b"]);
    assert_shows(
        &daemon.get("/metrics").unwrap().1,
        &[
            "kube_anycast_config_reloads_total{result=\"refused\"} 1",
            "kube_anycast_config_reloads_total{result=\"applied\"} 1",
        ],
    );
}
