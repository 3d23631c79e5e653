use super::*;

fn config(yaml: &str) -> Config {
    Config::parse(yaml, |_| None).expect("valid test config")
}

const BASE: &str = "node_name: n1\nlocal_asn: 65001\nrouter_id: 10.0.0.1\nsource: {manifests: [/tmp/x.yaml]}\nannounce: {allowed_cidrs: [203.0.113.0/24]}\npeers:\n  - {name: tor-a, address: 10.0.0.254, asn: 65000}\n  - {name: tor-b, address: 10.0.1.254, asn: 65000}\n";

#[test]
fn an_unchanged_file_changes_nothing() {
    assert_eq!(reload(&config(BASE), &config(BASE)), Reload::default());
}

#[test]
fn announce_settings_re_decide_without_a_restart() {
    let new = config(&BASE.replace("203.0.113.0/24", "203.0.113.0/25"));
    assert_eq!(
        reload(&config(BASE), &new),
        Reload {
            needs_restart: vec![],
            announce_changed: true
        }
    );
}

#[test]
fn node_source_and_http_changes_wait_for_a_restart() {
    let new = config(
        &BASE
            .replace("node_name: n1", "node_name: n2")
            .replace("/tmp/x.yaml", "/tmp/y.yaml"),
    );
    assert_eq!(
        reload(&config(BASE), &new).needs_restart,
        vec!["node_name", "source"]
    );
}

#[test]
fn only_a_changed_peer_gets_new_session_inputs() {
    let old = config(BASE);
    let new = config(&BASE.replace("address: 10.0.1.254", "address: 10.0.1.253"));
    let inputs = |c: &Config, i: usize| SessionInputs::of(c, &c.peers[i]);
    assert_eq!(inputs(&old, 0), inputs(&new, 0), "tor-a keeps its session");
    assert_ne!(inputs(&old, 1), inputs(&new, 1), "tor-b restarts");
    let new_asn = config(&BASE.replace("local_asn: 65001", "local_asn: 65002"));
    assert_ne!(
        inputs(&old, 0),
        inputs(&new_asn, 0),
        "a new local ASN restarts every peer"
    );
}
