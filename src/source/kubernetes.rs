//! The `kubernetes` source: kube-rs watchers on Services, EndpointSlices, Namespaces (for
//! pools' namespace selectors) and this node's Node, applied to the [`SharedCluster`] event by event.
//!
//! Every raw watcher event counts, not only applied objects: a relist (after a 410 Gone or
//! a reconnect) that only removed objects must still trigger a new decision, so a relist
//! buffers its objects and replaces the whole kind at `InitDone`. Watch errors are logged
//! and retried with backoff; they never stop the daemon.

use super::shared::SharedCluster;
use crate::cluster::objects::{NamespaceInfo, NodeInfo};
use crate::cluster::wire::{NamespaceObject, NodeObject, ServiceObject, SliceObject};
use crate::cluster::{ClusterState, ObjectKey};
use futures::StreamExt;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Services handed to another proxy are not ours; leave them on the server.
pub const SERVICE_SELECTOR: &str = "!service.kubernetes.io/service-proxy-name";
/// Slices that belong to a Service, minus those of headless Services and other proxies.
pub const ENDPOINT_SLICE_SELECTOR: &str = "kubernetes.io/service-name,!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name";

/// How many kinds are watched; the state is synced when all have listed once.
const KINDS: usize = 4;

/// A kind we watch: its partial wire type (what kube-rs deserializes each event into)
/// and the slim form kept in [`ClusterState`]. Only one wire object exists at a time; a
/// relist buffers slim objects.
trait Tracked:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    const NAME: &'static str;
    /// What is kept.
    type Slim: Send;
    /// The key and slim form (`None`: no name, nothing to keep).
    fn slim(self) -> Option<(ObjectKey, Self::Slim)>;
    /// Replaces every object of this kind.
    fn replace_all(state: &mut ClusterState, objects: BTreeMap<ObjectKey, Self::Slim>);
    /// Adds or replaces one object.
    fn upsert(state: &mut ClusterState, key: ObjectKey, object: Self::Slim);
    /// Removes every object of this kind not in `listed` (the end of a list).
    fn retain(state: &mut ClusterState, listed: &HashSet<ObjectKey>);
    /// True when the state holds some object of this kind.
    fn held(state: &ClusterState) -> bool;
    /// Removes one object.
    fn remove(state: &mut ClusterState, key: &ObjectKey);
}

impl Tracked for ServiceObject {
    const NAME: &'static str = "services";
    type Slim = crate::cluster::objects::ServiceInfo;
    fn slim(self) -> Option<(ObjectKey, Self::Slim)> {
        Some((ObjectKey::of(self.meta())?, self.into_info()))
    }
    fn replace_all(state: &mut ClusterState, objects: BTreeMap<ObjectKey, Self::Slim>) {
        state.replace_services(objects);
    }
    fn upsert(state: &mut ClusterState, key: ObjectKey, object: Self::Slim) {
        state.upsert_service(key, object);
    }
    fn retain(state: &mut ClusterState, listed: &HashSet<ObjectKey>) {
        state.retain_services(|key| listed.contains(key));
    }
    fn held(state: &ClusterState) -> bool {
        !state.services().is_empty()
    }
    fn remove(state: &mut ClusterState, key: &ObjectKey) {
        state.remove_service(key);
    }
}

impl Tracked for SliceObject {
    const NAME: &'static str = "endpointslices";
    type Slim = crate::cluster::objects::SliceInfo;
    fn slim(self) -> Option<(ObjectKey, Self::Slim)> {
        Some((ObjectKey::of(self.meta())?, self.into_info()))
    }
    fn replace_all(state: &mut ClusterState, objects: BTreeMap<ObjectKey, Self::Slim>) {
        state.replace_slices(objects);
    }
    fn upsert(state: &mut ClusterState, key: ObjectKey, object: Self::Slim) {
        state.upsert_slice(key, object);
    }
    fn retain(state: &mut ClusterState, listed: &HashSet<ObjectKey>) {
        state.retain_slices(|key| listed.contains(key));
    }
    fn held(state: &ClusterState) -> bool {
        !state.endpoint_slices().is_empty()
    }
    fn remove(state: &mut ClusterState, key: &ObjectKey) {
        state.remove_slice(key);
    }
}

