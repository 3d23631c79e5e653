//! The fake API server, driven by the real kube client: lists with selectors and
//! pagination, watches, the watcher's recovery from 410 Gone, dropped connections and a
//! server restart, and Events written by kube-runtime's `Recorder`.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, ObjectReference, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use lab::fake_apiserver::{FakeApiServer, Options, RequestRecord, Verb};
use lab::objects;
use serde_json::{Value, json};
use std::fmt::Debug;
use std::time::Duration;

/// Every wait is bounded so that a broken case fails instead of hanging.
const WAIT: Duration = Duration::from_secs(10);

async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(WAIT, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

/// The first watch request the server received.
fn first_watch(server: &FakeApiServer) -> RequestRecord {
    server
        .requests()
        .into_iter()
        .find(|r| r.verb == Verb::Watch)
        .expect("a watch request")
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

fn service(namespace: &str, name: &str, labels: Value) -> Value {
    objects::Service::new(namespace, name)
        .labels(labels)
        .build()
}

fn slice(namespace: &str, name: &str, service: &str) -> Value {
    objects::Slice::new(namespace, service)
        .name(name)
        .endpoint(objects::Endpoint::ready("10.0.0.1", "node-a"))
        .build()
}

fn node(name: &str) -> Value {
    objects::Node::new(name).build()
}

fn names<K: ResourceExt>(objects: impl IntoIterator<Item = K>) -> Vec<String> {
    let mut names: Vec<String> = objects.into_iter().map(|o| o.name_any()).collect();
    names.sort();
    names
}

fn store_names<K>(store: &Store<K>) -> Vec<String>
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    let mut names: Vec<String> = store.state().iter().map(|o| o.name_any()).collect();
    names.sort();
    names
}

/// A reflector fed by a real `watcher` with the default backoff, run until dropped.
struct Reflected<K: kube::Resource + 'static>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    store: Store<K>,
    task: tokio::task::JoinHandle<()>,
}

impl<K: kube::Resource + 'static> Drop for Reflected<K>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reflect<K>(api: Api<K>, config: watcher::Config) -> Reflected<K>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone + Send + Sync,
{
    let (store, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config)).default_backoff();
    let task = tokio::spawn(async move {
        stream.for_each(|_| async {}).await;
    });
    Reflected { store, task }
}

fn names_of(list: Vec<&str>) -> Vec<String> {
    list.into_iter().map(String::from).collect()
}

#[tokio::test]
async fn kubeconfig_names_the_plain_http_server_with_no_credentials() {
    let server = FakeApiServer::start().await;
    let text = std::fs::read_to_string(server.kubeconfig_path()).expect("kubeconfig");
    assert!(text.contains(&format!("server: http://127.0.0.1:{}", server.port())));
    assert!(server.url().starts_with("http://127.0.0.1:"));

    let client = server.client().await;
    let version = within("version", client.apiserver_version())
        .await
        .expect("version");
    assert_eq!(version.major, "1");
}

#[tokio::test]
async fn list_honours_equality_existence_and_set_label_selectors() {
    let server = FakeApiServer::start().await;
    server.apply(service(
        "default",
        "web",
        json!({ "app": "web", "tier": "front" }),
    ));
    server.apply(service("default", "db", json!({ "app": "db" })));
    server.apply(service("default", "plain", json!({})));
    let api: Api<Service> = Api::namespaced(server.client().await, "default");

    let cases = [
        ("app=web", vec!["web"]),
        ("app==web", vec!["web"]),
        ("app!=web", vec!["db", "plain"]),
        ("tier", vec!["web"]),
        ("!tier", vec!["db", "plain"]),
        ("app,!tier", vec!["db"]),
        ("app in (web,db)", vec!["db", "web"]),
        ("app notin (web)", vec!["db", "plain"]),
        ("app in (web,db),tier=front", vec!["web"]),
        ("", vec!["db", "plain", "web"]),
    ];
    for (selector, expected) in cases {
        let list = within(selector, api.list(&ListParams::default().labels(selector)))
            .await
            .expect(selector);
        assert_eq!(
            names(list),
            names_of(expected),
            "labelSelector {selector:?}"
        );
    }
}

