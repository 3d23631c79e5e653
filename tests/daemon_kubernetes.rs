//! `kube-anycast run` with the Kubernetes source, against the in-repo fake API server (an
//! API-compatible list+watch server; no real API server runs on these machines) driving
//! the daemon's real kube client: routes follow Services and EndpointSlices; refusals and
//! bad annotations become Events; a 410 Gone, dropped watches or an API server restart
//! never withdraw a route that is still wanted; a relist that removed a Service does.

use lab::daemon_under_test::{DaemonUnderTest, test_dir};
use lab::fake_apiserver::FakeApiServer;
use lab::json;
use lab::objects::{Endpoint, Node, Service, Slice};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");

fn service(name: &str, ips: &[&str], annotations: Value) -> Value {
    Service::new("shop", name)
        .external_ips(ips)
        .annotations(annotations)
        .build()
}

fn slice(service: &str, node: &str, ready: bool) -> Value {
    let endpoint = if ready {
        Endpoint::ready("10.0.0.1", node)
    } else {
        Endpoint::not_ready("10.0.0.1", node)
    };
    Slice::new("shop", service)
        .name(format!("{service}-1"))
        .endpoint(endpoint)
        .build()
}

fn node() -> Value {
    Node::new("node-a").labels(json!({"rack": "r1"})).build()
}

/// A daemon on node-a, with its own test directory.
fn start_daemon(name: &str, api: &FakeApiServer) -> DaemonUnderTest {
    start_daemon_on(name, "node-a", api)
}

/// A daemon on `node`, with its own test directory.
fn start_daemon_on(name: &str, node: &str, api: &FakeApiServer) -> DaemonUnderTest {
    let config = format!(
        "node_name: {node}\nlocal_asn: 65010\nrouter_id: 10.0.0.11\nsource: {{kubernetes: {{}}}}\nannounce: {{allowed_cidrs: [203.0.113.0/24]}}\n"
    );
    let kubeconfig = api.kubeconfig_path().to_str().unwrap().to_owned();
    DaemonUnderTest::start(
        BINARY,
        test_dir(&format!("kube-{name}-{node}")),
        &config,
        &[("KUBECONFIG", &kubeconfig)],
    )
}

/// An API server holding node-a and, for each `(name, ip)` of `services`, a Service on
/// `ip` with a ready endpoint on node-a.
async fn cluster(services: &[(&str, &str)]) -> FakeApiServer {
    let api = FakeApiServer::start().await;
    api.apply(node());
    for (name, ip) in services {
        api.apply(service(name, &[ip], json!({})));
        api.apply(slice(name, "node-a", true));
    }
    api
}

/// The [`cluster`] of Service web on 203.0.113.10, and daemon `name` on node-a once it
/// announces web's route.
async fn web_announced(name: &str) -> (FakeApiServer, DaemonUnderTest) {
    let api = cluster(&[("web", "203.0.113.10")]).await;
    let daemon = start_daemon(name, &api);
    wait_for_routes(&daemon, "web's route", &["203.0.113.10/32"]);
    (api, daemon)
}

fn routes(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.to_string()).collect())
}

/// Waits until the daemon announces exactly `expected`.
fn wait_for_routes(daemon: &DaemonUnderTest, what: &str, expected: &[&str]) {
    daemon.wait_for(what, |d| d.routes() == routes(expected));
}

