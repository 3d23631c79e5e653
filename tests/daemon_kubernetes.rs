//! `kube-anycast run` with the Kubernetes source, against the in-repo fake API server (an
//! API-compatible list+watch server; no real API server runs on these machines) driving
//! the daemon's real kube client: routes follow Services and EndpointSlices; refusals and
//! bad annotations become Events; a 410 Gone, dropped watches or an API server restart
//! never withdraw a route that is still wanted; a relist that removed a Service does.

mod support;

use lab::fake_apiserver::FakeApiServer;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::daemon::{Daemon, test_dir};

fn service(name: &str, ips: &[&str], annotations: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "shop", "annotations": annotations},
        "spec": {"externalIPs": ips, "clusterIP": "10.96.0.10"}
    })
}

fn slice(service: &str, node: &str, ready: bool) -> Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-1"), "namespace": "shop",
                     "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"], "nodeName": node, "conditions": {"ready": ready}}]
    })
}

fn node() -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a", "labels": {"rack": "r1"}}})
}

fn start_daemon(name: &str, api: &FakeApiServer) -> Daemon {
    let config = "node_name: node-a\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {kubernetes: {}}\nannounce: {allowed_cidrs: [203.0.113.0/24]}\n";
    let kubeconfig = api.kubeconfig_path().to_str().unwrap().to_owned();
    Daemon::start(
        test_dir(&format!("kube-{name}")),
        config,
        &[("KUBECONFIG", &kubeconfig)],
    )
}

fn routes(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

/// Withdraws the daemon logged: it logs one line per route it stops announcing.
fn withdraw_count(daemon: &Daemon) -> usize {
    daemon
        .log()
        .lines()
        .filter(|l| l.contains("withdraw"))
        .count()
}

/// Watches `/status` for `period` and fails if the routes ever differ from `expected`.
fn routes_stay(daemon: &Daemon, expected: &[&str], period: Duration) {
    let until = Instant::now() + period;
    while Instant::now() < until {
        assert_eq!(
            daemon.routes(),
            routes(expected),
            "a wanted route was withdrawn"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_follow_services_and_endpoint_slices() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    api.apply(service("web", &["203.0.113.10"], json!({})));
    api.apply(slice("web", "node-a", true));
    let daemon = start_daemon("follow", &api);
    daemon.wait_for("the first route", |d| {
        d.routes() == routes(&["203.0.113.10/32"])
    });

    api.apply(service("api", &["203.0.113.11"], json!({})));
    api.apply(slice("api", "node-a", true));
    daemon.wait_for("a new Service to be announced", |d| {
        d.routes() == routes(&["203.0.113.10/32", "203.0.113.11/32"])
    });

    api.apply(slice("web", "node-a", false));
    daemon.wait_for("a not-ready endpoint to withdraw", |d| {
        d.routes() == routes(&["203.0.113.11/32"])
    });

    api.apply(slice("web", "node-b", true));
    routes_stay(&daemon, &["203.0.113.11/32"], Duration::from_millis(300));

    api.delete("Service", "shop", "api");
    daemon.wait_for("a deleted Service to withdraw", |d| {
        d.routes() == routes(&[])
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_bad_annotations_become_events_without_affecting_others() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    api.apply(service("good", &["203.0.113.10"], json!({})));
    api.apply(slice("good", "node-a", true));
    api.apply(service("hijack", &["8.8.8.8"], json!({})));
    api.apply(slice("hijack", "node-a", true));
    api.apply(service(
        "tuned",
        &["203.0.113.12"],
        json!({"kube-anycast.io/med": "10"}),
    ));
    api.apply(slice("tuned", "node-a", true));
    let daemon = start_daemon("events", &api);
    daemon.wait_for("the valid routes", |d| {
        d.routes() == routes(&["203.0.113.10/32", "203.0.113.12/32"])
    });

    api.apply(service(
        "tuned",
        &["203.0.113.12"],
        json!({"kube-anycast.io/med": "ten"}),
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    let reasons = loop {
        let events = api.events();
        let reasons: Vec<(String, String)> = events
            .iter()
            .map(|e| {
                (
                    e["regarding"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    e["reason"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if reasons.len() >= 2 || Instant::now() > deadline {
            break reasons;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        reasons.contains(&("hijack".into(), "OutsideAllowedCidrs".into())),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("tuned".into(), "InvalidAnnotation".into())),
        "{reasons:?}"
    );
    // Unrelated changes make the daemon decide again; the problems are not reported again.
    api.apply(service("other", &["203.0.113.30"], json!({})));
    routes_stay(
        &daemon,
        &["203.0.113.10/32", "203.0.113.12/32"],
        Duration::from_millis(500),
    );
    let events = api.events();
    assert_eq!(events.len(), 2, "one Event per problem: {events:?}");
    assert!(
        events.iter().all(|e| e["series"].is_null()),
        "no Event was repeated: {events:?}"
    );
    assert_eq!(
        withdraw_count(&daemon),
        0,
        "the bad annotation kept the Service's announcement"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_dropped_watches_and_api_restart_never_withdraw_wanted_routes() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    api.apply(service("web", &["203.0.113.10"], json!({})));
    api.apply(slice("web", "node-a", true));
    let daemon = start_daemon("resilience", &api);
    daemon.wait_for("the route", |d| d.routes() == routes(&["203.0.113.10/32"]));

    api.force_gone();
    routes_stay(&daemon, &["203.0.113.10/32"], Duration::from_secs(2));
    api.drop_connections();
    routes_stay(&daemon, &["203.0.113.10/32"], Duration::from_secs(2));
    api.stop().await;
    routes_stay(&daemon, &["203.0.113.10/32"], Duration::from_secs(2));
    api.restart().await;
    routes_stay(&daemon, &["203.0.113.10/32"], Duration::from_secs(3));
    assert_eq!(withdraw_count(&daemon), 0);

    // Still following changes after all that.
    api.apply(slice("web", "node-a", false));
    daemon.wait_for("the withdraw after recovery", |d| d.routes() == routes(&[]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relist_that_only_removed_a_service_withdraws_it() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    api.apply(service("web", &["203.0.113.10"], json!({})));
    api.apply(slice("web", "node-a", true));
    let daemon = start_daemon("relist", &api);
    daemon.wait_for("the route", |d| d.routes() == routes(&["203.0.113.10/32"]));

    // The delete happens while the daemon cannot watch; it learns of it only by relisting.
    api.stop().await;
    api.delete("Service", "shop", "web");
    api.force_gone();
    api.restart().await;
    daemon.wait_for("the relist to withdraw the vanished Service", |d| {
        d.routes() == routes(&[])
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_decided_before_the_first_full_sync() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    api.apply(service("web", &["203.0.113.10"], json!({})));
    api.apply(slice("web", "node-a", true));
    api.stop().await;
    let daemon = start_daemon("sync", &api);
    daemon.wait_for("the HTTP endpoint", |d| d.status().is_some());
    std::thread::sleep(Duration::from_secs(1));
    let status = daemon.status().unwrap();
    assert_eq!(status["synced"], false);
    assert_eq!(daemon.get("/readyz").map(|r| r.0), Some(503));
    assert_eq!(daemon.routes(), routes(&[]));
    assert_eq!(withdraw_count(&daemon), 0);

    api.restart().await;
    daemon.wait_for("the route after the first sync", |d| {
        d.routes() == routes(&["203.0.113.10/32"])
    });
    assert_eq!(daemon.status().unwrap()["synced"], true);
}
