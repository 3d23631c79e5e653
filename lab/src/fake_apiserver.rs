//! A FAKE Kubernetes API server for tests: not Kubernetes, but API-compatible enough
//! that the real kube client lists, watches and writes against it over HTTP.
//!
//! It serves Services, EndpointSlices (discovery.k8s.io/v1), Nodes and Events (core v1
//! and events.k8s.io/v1) on `http://127.0.0.1:<random port>`, with one global
//! resourceVersion, label and field selectors, paginated lists, and watches with
//! bookmarks, streaming lists (`sendInitialEvents`), timeouts and 410 Gone. Tests drive
//! it from the [`FakeApiServer`] handle: change objects, force the clients to relist,
//! cut their watches, restart it on the same port, and read what was asked of it.
//!
//! It runs on its own tokio runtime thread, so a test that blocks (waiting on a child
//! process, say) does not stall it.

mod discovery;
mod http;
pub mod resources;
mod response;
pub mod selector;
pub mod store;
mod watch;
mod writes;

pub use resources::Resource;

use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use store::Store;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{AbortHandle, JoinHandle};

/// Knobs for [`FakeApiServer::start_with`].
#[derive(Clone, Debug)]
pub struct Options {
    /// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK. The real server
    /// sends about one a minute; tests want them sooner.
    pub bookmark_interval: Duration,
    /// How long a watch without `timeoutSeconds` lasts.
    pub default_watch_timeout: Duration,
    /// How many changes the watch history keeps. A watch from a resourceVersion older
    /// than the oldest kept gets 410 Gone. Unbounded by default.
    pub history_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bookmark_interval: Duration::from_secs(1),
            default_watch_timeout: Duration::from_secs(1800),
            history_limit: usize::MAX,
        }
    }
}

/// What a request asked for, as the request log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// GET of a collection.
    List,
    /// GET of a collection with `watch=true`.
    Watch,
    /// GET of one object.
    Get,
    /// POST to a collection.
    Create,
    /// PUT of one object.
    Update,
    /// PATCH of one object.
    Patch,
    /// DELETE of one object.
    Delete,
    /// `/version`, `/api`, `/apis` and resource lists.
    Discovery,
    /// Anything else (answered with 404 or 405).
    Other,
}

/// One request the server answered.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// What it asked for.
    pub verb: Verb,
    /// The resource it was about, if any.
    pub resource: Option<Resource>,
    /// The namespace in the URL, if any.
    pub namespace: Option<String>,
    /// The object name in the URL, if any.
    pub name: Option<String>,
    /// HTTP status of the answer (200 for a watch, whatever its events say).
    pub status: u16,
}

impl RequestRecord {
    /// A query parameter's value.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Per-connection state the handlers see.
#[derive(Default)]
struct ConnState {
    /// Watches streaming on this connection now.
    watches: AtomicUsize,
}

/// State shared by the handle, the accept loop and every request.
struct Shared {
    store: Mutex<Store>,
    /// Carries the latest resourceVersion; watches wake on every change.
    changed: tokio::sync::watch::Sender<u64>,
    requests: Mutex<Vec<RequestRecord>>,
    connections: Mutex<HashMap<u64, (AbortHandle, Arc<ConnState>)>>,
    next_connection: AtomicU64,
    open_watches: AtomicUsize,
    options: Options,
}

impl Shared {
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        // A panicking test thread must not take every later request down with it.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify_change(&self) {
        let rv = self.lock_store().resource_version();
        self.changed.send_replace(rv);
    }