impl Tracked for NodeObject {
    const NAME: &'static str = "nodes";
    type Slim = NodeInfo;
    fn slim(self) -> Option<(ObjectKey, Self::Slim)> {
        Some((ObjectKey::of(self.meta())?, self.into_info()))
    }
    fn replace_all(state: &mut ClusterState, objects: BTreeMap<ObjectKey, Self::Slim>) {
        state.set_node(objects.into_values().next());
    }
    fn upsert(state: &mut ClusterState, _key: ObjectKey, object: Self::Slim) {
        state.set_node(Some(object));
    }
    fn retain(state: &mut ClusterState, listed: &HashSet<ObjectKey>) {
        // The field selector lists our Node alone: listed, it was just upserted.
        if listed.is_empty() {
            state.set_node(None::<NodeInfo>);
        }
    }
    fn held(state: &ClusterState) -> bool {
        state.node().is_some()
    }
    fn remove(state: &mut ClusterState, _key: &ObjectKey) {
        state.set_node(None::<NodeInfo>);
    }
}

impl Tracked for NamespaceObject {
    const NAME: &'static str = "namespaces";
    type Slim = NamespaceInfo;
    fn slim(self) -> Option<(ObjectKey, Self::Slim)> {
        Some((ObjectKey::of(self.meta())?, self.into_info()))
    }
    fn replace_all(state: &mut ClusterState, objects: BTreeMap<ObjectKey, Self::Slim>) {
        state.replace_namespaces(
            objects
                .into_iter()
                .map(|(k, v)| (k.name().into(), v))
                .collect(),
        );
    }
    fn upsert(state: &mut ClusterState, key: ObjectKey, object: Self::Slim) {
        state.upsert_namespace(key.name().into(), object);
    }
    fn retain(state: &mut ClusterState, listed: &HashSet<ObjectKey>) {
        // Cluster-scoped: the key's namespace is a placeholder; the name is the key.
        let names: HashSet<&str> = listed.iter().map(|k| k.name()).collect();
        state.retain_namespaces(|name| names.contains(name));
    }
    fn held(state: &ClusterState) -> bool {
        !state.namespaces().is_empty()
    }
    fn remove(state: &mut ClusterState, key: &ObjectKey) {
        state.remove_namespace(key.name());
    }
}

/// Counts the kinds that completed their first list.
#[derive(Debug, Default)]
struct SyncTracker {
    done: AtomicUsize,
}

/// Watches the four kinds until the process ends. `node_name` selects our Node.
pub async fn run(client: Client, node_name: String, shared: Arc<SharedCluster>) {
    let tracker = Arc::new(SyncTracker::default());
    let services = watch_kind(
        Api::<ServiceObject>::all(client.clone()),
        watcher::Config::default().labels(SERVICE_SELECTOR),
        shared.clone(),
        tracker.clone(),
    );
    let slices = watch_kind(
        Api::<SliceObject>::all(client.clone()),
        watcher::Config::default().labels(ENDPOINT_SLICE_SELECTOR),
        shared.clone(),
        tracker.clone(),
    );
    let namespaces = watch_kind(
        Api::<NamespaceObject>::all(client.clone()),
        watcher::Config::default(),
        shared.clone(),
        tracker.clone(),
    );
    let node = watch_kind(
        Api::<NodeObject>::all(client),
        watcher::Config::default().fields(&format!("metadata.name={node_name}")),
        shared,
        tracker,
    );
    tokio::join!(services, slices, namespaces, node);
}