/// The Events once `enough` holds for them, or as they are after 30 s.
async fn events_once(api: &FakeApiServer, enough: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events = api.events();
        if enough(&events) || Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Withdraws the daemon logged: it logs one line per route it stops announcing.
fn withdraw_count(daemon: &DaemonUnderTest) -> usize {
    daemon
        .log()
        .lines()
        .filter(|l| l.contains("withdraw"))
        .count()
}

/// Watches `/status` for `period` and fails if the routes ever differ from `expected`.
fn routes_stay(daemon: &DaemonUnderTest, expected: &[&str], period: Duration) {
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
    let (api, daemon) = web_announced("follow").await;

    api.apply(service("api", &["203.0.113.11"], json!({})));
    api.apply(slice("api", "node-a", true));
    wait_for_routes(
        &daemon,
        "a new Service to be announced",
        &["203.0.113.10/32", "203.0.113.11/32"],
    );

    api.apply(slice("web", "node-a", false));
    wait_for_routes(
        &daemon,
        "a not-ready endpoint to withdraw",
        &["203.0.113.11/32"],
    );

    api.apply(slice("web", "node-b", true));
    routes_stay(&daemon, &["203.0.113.11/32"], Duration::from_millis(300));

    api.delete("Service", "shop", "api");
    wait_for_routes(&daemon, "a deleted Service to withdraw", &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_bad_annotations_become_events_without_affecting_others() {
    let api = cluster(&[("good", "203.0.113.10"), ("hijack", "8.8.8.8")]).await;
    api.apply(service(
        "tuned",
        &["203.0.113.12"],
        json!({"kube-anycast.io/med": "10"}),
    ));
    api.apply(slice("tuned", "node-a", true));
    let daemon = start_daemon("events", &api);
    wait_for_routes(
        &daemon,
        "the valid routes",
        &["203.0.113.10/32", "203.0.113.12/32"],
    );

    api.apply(service(
        "tuned",
        &["203.0.113.12"],
        json!({"kube-anycast.io/med": "ten"}),
    ));
    let reasons: Vec<(String, String)> = events_once(&api, |events| events.len() >= 2)
        .await
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
    let (api, daemon) = web_announced("resilience").await;

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
    wait_for_routes(&daemon, "the withdraw after recovery", &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relist_that_only_removed_a_service_withdraws_it() {
    let (api, daemon) = web_announced("relist").await;

    // The delete happens while the daemon cannot watch; it learns of it only by relisting.
    api.stop().await;
    api.delete("Service", "shop", "web");
    api.force_gone();
    api.restart().await;
    wait_for_routes(&daemon, "the relist to withdraw the vanished Service", &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_decided_before_the_first_full_sync() {
    let api = cluster(&[("web", "203.0.113.10")]).await;
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
    wait_for_routes(
        &daemon,
        "the route after the first sync",
        &["203.0.113.10/32"],
    );
    assert_eq!(daemon.status().unwrap()["synced"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_write_one_event_per_problem_regarding_the_service_uid() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    api.apply(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-b"}}));
    let hijack = api.apply(service("hijack", &["8.8.8.8"], json!({})));
    let uid = hijack["metadata"]["uid"]
        .as_str()
        .expect("the server sets a uid")
        .to_owned();
    api.apply(service("good", &["203.0.113.10"], json!({})));
    api.apply(slice("good", "node-a", true));
    let first = start_daemon_on("events-two", "node-a", &api);
    let second = start_daemon_on("events-two", "node-b", &api);
    wait_for_routes(&first, "the first daemon's route", &["203.0.113.10/32"]);
    wait_for_routes(&second, "the second daemon to sync", &[]);
    // Each daemon looks the Event up before writing: two looks, one per daemon.
    wait_for_event_lookups(&api, 2).await;
    // An unrelated change makes both decide again; nothing is reported again.
    api.apply(service("other", &["203.0.113.30"], json!({})));
    routes_stay(&first, &["203.0.113.10/32"], Duration::from_millis(300));
    let events = api.events();
    assert_eq!(events.len(), 1, "one Event for the cluster: {events:#?}");
    let regarding = &events[0]["regarding"];
    assert_eq!(regarding["uid"], uid.as_str());
    assert_eq!(regarding["kind"], "Service");
    assert_eq!(regarding["apiVersion"], "v1");
    assert_eq!(regarding["name"], "hijack");
    assert!(events[0]["series"].is_null(), "not repeated: {events:#?}");

    // A restart while the problem is unchanged writes nothing.
    drop(second);
    let _again = start_daemon_on("events-two-again", "node-b", &api);
    wait_for_event_lookups(&api, 3).await;
    let events = api.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(
        events[0]["series"].is_null(),
        "not repeated on restart: {events:#?}"
    );
}

/// Waits until the daemons have looked Events up `n` times in all.
async fn wait_for_event_lookups(api: &FakeApiServer, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.count(lab::fake_apiserver::Verb::Get, "events") < n {
        assert!(Instant::now() < deadline, "{:#?}", api.requests());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The write that may follow a look-up: give the API server the request.
    let before = api.requests().len();
    let until = Instant::now() + Duration::from_millis(200);
    while Instant::now() < until && api.requests().len() == before {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_reads_the_live_cluster_for_any_node_without_node_name_or_host_ip() {
    let api = FakeApiServer::start().await;
    api.apply(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-b"}}));
    api.apply(json!({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": "shop", "labels": {"team": "shop"}}}));
    api.apply(service("web", &["203.0.113.10"], json!({})));
    api.apply(slice("web", "node-b", true));
    api.apply(service("elsewhere", &["203.0.113.200"], json!({})));
    api.apply(slice("elsewhere", "node-b", true));
    let dir = test_dir("plan-live");
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        "node_name: ${NODE_NAME}\nlocal_asn: 65010\nrouter_id: ${HOST_IP}\nsource: {kubernetes: {}}\nannounce:\n  allowed_cidrs: [203.0.113.0/24]\n  pools: [{name: shop-pool, cidrs: [203.0.113.0/28], namespace_selector: {matchLabels: {team: shop}}}]\n",
    )
    .unwrap();
    let kubeconfig = api.kubeconfig_path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kube-anycast"))
            .args(["plan", "--config", config.to_str().unwrap()])
            .args(["--node", "node-b", "--json"])
            .env("KUBECONFIG", kubeconfig)
            .env_remove("NODE_NAME")
            .env_remove("HOST_IP")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("plan --json prints JSON");
    assert_eq!(json["node"], "node-b");
    assert_eq!(
        json::strings(&json["routes"], "prefix"),
        vec!["203.0.113.10/32"],
        "{json:#}"
    );
    let web = json::find(&json["external_ips"], |v| v["service"] == "shop/web");
    assert_eq!(web["pool"], "shop-pool");
    let elsewhere = json::find(&json["external_ips"], |v| v["service"] == "shop/elsewhere");
    assert_eq!(elsewhere["reason"], "outside_pools");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_unavailable_and_the_autoscaler_taint_each_withdraw_everything() {
    let (api, daemon) = web_announced("health").await;
    let withdrawn = |d: &DaemonUnderTest| {
        d.status()
            .and_then(|s| s["withdrawn"].as_str().map(String::from))
            .unwrap_or_default()
    };

    api.apply(
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"},
        "status": {"conditions": [{"type": "NetworkUnavailable", "status": "True"}]}}),
    );
    daemon.wait_for("NetworkUnavailable to withdraw", |d| {
        d.routes() == routes(&[]) && withdrawn(d).contains("NetworkUnavailable")
    });
    api.apply(node());
    daemon.wait_for("the healthy node to announce again", |d| {
        d.routes() == routes(&["203.0.113.10/32"]) && withdrawn(d).is_empty()
    });

    api.apply(
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"},
        "spec": {"taints": [{"key": "ToBeDeletedByClusterAutoscaler", "effect": "NoSchedule"}]}}),
    );
    daemon.wait_for("the autoscaler taint to withdraw", |d| {
        d.routes() == routes(&[]) && withdrawn(d).contains("ToBeDeletedByClusterAutoscaler")
    });
    assert!(daemon.log().contains("this node withdraws every route"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_addresses_and_tenant_communities_are_refused_with_events() {
    let api = FakeApiServer::start().await;
    api.apply(node());
    // Two Local Services sharing .20, pods on different nodes: announced nowhere.
    for (name, node) in [("a", "node-a"), ("b", "node-b")] {
        let mut s = service(name, &["203.0.113.20"], json!({}));
        s["spec"]["externalTrafficPolicy"] = json!("Local");
        api.apply(s);
        api.apply(slice(name, node, true));
    }
    // .21 shared across namespaces: refused.
    api.apply(service("x", &["203.0.113.21"], json!({})));
    api.apply(slice("x", "node-a", true));
    let mut other = service("y", &["203.0.113.21"], json!({}));
    other["metadata"]["namespace"] = json!("other");
    api.apply(other);
    // A tenant's BLACKHOLE: the annotation is refused, the Service still announced.
    let web = api.apply(service(
        "web",
        &["203.0.113.10"],
        json!({"kube-anycast.io/communities": "65535:666"}),
    ));
    api.apply(slice("web", "node-a", true));
    let daemon = start_daemon("tenancy", &api);
    wait_for_routes(&daemon, "only the unshared route", &["203.0.113.10/32"]);
    let expected: BTreeSet<(String, String, String)> = [
        ("shop", "b", "SharedIpNarrowed"),
        ("shop", "x", "SharedIpCrossNamespace"),
        ("other", "y", "SharedIpCrossNamespace"),
        ("shop", "web", "InvalidAnnotation"),
    ]
    .into_iter()
    .map(|(ns, n, r)| (ns.to_owned(), n.to_owned(), r.to_owned()))
    .collect();
    let events = events_once(&api, |events| events.len() >= expected.len()).await;
    let seen: BTreeSet<(String, String, String)> = events
        .iter()
        .map(|e| {
            let r = &e["regarding"];
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (s(&r["namespace"]), s(&r["name"]), s(&e["reason"]))
        })
        .collect();
    assert_eq!(seen, expected, "{events:#?}");
    let blackhole = events
        .iter()
        .find(|e| e["regarding"]["name"] == "web")
        .unwrap();
    assert_eq!(blackhole["regarding"]["uid"], web["metadata"]["uid"]);
    assert!(blackhole["note"].as_str().unwrap().contains("65535:666"));
    let narrowed = events
        .iter()
        .find(|e| e["regarding"]["name"] == "b")
        .unwrap();
    assert!(
        narrowed["note"].as_str().unwrap().contains("shop/a"),
        "names the other Service"
    );
}

/// SPEC 3 / issue 7: a config file that does not validate is refused, the running config
/// stays, and an Event on this node's Node says why (with its uid, so `kubectl describe
/// node` shows it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_config_file_is_an_event_on_the_node() {
    let (api, daemon) = web_announced("refused-config").await;
    let node = api.get("Node", "", "node-a").expect("node-a is stored");
    let uid = node["metadata"]["uid"].as_str().unwrap().to_owned();

    let path = daemon.dir.join("config.yaml");
    let broken = std::fs::read_to_string(&path)
        .unwrap()
        .replace("local_asn: 65010", "local_asn: 0");
    let tmp = daemon.dir.join(".config.yaml.tmp");
    std::fs::write(&tmp, broken).unwrap();
    std::fs::rename(&tmp, &path).unwrap();

    let on_node = |e: &Value| e["regarding"]["kind"] == "Node";
    let events = events_once(&api, |events| events.iter().any(on_node)).await;
    let event = events
        .into_iter()
        .find(on_node)
        .unwrap_or_else(|| panic!("no Event on the Node: {:#?}", api.events()));
    assert_eq!(event["regarding"]["name"], "node-a");
    assert_eq!(event["regarding"]["uid"], uid.as_str());
    assert_eq!(event["reason"], "ConfigRefused");
    assert!(
        event["note"]
            .as_str()
            .unwrap_or_default()
            .contains("local_asn"),
        "the note names the field: {event:#}"
    );
    assert_eq!(
        daemon.routes(),
        routes(&["203.0.113.10/32"]),
        "the running config stays"
    );
}