    fn record(&self, record: RequestRecord) {
        lock(&self.requests).push(record);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake API server. Dropping it stops it and removes its kubeconfig.
pub struct FakeApiServer {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
    accept: Mutex<Option<JoinHandle<()>>>,
    kubeconfig: PathBuf,
}

impl FakeApiServer {
    /// Starts a server with default [`Options`] on a free port of 127.0.0.1, below the
    /// kernel's ephemeral range.
    pub async fn start() -> FakeApiServer {
        FakeApiServer::start_with(Options::default()).await
    }

    /// Starts a server with these options.
    pub async fn start_with(options: Options) -> FakeApiServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fake-apiserver")
            .enable_all()
            .build()
            .expect("fake API server runtime");
        let (changed, _) = tokio::sync::watch::channel(1);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::with_history_limit(options.history_limit)),
            changed,
            requests: Mutex::new(Vec::new()),
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(0),
            open_watches: AtomicUsize::new(0),
            options,
        });
        let listener = {
            let _context = runtime.enter();
            bind_below_ephemeral().expect("bind the fake API server")
        };
        let addr = listener.local_addr().expect("local address");
        let accept = runtime.spawn(accept_loop(listener, shared.clone()));
        let kubeconfig = write_kubeconfig(addr).expect("write the fake API server kubeconfig");
        FakeApiServer {
            shared,
            runtime: Some(runtime),
            addr,
            accept: Mutex::new(Some(accept)),
            kubeconfig,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on (kept across [`FakeApiServer::restart`]).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A kubeconfig file naming this server (plain HTTP, no credentials), for
    /// `KUBECONFIG` in a child process or [`FakeApiServer::client`].
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// A real kube client configured from [`FakeApiServer::kubeconfig_path`].
    pub async fn client(&self) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig)
            .expect("read the fake API server kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("kube config from the fake API server kubeconfig");
        kube::Client::try_from(config).expect("kube client for the fake API server")
    }

    /// Creates or replaces an object: a `serde_json::Value` or any typed k8s-openapi
    /// object (which serializes its `apiVersion` and `kind`). Fills in uid,
    /// creationTimestamp and the namespace ("default" when absent), stamps a new
    /// resourceVersion, and returns the stored object.
    pub fn apply(&self, object: impl Serialize) -> Value {
        let object = serde_json::to_value(object).expect("object serializes to JSON");
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let resource = Resource::from_type(api_version, kind)
            .unwrap_or_else(|| panic!("the fake API server does not serve {api_version} {kind}"));
        let stored = self
            .shared
            .lock_store()
            .put(resource, object)
            .unwrap_or_else(|e| panic!("apply refused: {e:?}"));
        self.shared.notify_change();
        stored
    }

    /// Deletes an object; `kind` is a kind or plural ("Service", "endpointslices",
    /// "Node"; "v1/Event" for core Events). The namespace is ignored for Nodes. Returns
    /// the deleted object, `None` when there was none.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let resource = resource_named(kind);
        let deleted = self
            .shared
            .lock_store()
            .delete(resource, namespace, name)
            .ok();
        self.shared.notify_change();
        deleted
    }

    /// One stored object.
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.shared
            .lock_store()
            .get(resource_named(kind), namespace, name)
            .cloned()
    }

    /// Every stored object of a kind, in creation order.
    pub fn objects(&self, kind: &str) -> Vec<Value> {
        self.shared
            .lock_store()
            .list_by_creation(resource_named(kind))
    }

    /// The Events clients wrote (events.k8s.io/v1 first, then core v1), each as stored
    /// now (after any PATCH that counted a repeat), in creation order.
    pub fn events(&self) -> Vec<Value> {
        let store = self.shared.lock_store();
        let mut events = store.list_by_creation(Resource::Event);
        events.extend(store.list_by_creation(Resource::CoreEvent));
        events
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock_store().resource_version()
    }

    /// Forgets the watch history, as an etcd compaction does: every open watch gets an
    /// ERROR event with a 410 Status and ends, and every resourceVersion clients hold is
    /// too old to watch from, so they must list again.
    pub fn force_gone(&self) {
        self.shared.lock_store().compact();
        self.shared.notify_change();
    }

    /// Closes every connection that carries a watch, abruptly (no end of the chunked
    /// body), as a network failure would. Returns how many were closed.
    pub fn drop_connections(&self) -> usize {
        let connections = lock(&self.shared.connections);
        let mut dropped = 0;
        for (abort, conn) in connections.values() {
            if conn.watches.load(Ordering::SeqCst) > 0 {
                abort.abort();
                dropped += 1;
            }
        }
        dropped
    }

    /// Watches streaming now.
    pub fn open_watches(&self) -> usize {
        self.shared.open_watches.load(Ordering::SeqCst)
    }

    /// Stops serving: closes the port and every connection. Objects and history are
    /// kept for [`FakeApiServer::restart`].
    pub async fn stop(&self) {
        let accept = lock(&self.accept).take();
        if let Some(accept) = accept {
            accept.abort();
            let _ = accept.await;
        }
        let connections: Vec<_> = lock(&self.shared.connections).drain().collect();
        for (_, (abort, _)) in connections {
            abort.abort();
        }
    }

    /// Stops if running, then serves again on the same port with the same state, as an
    /// API server restart does.
    pub async fn restart(&self) {
        self.stop().await;
        let Some(runtime) = self.runtime.as_ref() else {
            return;
        };
        let listener = {
            let _context = runtime.enter();
            bind(self.addr).expect("bind the fake API server's port again")
        };
        let accept = runtime.spawn(accept_loop(listener, self.shared.clone()));
        *lock(&self.accept) = Some(accept);
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests had this verb on this kind (see [`FakeApiServer::delete`] for
    /// the names).
    pub fn count(&self, verb: Verb, kind: &str) -> usize {
        let resource = resource_named(kind);
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.verb == verb && r.resource == Some(resource))
            .count()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(accept) = lock(&self.accept).take() {
            accept.abort();
        }
        for (_, (abort, _)) in lock(&self.shared.connections).drain() {
            abort.abort();
        }
        if let Some(runtime) = self.runtime.take() {
            // Allowed inside another runtime, where dropping one is not.
            runtime.shutdown_background();
        }
        if let Some(dir) = self.kubeconfig.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn resource_named(kind: &str) -> Resource {
    Resource::from_name(kind)
        .unwrap_or_else(|| panic!("the fake API server does not serve {kind:?}"))
}

/// Binds a free port of 127.0.0.1 below the kernel's ephemeral range. A port the kernel
/// hands out itself could, while the server is down for a [`FakeApiServer::restart`], go
/// to another test's listener or to the source port of a client's connection attempt,
/// and the restart could not take it back; the kernel hands out none of these.
fn bind_below_ephemeral() -> std::io::Result<TcpListener> {
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let first: u16 = 10_000;
    let ports = ephemeral_start.saturating_sub(first).max(1);
    // Tests start servers in parallel, in several processes: each starts its search at
    // a place of its own.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let spread = (std::process::id() ^ nanos) % u32::from(ports);
    let mut last_error = None;
    for attempt in 0..u32::from(ports) {
        let port = first + u16::try_from((spread + attempt) % u32::from(ports)).unwrap_or(0);
        match bind(SocketAddr::from(([127, 0, 0, 1], port))) {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no port below the ephemeral range")))
}

/// Binds with SO_REUSEADDR so a restart can take the same port while old connections
/// linger in TIME_WAIT.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors, say: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let id = shared.next_connection.fetch_add(1, Ordering::SeqCst);
        let conn = Arc::new(ConnState::default());
        let service = {
            let shared = shared.clone();
            let conn = conn.clone();
            hyper::service::service_fn(move |req| http::handle(shared.clone(), conn.clone(), req))
        };
        // Held across the spawn so the task cannot remove its entry before it is added.
        let mut connections = lock(&shared.connections);
        let task_shared = shared.clone();
        let task = tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
            lock(&task_shared.connections).remove(&id);
        });
        connections.insert(id, (task.abort_handle(), conn));
    }
}

/// Writes a kubeconfig for the server into a fresh temporary directory.
fn write_kubeconfig(addr: SocketAddr) -> std::io::Result<PathBuf> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "fake-apiserver-{}-{}-{}",
        std::process::id(),
        addr.port(),
        SEQUENCE.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fake-apiserver
  cluster:
    server: http://{addr}
contexts:
- name: fake-apiserver
  context:
    cluster: fake-apiserver
    user: fake-apiserver
    namespace: default
current-context: fake-apiserver
users:
- name: fake-apiserver
  user: {{}}
"
    );
    std::fs::write(&path, text)?;
    Ok(path)
}