async fn watch_kind<K: Tracked>(
    api: Api<K>,
    config: watcher::Config,
    shared: Arc<SharedCluster>,
    tracker: Arc<SyncTracker>,
) {
    let mut stream = watcher::watcher(api, config).default_backoff().boxed();
    // A (re)list is applied object by object as it arrives, without waking the decision:
    // an object equal to the one held costs nothing, and the list is never held beside
    // the state. When objects of this kind are already held (a relist), the keys listed
    // are kept, so that what was not listed is removed when the list is complete; the
    // decision then runs once.
    let mut listed: Option<HashSet<ObjectKey>> = None;
    let mut synced = false;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => {
                listed = shared.read(K::held).then(HashSet::new);
            }
            Ok(Event::InitApply(object)) => {
                if let Some((key, slim)) = object.slim() {
                    if let Some(listed) = &mut listed {
                        listed.insert(key.clone());
                    }
                    shared.stage(|state| K::upsert(state, key, slim));
                }
            }
            Ok(Event::InitDone) => {
                let listed = listed.take();
                tracing::debug!(kind = K::NAME, relist = listed.is_some(), "list complete");
                shared.update(|state| {
                    if let Some(listed) = &listed {
                        K::retain(state, listed);
                    }
                });
                if !synced {
                    synced = true;
                    if tracker.done.fetch_add(1, Ordering::SeqCst) + 1 == KINDS {
                        tracing::info!("Kubernetes caches synced");
                        shared.mark_synced();
                    }
                }
            }
            Ok(Event::Apply(object)) => {
                if let Some((key, slim)) = object.slim() {
                    shared.update(|state| K::upsert(state, key, slim));
                }
            }
            Ok(Event::Delete(object)) => {
                if let Some(key) = ObjectKey::of(object.meta()) {
                    shared.update(|state| K::remove(state, &key));
                }
            }
            Err(error) => {
                tracing::warn!(kind = K::NAME, %error, "watch failed; retrying with backoff")
            }
        }
    }
}

/// Reads the cluster once, as `run` sees it from `node_name` (for `plan`): the same kinds,
/// selectors and partial types as the watchers, listed page by page.
pub async fn read_once(client: Client, node_name: &str) -> anyhow::Result<ClusterState> {
    let mut state = ClusterState::default();
    let services = list_all(Api::<ServiceObject>::all(client.clone()), SERVICE_SELECTOR).await?;
    ServiceObject::replace_all(&mut state, services);
    let slices = list_all(
        Api::<SliceObject>::all(client.clone()),
        ENDPOINT_SLICE_SELECTOR,
    )
    .await?;
    SliceObject::replace_all(&mut state, slices);
    let namespaces = list_all(Api::<NamespaceObject>::all(client.clone()), "").await?;
    NamespaceObject::replace_all(&mut state, namespaces);
    let node = Api::<NodeObject>::all(client)
        .get_opt(node_name)
        .await
        .map_err(|e| anyhow::anyhow!("nodes/{node_name}: {e}"))?;
    state.set_node(node.map(NodeObject::into_info));
    Ok(state)
}

/// Every object of a kind, in pages of 500.
async fn list_all<K: Tracked>(
    api: Api<K>,
    selector: &str,
) -> anyhow::Result<BTreeMap<ObjectKey, K::Slim>> {
    let mut objects = BTreeMap::new();
    let mut params = kube::api::ListParams::default().limit(500);
    if !selector.is_empty() {
        params = params.labels(selector);
    }
    loop {
        let page = api
            .list(&params)
            .await
            .map_err(|e| anyhow::anyhow!("listing {}: {e}", K::NAME))?;
        objects.extend(page.items.into_iter().filter_map(Tracked::slim));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(objects),
        }
    }
}

/// A client from the in-cluster environment, else KUBECONFIG / ~/.kube/config.
pub async fn client() -> anyhow::Result<Client> {
    Ok(Client::try_default().await?)
}

#[cfg(test)]
mod tests;
