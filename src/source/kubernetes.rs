//! The `kubernetes` source: kube-rs watchers on Services, EndpointSlices and this node's
//! Node, applied to the [`SharedCluster`] event by event.
//!
//! Every raw watcher event counts, not only applied objects: a relist (after a 410 Gone or
//! a reconnect) that only removed objects must still trigger a new decision, so a relist
//! buffers its objects and replaces the whole kind at `InitDone`. Watch errors are logged
//! and retried with backoff; they never stop the daemon.

use super::shared::SharedCluster;
use crate::cluster::{ClusterState, ObjectKey};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Services handed to another proxy are not ours; leave them on the server.
pub const SERVICE_SELECTOR: &str = "!service.kubernetes.io/service-proxy-name";
/// Slices that belong to a Service, minus those of headless Services and other proxies.
pub const ENDPOINT_SLICE_SELECTOR: &str = "kubernetes.io/service-name,!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name";

/// How many kinds are watched; the state is synced when all have listed once.
const KINDS: usize = 3;

/// A kind we keep in [`ClusterState`].
trait Tracked:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    const NAME: &'static str;
    /// Replaces every object of this kind.
    fn replace_all(state: &mut ClusterState, objects: Vec<Self>);
    /// Adds or replaces one object.
    fn upsert(state: &mut ClusterState, object: Self);
    /// Removes one object.
    fn remove(state: &mut ClusterState, object: &Self);
}

/// Drops what the decision never reads, so 10,000 Services cost less memory.
fn slim<K: Resource>(mut object: K) -> K {
    object.meta_mut().managed_fields = None;
    object
}

fn keyed<K: Resource>(objects: Vec<K>) -> BTreeMap<ObjectKey, K> {
    objects
        .into_iter()
        .filter_map(|o| ObjectKey::of(o.meta()).map(|k| (k, slim(o))))
        .collect()
}

impl Tracked for Service {
    const NAME: &'static str = "services";
    fn replace_all(state: &mut ClusterState, objects: Vec<Self>) {
        state.replace_services(keyed(objects));
    }
    fn upsert(state: &mut ClusterState, object: Self) {
        if let Some(key) = ObjectKey::of(object.meta()) {
            state.upsert_service(key, slim(object));
        }
    }
    fn remove(state: &mut ClusterState, object: &Self) {
        if let Some(key) = ObjectKey::of(object.meta()) {
            state.remove_service(&key);
        }
    }
}

impl Tracked for EndpointSlice {
    const NAME: &'static str = "endpointslices";
    fn replace_all(state: &mut ClusterState, objects: Vec<Self>) {
        state.replace_slices(keyed(objects));
    }
    fn upsert(state: &mut ClusterState, object: Self) {
        if let Some(key) = ObjectKey::of(object.meta()) {
            state.upsert_slice(key, slim(object));
        }
    }
    fn remove(state: &mut ClusterState, object: &Self) {
        if let Some(key) = ObjectKey::of(object.meta()) {
            state.remove_slice(&key);
        }
    }
}

impl Tracked for Node {
    const NAME: &'static str = "nodes";
    fn replace_all(state: &mut ClusterState, objects: Vec<Self>) {
        state.set_node(objects.into_iter().next().map(slim));
    }
    fn upsert(state: &mut ClusterState, object: Self) {
        state.set_node(Some(slim(object)));
    }
    fn remove(state: &mut ClusterState, _object: &Self) {
        state.set_node(None);
    }
}

/// Counts the kinds that completed their first list.
#[derive(Debug, Default)]
struct SyncTracker {
    done: AtomicUsize,
}

/// Watches the three kinds until the process ends. `node_name` selects our Node.
pub async fn run(client: Client, node_name: String, shared: Arc<SharedCluster>) {
    let tracker = Arc::new(SyncTracker::default());
    let services = watch_kind(
        Api::<Service>::all(client.clone()),
        watcher::Config::default().labels(SERVICE_SELECTOR),
        shared.clone(),
        tracker.clone(),
    );
    let slices = watch_kind(
        Api::<EndpointSlice>::all(client.clone()),
        watcher::Config::default().labels(ENDPOINT_SLICE_SELECTOR),
        shared.clone(),
        tracker.clone(),
    );
    let node = watch_kind(
        Api::<Node>::all(client),
        watcher::Config::default().fields(&format!("metadata.name={node_name}")),
        shared,
        tracker,
    );
    tokio::join!(services, slices, node);
}

async fn watch_kind<K: Tracked>(
    api: Api<K>,
    config: watcher::Config,
    shared: Arc<SharedCluster>,
    tracker: Arc<SyncTracker>,
) {
    let mut stream = watcher::watcher(api, config).default_backoff().boxed();
    let mut buffer: Vec<K> = Vec::new();
    let mut synced = false;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => buffer.clear(),
            Ok(Event::InitApply(object)) => buffer.push(object),
            Ok(Event::InitDone) => {
                let objects = std::mem::take(&mut buffer);
                tracing::debug!(kind = K::NAME, count = objects.len(), "list complete");
                shared.update(|state| K::replace_all(state, objects));
                if !synced {
                    synced = true;
                    if tracker.done.fetch_add(1, Ordering::SeqCst) + 1 == KINDS {
                        tracing::info!("Kubernetes caches synced");
                        shared.mark_synced();
                    }
                }
            }
            Ok(Event::Apply(object)) => shared.update(|state| K::upsert(state, object)),
            Ok(Event::Delete(object)) => shared.update(|state| K::remove(state, &object)),
            Err(error) => {
                tracing::warn!(kind = K::NAME, %error, "watch failed; retrying with backoff")
            }
        }
    }
}

/// A client from the in-cluster environment, else KUBECONFIG / ~/.kube/config.
pub async fn client() -> anyhow::Result<Client> {
    Ok(Client::try_default().await?)
}

/// Lists everything once (for `plan`): the same state the daemon would start from.
pub async fn list_once(client: Client, node_name: &str) -> anyhow::Result<ClusterState> {
    use kube::api::ListParams;
    let mut state = ClusterState::default();
    let services = Api::<Service>::all(client.clone())
        .list(&ListParams::default().labels(SERVICE_SELECTOR))
        .await?;
    Service::replace_all(&mut state, services.items);
    let slices = Api::<EndpointSlice>::all(client.clone())
        .list(&ListParams::default().labels(ENDPOINT_SLICE_SELECTOR))
        .await?;
    EndpointSlice::replace_all(&mut state, slices.items);
    let nodes = Api::<Node>::all(client)
        .list(&ListParams::default().fields(&format!("metadata.name={node_name}")))
        .await?;
    Node::replace_all(&mut state, nodes.items);
    Ok(state)
}