#[tokio::test]
async fn list_refuses_a_malformed_label_selector_with_400() {
    let server = FakeApiServer::start().await;
    let api: Api<Service> = Api::all(server.client().await);
    let result = within(
        "list",
        api.list(&ListParams::default().labels("app in (web")),
    )
    .await;
    match result {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 400),
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[tokio::test]
async fn list_honours_name_and_namespace_field_selectors() {
    let server = FakeApiServer::start().await;
    server.apply(service("a", "web", json!({})));
    server.apply(service("b", "web", json!({})));
    server.apply(service("b", "db", json!({})));
    let api: Api<Service> = Api::all(server.client().await);

    let by_name = api
        .list(&ListParams::default().fields("metadata.name=web"))
        .await
        .expect("list");
    let mut namespaces: Vec<String> = by_name.iter().filter_map(|s| s.namespace()).collect();
    namespaces.sort();
    assert_eq!(namespaces, ["a", "b"]);

    let in_b = api
        .list(&ListParams::default().fields("metadata.namespace=b,metadata.name!=web"))
        .await
        .expect("list");
    assert_eq!(names(in_b), ["db"]);

    let namespaced: Api<Service> = Api::namespaced(server.client().await, "a");
    assert_eq!(
        names(namespaced.list(&ListParams::default()).await.expect("list")),
        ["web"]
    );
}

/// A server holding `n` EndpointSlices of Service web (web-0, web-1, ...), and a client
/// of them.
async fn web_slices(n: usize) -> (FakeApiServer, Api<EndpointSlice>) {
    let server = FakeApiServer::start().await;
    for i in 0..n {
        server.apply(slice("default", &format!("web-{i}"), "web"));
    }
    let api = Api::all(server.client().await);
    (server, api)
}

#[tokio::test]
async fn list_paginates_with_limit_and_continue() {
    let (server, api) = web_slices(5).await;

    let mut seen = Vec::new();
    let mut params = ListParams::default().limit(2);
    let mut pages = 0;
    let mut remaining = Vec::new();
    loop {
        let page = within("page", api.list(&params)).await.expect("page");
        pages += 1;
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|s| s.name_any()));
        remaining.push(page.metadata.remaining_item_count);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["web-0", "web-1", "web-2", "web-3", "web-4"]);
    assert_eq!(remaining, [Some(3), Some(1), None]);
    assert_eq!(server.count(Verb::List, "endpointslices"), 3);
}

#[tokio::test]
async fn a_page_holds_and_counts_only_what_the_selector_matches() {
    let server = FakeApiServer::start().await;
    for (name, app) in [
        ("a", "web"),
        ("b", "db"),
        ("c", "web"),
        ("d", "db"),
        ("e", "web"),
    ] {
        server.apply(service("default", name, json!({ "app": app })));
    }
    let api: Api<Service> = Api::namespaced(server.client().await, "default");
    let params = ListParams::default().labels("app=web").limit(2);
    let first = within("first page", api.list(&params)).await.expect("page");
    assert_eq!(names(first.items), ["a", "c"]);
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let token = first.metadata.continue_.expect("a continue token");
    let second = within("second page", api.list(&params.continue_token(&token)))
        .await
        .expect("page");
    assert_eq!(names(second.items), ["e"]);
    assert_eq!(second.metadata.remaining_item_count, None);
}

#[tokio::test]
async fn watcher_with_small_pages_lists_every_object() {
    let (server, api) = web_slices(7).await;
    let reflected = reflect(api, watcher::Config::default().page_size(3));
    eventually("seven slices", || reflected.store.state().len() == 7).await;
    assert_eq!(server.count(Verb::List, "endpointslices"), 3);
    let continued = server
        .requests()
        .iter()
        .filter(|r| r.verb == Verb::List && r.param("continue").is_some())
        .count();
    assert_eq!(continued, 2);
}

