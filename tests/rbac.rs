//! The ClusterRole in `deploy/` grants exactly what the daemon uses: the daemon runs
//! against the fake API server through everything it can ask for (the first sync, watches,
//! an Event created and then updated), and the requests it made, as (API group, resource,
//! verb), must equal the rules `kubectl kustomize deploy/base` renders. A missing grant
//! would fail in a real cluster; an extra one is more power than the speaker needs.

use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::fake_apiserver::{FakeApiServer, Verb};
use lab::objects::{Namespace, Node, Service};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

type Grant = (String, String, String);

/// The rules of the rendered ClusterRole `kube-anycast`, one (group, resource, verb) each.
fn rendered_grants() -> Option<BTreeSet<Grant>> {
    if !lab::prereq::tools_available("rendered RBAC", &["kubectl"]) {
        return None;
    }
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/base"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&String::from_utf8_lossy(&out.stdout)).expect("YAML");
    let role = docs
        .iter()
        .find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == "kube-anycast")
        .expect("a ClusterRole kube-anycast");
    let mut grants = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        let list = |key: &str| -> Vec<String> {
            rule[key]
                .as_array()
                .unwrap_or_else(|| panic!("rule without {key}: {rule}"))
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        for group in list("apiGroups") {
            for resource in list("resources") {
                for verb in list("verbs") {
                    grants.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    Some(grants)
}

fn verb_name(verb: Verb) -> Option<&'static str> {
    Some(match verb {
        Verb::List => "list",
        Verb::Watch => "watch",
        Verb::Get => "get",
        Verb::Create => "create",
        Verb::Update => "update",
        Verb::Patch => "patch",
        Verb::Delete => "delete",
        // Discovery is open to every authenticated user (system:discovery).
        Verb::Discovery | Verb::Other => return None,
    })
}

fn service(annotations: Value) -> Value {
    Service::new("shop", "tuned")
        .external_ips(["203.0.113.12"])
        .annotations(annotations)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rendered_cluster_role_grants_exactly_the_calls_the_daemon_makes() {
    let Some(granted) = rendered_grants() else {
        return;
    };
    let api = FakeApiServer::start().await;
    api.apply(Node::new("node-a").build());
    api.apply(Namespace::new("shop").build());
    api.apply(service(json!({"kube-anycast.io/med": "ten"})));
    let kubeconfig = api.kubeconfig_path().to_str().unwrap().to_owned();
    let _daemon = DaemonUnderTest::start(
        BINARY,
        test_dir("rbac"),
        "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: [203.0.113.0/24]}\n",
        &[("KUBECONFIG", &kubeconfig)],
    );
    let wait = |verb: Verb, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while api.count(verb, "events") == 0 {
            assert!(
                Instant::now() < deadline,
                "no Event {what}: {:#?}",
                api.requests()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait(Verb::Create, "created");
    // The problem changes: the same Event is updated.
    api.apply(service(json!({"kube-anycast.io/med": "eleven"})));
    wait(Verb::Patch, "updated");

    let used: BTreeSet<Grant> = api
        .requests()
        .iter()
        .filter_map(|r| {
            let resource = r.resource?;
            let verb = verb_name(r.verb)?;
            Some((
                resource.group().to_owned(),
                resource.plural().to_owned(),
                verb.to_owned(),
            ))
        })
        .collect();
    assert_eq!(
        granted, used,
        "the ClusterRole must grant exactly what the daemon uses"
    );
}
