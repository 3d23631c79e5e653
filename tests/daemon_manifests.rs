//! `kube-anycast run` with the manifests source, as a process: it syncs, decides, serves
//! /status, /readyz and /metrics, follows file changes, keeps the last good state when a
//! file breaks, and exits 0 on SIGTERM. (BGP towards real routers is covered by the lab
//! tests; here the daemon has no peers.)

use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::metrics::assert_shows;

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {externalIPs: [203.0.113.10, 8.8.8.8]}\n";

fn slice(ready: bool) -> String {
    format!(
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: web-1, namespace: shop, labels: {{kubernetes.io/service-name: web}}}}\naddressType: IPv4\nendpoints: [{{addresses: [10.0.0.1], nodeName: node-a, conditions: {{ready: {ready}}}}}]\n"
    )
}

fn start(name: &str) -> DaemonUnderTest {
    let dir = test_dir(&format!("manifests-{name}"));
    let manifests = dir.join("cluster.yaml");
    std::fs::write(&manifests, format!("{SERVICE}{}", slice(true))).unwrap();
    let config = format!(
        "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {{manifests: [{}]}}\nannounce: {{allowed_cidrs: [203.0.113.0/24]}}\n",
        manifests.display()
    );
    DaemonUnderTest::start(BINARY, dir, &config, &[])
}

/// Write then rename, as a ConfigMap update or an editor would: never half a file.
fn write_manifests(daemon: &DaemonUnderTest, text: &str) {
    let tmp = daemon.dir.join(".cluster.yaml.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, daemon.dir.join("cluster.yaml")).unwrap();
}

#[test]
fn daemon_announces_follows_files_and_keeps_last_good_state() {
    let daemon = start("follow");
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

    assert_shows(
        &daemon.get("/metrics").unwrap().1,
        &[
            "kube_anycast_routes_announced 1",
            "kube_anycast_refused_external_ips{reason=\"outside_allowed_cidrs\"} 1",
        ],
    );

    write_manifests(&daemon, &format!("{SERVICE}{}", slice(false)));
    daemon.wait_for("the withdraw once the endpoint is not ready", |d| {
        d.routes() == Some(vec![])
    });

    write_manifests(&daemon, &format!("{SERVICE}{}", slice(true)));
    daemon.wait_for("the route to come back", |d| {
        d.routes() == Some(vec!["203.0.113.10/32".into()])
    });

    write_manifests(&daemon, "kind: Service\nmetadata: [this is not yaml\n");
    daemon.wait_for("the broken file to be reported", |d| {
        d.log().contains("keeping the last good state")
    });
    assert_eq!(
        daemon.routes(),
        Some(vec!["203.0.113.10/32".into()]),
        "a broken file keeps the last good state"
    );
    assert_eq!(
        daemon.log().matches("keeping the last good state").count(),
        1,
        "the broken file is reported once, not once per event"
    );
}

#[test]
fn daemon_exits_zero_on_sigterm() {
    let mut daemon = start("sigterm");
    daemon.wait_for("the daemon to be up", |d| d.status().is_some());
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(daemon.wait_exit(), Some(0));
}