#[tokio::test]
async fn objects_get_uid_creation_timestamp_and_one_resource_version_across_kinds() {
    let server = FakeApiServer::start().await;
    let first = server.apply(service("default", "web", json!({})));
    let second = server.apply(node("node-a"));
    let third = server.apply(slice("default", "web-1", "web"));
    let rv = |o: &Value| -> u64 {
        o["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("numeric resourceVersion")
    };
    assert!(rv(&first) < rv(&second) && rv(&second) < rv(&third));
    assert_eq!(rv(&third), server.resource_version());
    assert!(
        first["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    assert_ne!(first["metadata"]["uid"], second["metadata"]["uid"]);
    assert!(
        second["metadata"]["namespace"].is_null(),
        "Nodes are cluster-scoped"
    );

    let typed: Api<Service> = Api::namespaced(server.client().await, "default");
    let got = typed.get("web").await.expect("get");
    assert!(got.metadata.creation_timestamp.is_some());

    let updated = server.apply(service("default", "web", json!({ "app": "web" })));
    assert_eq!(
        updated["metadata"]["uid"], first["metadata"]["uid"],
        "uid survives updates"
    );
    assert!(rv(&updated) > rv(&third));
}

#[tokio::test]
async fn apply_accepts_typed_objects() {
    let server = FakeApiServer::start().await;
    let mut typed = Service::default();
    typed.metadata.name = Some("typed".into());
    typed.metadata.namespace = Some("prod".into());
    server.apply(&typed);
    let api: Api<Service> = Api::namespaced(server.client().await, "prod");
    assert_eq!(
        names(api.list(&ListParams::default()).await.expect("list")),
        ["typed"]
    );
}

type Events<K> = futures::stream::BoxStream<'static, kube::Result<WatchEvent<K>>>;

async fn open_watch<K>(api: &Api<K>, params: &WatchParams, rv: &str) -> Events<K>
where
    K: Clone + serde::de::DeserializeOwned + Debug + Send + 'static,
{
    within("the watch to open", api.watch(params, rv))
        .await
        .expect("watch")
        .boxed()
}

/// The next `n` events other than bookmarks, as "TYPE name label=value...", or
/// "ERROR code"; all of them within one [`WAIT`]. The labels the kubelet and the cloud
/// put on every Node (`*kubernetes.io/*`) are left out.
async fn next_events<K: ResourceExt>(stream: &mut Events<K>, n: usize) -> Vec<String> {
    let describe = |kind: &str, object: &K| {
        let labels: Vec<String> = object
            .labels()
            .iter()
            .filter(|(k, _)| !k.contains("kubernetes.io/"))
            .map(|(k, v)| format!(" {k}={v}"))
            .collect();
        format!("{kind} {}{}", object.name_any(), labels.concat())
    };
    within("watch events", async {
        let mut seen = Vec::new();
        while seen.len() < n {
            match stream
                .try_next()
                .await
                .expect("event")
                .expect("the stream is open")
            {
                WatchEvent::Added(o) => seen.push(describe("ADDED", &o)),
                WatchEvent::Modified(o) => seen.push(describe("MODIFIED", &o)),
                WatchEvent::Deleted(o) => seen.push(describe("DELETED", &o)),
                WatchEvent::Bookmark(_) => {}
                WatchEvent::Error(status) => seen.push(format!("ERROR {}", status.code)),
            }
        }
        seen
    })
    .await
}

#[tokio::test]
async fn watch_sees_added_modified_and_deleted_in_order() {
    let server = FakeApiServer::start().await;
    let api: Api<Service> = Api::namespaced(server.client().await, "default");
    let list = api.list(&ListParams::default()).await.expect("list");
    let rv = list
        .metadata
        .resource_version
        .expect("list resourceVersion");
    let mut stream = open_watch(&api, &WatchParams::default(), &rv).await;

    server.apply(service("default", "web", json!({})));
    server.apply(service("default", "web", json!({ "app": "web" })));
    server.delete("Service", "default", "web");

    let seen = next_events(&mut stream, 3).await;
    assert_eq!(
        seen,
        ["ADDED web", "MODIFIED web app=web", "DELETED web app=web"]
    );
}

#[tokio::test]
async fn watch_with_a_selector_reports_an_object_leaving_it_as_deleted() {
    let server = FakeApiServer::start().await;
    let api: Api<Service> = Api::all(server.client().await);
    let params = WatchParams::default().labels("app=web");
    let mut stream = open_watch(&api, &params, "0").await;

    server.apply(service("default", "other", json!({ "app": "db" })));
    server.apply(service("default", "web", json!({ "app": "web" })));
    server.apply(service("default", "web", json!({ "app": "db" })));

    let seen = next_events(&mut stream, 2).await;
    assert_eq!(seen, ["ADDED web app=web", "DELETED web app=db"]);
}

#[tokio::test]
async fn watch_from_zero_starts_with_the_current_objects() {
    let server = FakeApiServer::start().await;
    server.apply(node("node-a"));
    let api: Api<Node> = Api::all(server.client().await);
    let mut stream = open_watch(&api, &WatchParams::default(), "0").await;
    server.apply(node("node-b"));
    assert_eq!(
        next_events(&mut stream, 2).await,
        ["ADDED node-a", "ADDED node-b"]
    );
}

#[tokio::test]
async fn watch_sends_bookmarks_when_allowed() {
    let options = Options {
        bookmark_interval: Duration::from_millis(50),
        ..Options::default()
    };
    let server = FakeApiServer::start_with(options).await;
    server.apply(node("node-a"));
    let api: Api<Node> = Api::all(server.client().await);
    let rv = server.resource_version().to_string();
    let mut stream = open_watch(&api, &WatchParams::default(), &rv).await;
    let event = within("bookmark", stream.try_next())
        .await
        .expect("event")
        .expect("open");
    match event {
        WatchEvent::Bookmark(b) => assert_eq!(b.metadata.resource_version, rv),
        other => panic!("expected a bookmark, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_ends_when_timeout_seconds_pass() {
    let server = FakeApiServer::start().await;
    let api: Api<Node> = Api::all(server.client().await);
    let rv = server.resource_version().to_string();
    let params = WatchParams::default().timeout(1).disable_bookmarks();
    let mut stream = open_watch(&api, &params, &rv).await;
    let end = within("the end of the watch", stream.try_next())
        .await
        .expect("no error");
    assert!(end.is_none(), "no event was due, only the end");
    assert_eq!(first_watch(&server).param("timeoutSeconds"), Some("1"));
}

#[tokio::test]
async fn watch_from_a_compacted_resource_version_gets_a_410_error_event() {
    let server = FakeApiServer::start().await;
    server.apply(service("default", "web", json!({})));
    let old = server.resource_version().to_string();
    server.force_gone();
    let api: Api<Service> = Api::all(server.client().await);
    let mut stream = open_watch(&api, &WatchParams::default(), &old).await;
    assert_eq!(next_events(&mut stream, 1).await, ["ERROR 410"]);
    let end = within("end", stream.try_next()).await.expect("no error");
    assert!(end.is_none());
}

#[tokio::test]
async fn watch_older_than_the_kept_history_gets_410_and_newer_ones_resume() {
    let options = Options {
        history_limit: 2,
        ..Options::default()
    };
    let server = FakeApiServer::start_with(options).await;
    let start = server.resource_version();
    for name in ["a", "b", "c"] {
        server.apply(node(name));
    }
    let api: Api<Node> = Api::all(server.client().await);
    let params = WatchParams::default().disable_bookmarks();

    let mut too_old = open_watch(&api, &params, &start.to_string()).await;
    assert_eq!(next_events(&mut too_old, 1).await, ["ERROR 410"]);

    // The last two changes are kept: a watch from just before them replays both.
    let mut kept = open_watch(&api, &params, &(start + 1).to_string()).await;
    assert_eq!(next_events(&mut kept, 2).await, ["ADDED b", "ADDED c"]);
}

#[tokio::test]
async fn gone_forces_the_watcher_to_relist_and_the_store_converges() {
    let server = FakeApiServer::start().await;
    server.apply(service("default", "a", json!({})));
    let api: Api<Service> = Api::all(server.client().await);
    let reflected = reflect(api, watcher::Config::default());
    eventually("a in the store", || store_names(&reflected.store) == ["a"]).await;
    eventually("the watch", || server.open_watches() == 1).await;
    assert_eq!(server.count(Verb::List, "services"), 1);

    server.force_gone();
    server.apply(service("default", "b", json!({})));
    server.delete("Service", "default", "a");

    eventually("the store to hold only b after a relist", || {
        store_names(&reflected.store) == ["b"] && server.count(Verb::List, "services") >= 2
    })
    .await;
}

#[tokio::test]
async fn watcher_resumes_dropped_connections_without_relisting() {
    let server = FakeApiServer::start().await;
    server.apply(slice("default", "web-1", "web"));
    let api: Api<EndpointSlice> = Api::all(server.client().await);
    let reflected = reflect(api, watcher::Config::default());
    eventually("web-1 in the store", || {
        store_names(&reflected.store) == ["web-1"]
    })
    .await;
    eventually("the watch", || server.open_watches() == 1).await;

    assert_eq!(server.drop_connections(), 1);
    server.apply(slice("default", "web-2", "web"));
    server.delete("EndpointSlice", "default", "web-1");

    eventually("the store to hold only web-2", || {
        store_names(&reflected.store) == ["web-2"]
    })
    .await;
    assert_eq!(
        server.count(Verb::List, "endpointslices"),
        1,
        "resumed, not relisted"
    );
    let resumed = server
        .requests()
        .iter()
        .filter(|r| r.verb == Verb::Watch && r.param("resourceVersion").is_some_and(|v| v != "0"))
        .count();
    assert!(resumed >= 2, "both watches resumed from a resourceVersion");
}

#[tokio::test]
async fn watcher_converges_across_a_server_restart() {
    let server = FakeApiServer::start().await;
    let port = server.port();
    server.apply(node("node-a"));
    let api: Api<Node> = Api::all(server.client().await);
    let reflected = reflect(api, watcher::Config::default());
    eventually("node-a in the store", || {
        store_names(&reflected.store) == ["node-a"]
    })
    .await;

    server.stop().await;
    let stopped: Api<Node> = Api::all(server.client().await);
    let refused = within("a list while stopped", stopped.list(&ListParams::default())).await;
    assert!(refused.is_err(), "a stopped server answers nothing");
    server.apply(node("node-b"));
    server.delete("Node", "", "node-a");
    server.restart().await;
    assert_eq!(server.port(), port);

    eventually("the store to hold only node-b", || {
        store_names(&reflected.store) == ["node-b"]
    })
    .await;
}

#[tokio::test]
async fn streaming_list_watcher_gets_initial_events_then_changes() {
    let server = FakeApiServer::start().await;
    server.apply(service("default", "a", json!({})));
    server.apply(service("default", "b", json!({})));
    let api: Api<Service> = Api::all(server.client().await);
    let reflected = reflect(api, watcher::Config::default().streaming_lists());
    eventually("a and b", || store_names(&reflected.store) == ["a", "b"]).await;
    server.delete("Service", "default", "a");
    eventually("only b", || store_names(&reflected.store) == ["b"]).await;

    assert_eq!(server.count(Verb::List, "services"), 0);
    assert_eq!(
        first_watch(&server).param("sendInitialEvents"),
        Some("true")
    );
}

#[tokio::test]
async fn node_watcher_with_a_name_field_selector_sees_only_that_node() {
    let server = FakeApiServer::start().await;
    server.apply(node("node-a"));
    server.apply(node("node-b"));
    let api: Api<Node> = Api::all(server.client().await);
    let reflected = reflect(
        api,
        watcher::Config::default().fields("metadata.name=node-a"),
    );
    eventually("node-a", || store_names(&reflected.store) == ["node-a"]).await;

    let labelled = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": { "name": "node-a", "labels": { "zone": "z1" } },
    });
    server.apply(labelled);
    server.apply(node("node-c"));
    eventually("node-a's label", || {
        reflected
            .store
            .state()
            .iter()
            .any(|n| n.labels().get("zone").map(String::as_str) == Some("z1"))
    })
    .await;
    assert_eq!(store_names(&reflected.store), ["node-a"]);
}

#[tokio::test]
async fn recorder_events_are_recorded_and_repeats_are_patched() {
    let server = FakeApiServer::start().await;
    let stored = server.apply(service("prod", "web", json!({})));
    let client = server.client().await;
    let recorder = Recorder::new(client, Reporter::from("kube-anycast"));
    let reference = ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Service".into()),
        namespace: Some("prod".into()),
        name: Some("web".into()),
        uid: stored["metadata"]["uid"].as_str().map(String::from),
        ..ObjectReference::default()
    };
    let event = Event {
        type_: EventType::Normal,
        reason: "Announced".into(),
        note: Some("198.51.100.7/32 announced".into()),
        action: "Announce".into(),
        secondary: None,
    };
    within("publish", recorder.publish(&event, &reference))
        .await
        .expect("publish");
    within("publish again", recorder.publish(&event, &reference))
        .await
        .expect("publish again");

    let events = server.events();
    assert_eq!(events.len(), 1, "the repeat patches the same Event");
    let recorded = &events[0];
    assert_eq!(recorded["apiVersion"], "events.k8s.io/v1");
    assert_eq!(recorded["metadata"]["namespace"], "prod");
    assert_eq!(recorded["reason"], "Announced");
    assert_eq!(recorded["note"], "198.51.100.7/32 announced");
    assert_eq!(recorded["regarding"]["name"], "web");
    assert_eq!(recorded["series"]["count"], 2);
    assert_eq!(server.count(Verb::Create, "events"), 1);
    assert_eq!(server.count(Verb::Patch, "events"), 1);
}

#[tokio::test]
async fn writes_through_the_client_create_patch_replace_and_delete() {
    let server = FakeApiServer::start().await;
    let api: Api<Service> = Api::namespaced(server.client().await, "default");
    let body: Service =
        serde_json::from_value(service("default", "web", json!({}))).expect("service");

    let created = api
        .create(&PostParams::default(), &body)
        .await
        .expect("create");
    let again = api.create(&PostParams::default(), &body).await;
    assert!(
        matches!(again, Err(kube::Error::Api(ref s)) if s.code == 409),
        "{again:?}"
    );

    let patch = json!({ "metadata": { "labels": { "app": "web" } } });
    let patched = api
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch");
    assert_eq!(patched.labels().get("app").map(String::as_str), Some("web"));
    assert_eq!(patched.uid(), created.uid());

    let mut stale = created.clone();
    stale.metadata.labels = None;
    let conflict = api.replace("web", &PostParams::default(), &stale).await;
    assert!(
        matches!(conflict, Err(kube::Error::Api(ref s)) if s.code == 409),
        "{conflict:?}"
    );

    within("delete", api.delete("web", &DeleteParams::default()))
        .await
        .expect("delete");
    assert!(server.get("Service", "default", "web").is_none());
    let missing = api.get("web").await;
    assert!(
        matches!(missing, Err(kube::Error::Api(ref s)) if s.code == 404),
        "{missing:?}"
    );
}

#[tokio::test]
async fn core_v1_events_are_recorded_too() {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    let server = FakeApiServer::start().await;
    let api: Api<CoreEvent> = Api::namespaced(server.client().await, "prod");
    let event: CoreEvent = serde_json::from_value(json!({
        "metadata": { "name": "web.1", "namespace": "prod" },
        "involvedObject": { "kind": "Service", "namespace": "prod", "name": "web" },
        "reason": "Withdrawn",
        "message": "no ready endpoints on this node",
        "type": "Normal",
    }))
    .expect("core Event");
    within("create", api.create(&PostParams::default(), &event))
        .await
        .expect("create");

    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["apiVersion"], "v1");
    assert_eq!(events[0]["reason"], "Withdrawn");
    assert_eq!(server.count(Verb::Create, "v1/Event"), 1);
}

mod selectors {
    use lab::fake_apiserver::selector::{FieldSelector, LabelSelector};
    use serde_json::json;

    fn labelled(labels: serde_json::Value) -> serde_json::Value {
        json!({ "metadata": { "name": "x", "labels": labels } })
    }

    /// Asserts, for each `(selector, expected)` of `cases`, that `matches(selector)` is
    /// `expected`.
    fn assert_cases(cases: &[(&str, bool)], matches: impl Fn(&str) -> bool) {
        for (selector, expected) in cases {
            assert_eq!(matches(selector), *expected, "{selector:?}");
        }
    }

    #[test]
    fn not_equals_and_notin_match_objects_without_the_label() {
        let bare = labelled(json!({}));
        assert_cases(
            &[
                ("app!=web", true),
                ("app notin (web)", true),
                ("app in (web)", false),
            ],
            |s| LabelSelector::parse(s).expect("parse").matches(&bare),
        );
    }

    #[test]
    fn commas_inside_a_set_do_not_split_requirements() {
        let selector = LabelSelector::parse("app in (web, db),tier").expect("parse");
        assert_eq!(selector.0.len(), 2);
        assert!(selector.matches(&labelled(json!({ "app": "db", "tier": "x" }))));
        assert!(!selector.matches(&labelled(json!({ "app": "db" }))));
    }

    #[test]
    fn malformed_label_selectors_are_refused() {
        for text in [
            "app in (web",
            "app in web)",
            "app between (a)",
            "a b=c",
            "=web",
        ] {
            assert!(
                LabelSelector::parse(text).is_err(),
                "{text:?} should be refused"
            );
        }
    }

    #[test]
    fn missing_fields_read_as_empty() {
        let object = json!({ "metadata": { "name": "node-a" } });
        assert_cases(
            &[
                ("spec.nodeName=", true),
                ("metadata.name=node-a,spec.unschedulable!=true", true),
                ("metadata.name!=node-a", false),
            ],
            |s| FieldSelector::parse(s).expect("parse").matches(&object),
        );
        assert!(FieldSelector::parse("metadata.name").is_err());
    }
}
