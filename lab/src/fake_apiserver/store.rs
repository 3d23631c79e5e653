//! The fake server's whole state: objects of every kind, one global resourceVersion, and
//! the change history watches replay from. No HTTP here.

use super::resources::Resource;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Where an object lives: resource, namespace ("" when cluster-scoped), name.
pub type Key = (Resource, String, String);

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Created.
    Added,
    /// Replaced or patched.
    Modified,
    /// Removed.
    Deleted,
}

impl ChangeKind {
    /// The watch event `type` for this change.
    pub fn watch_type(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// One entry of the history: the object after the change (its last state for a
/// deletion, stamped with the deletion's resourceVersion) and the state before.
#[derive(Clone, Debug)]
pub struct Change {
    /// The resourceVersion the change was given.
    pub rv: u64,
    /// The object's resource.
    pub resource: Resource,
    /// What happened.
    pub kind: ChangeKind,
    /// The object after the change.
    pub object: Value,
    /// The object before the change; `None` for a creation. Watches with a selector
    /// need it: an object that stops matching is a DELETED for them.
    pub previous: Option<Value>,
}

/// Why a write was refused; each maps to a Kubernetes Status reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// 404 NotFound.
    NotFound,
    /// 409 AlreadyExists.
    AlreadyExists,
    /// 409 Conflict: a stale `metadata.resourceVersion` on an update.
    Conflict(String),
    /// 422 Invalid: the object cannot be stored (no name, wrong kind...).
    Invalid(String),
}

struct Entry {
    object: Value,
    /// `object` as JSON, written once per change: a list serves its pages from these, as
    /// kube-apiserver serves lists from its watch cache's serialized objects. Serializing
    /// 10,000 printed objects again for every page made this server, on the cores the
    /// daemon shares with it, most of a start's CPU.
    json: bytes::Bytes,
    /// resourceVersion of the creation, to give objects back in creation order.
    created: u64,
}

/// Objects plus history. resourceVersions are one counter across every kind, as etcd's
/// revision is.
pub struct Store {
    rv: u64,
    /// Watches may resume from any resourceVersion at or after this one; older ones
    /// are "too old" (410 Gone), as after an etcd compaction.
    oldest_resumable: u64,
    objects: BTreeMap<Key, Entry>,
    history: Vec<Change>,
    /// How many changes the history keeps; older ones are forgotten, as the real
    /// server's watch cache and etcd compaction forget them.
    history_limit: usize,
    next_uid: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store::with_history_limit(usize::MAX)
    }
}

impl Store {
    /// An empty store whose history keeps at most `limit` changes.
    pub fn with_history_limit(limit: usize) -> Store {
        Store {
            rv: 1,
            oldest_resumable: 1,
            objects: BTreeMap::new(),
            history: Vec::new(),
            history_limit: limit.max(1),
            next_uid: 1,
        }
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// The oldest resourceVersion a watch can still resume from.
    pub fn oldest_resumable(&self) -> u64 {
        self.oldest_resumable
    }

    /// One object.
    pub fn get(&self, resource: Resource, namespace: &str, name: &str) -> Option<&Value> {
        let key = (resource, scoped(resource, namespace), name.to_string());
        self.objects.get(&key).map(|e| &e.object)
    }

    /// Objects of a resource, in one namespace or all, ordered by namespace then name
    /// (the order list pagination walks).
    pub fn list(&self, resource: Resource, namespace: Option<&str>) -> Vec<(Key, &Value)> {
        self.objects
            .iter()
            .filter(|((r, ns, _), _)| *r == resource && namespace.is_none_or(|want| want == ns))
            .map(|(k, e)| (k.clone(), &e.object))
            .collect()
    }

    /// One page of a list: the objects of a resource (in one namespace or all) after
    /// `after` in (namespace, name) order that `keep` accepts, at most `limit` of them,
    /// each as its stored JSON; and how many more `keep` accepts after the page.
    pub fn page(
        &self,
        resource: Resource,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: Option<usize>,
        keep: impl Fn(&Value) -> bool,
    ) -> Page<'_> {
        use std::ops::Bound;
        let start = match after {
            Some((ns, name)) => Bound::Excluded((resource, ns.to_string(), name.to_string())),
            None => Bound::Included((resource, String::new(), String::new())),
        };
        let mut page = Page::default();
        let matching = self
            .objects
            .range((start, Bound::Unbounded))
            .take_while(|((r, _, _), _)| *r == resource)
            .filter(|((_, ns, _), _)| namespace.is_none_or(|want| want == ns))
            .filter(|(_, e)| keep(&e.object));
        for (key, entry) in matching {
            if limit.is_some_and(|l| page.items.len() == l) {
                page.remaining += 1;
            } else {
                page.last = Some(key);
                page.items.push(&entry.json);
            }
        }
        page
    }

    /// Objects of a resource in creation order.
    pub fn list_by_creation(&self, resource: Resource) -> Vec<Value> {
        let mut entries: Vec<&Entry> = self
            .objects
            .iter()
            .filter(|((r, _, _), _)| *r == resource)
            .map(|(_, e)| e)
            .collect();
        entries.sort_by_key(|e| e.created);
        entries.into_iter().map(|e| e.object.clone()).collect()
    }

    /// Creates the object, or replaces it when it exists (ignoring any resourceVersion it
    /// carries). What a test's `apply` does.
    pub fn put(&mut self, resource: Resource, object: Value) -> Result<Value, StoreError> {
        self.write(resource, object, Mode::Upsert)
    }

    /// Creates the object; refuses when it exists.
    pub fn create(&mut self, resource: Resource, object: Value) -> Result<Value, StoreError> {
        self.write(resource, object, Mode::Create)
    }

    /// Replaces an existing object; a `metadata.resourceVersion` in the body must be the
    /// stored one (optimistic concurrency).
    pub fn replace(&mut self, resource: Resource, object: Value) -> Result<Value, StoreError> {
        self.write(resource, object, Mode::Replace)
    }

    /// Removes an object and returns its last state, stamped with the deletion's
    /// resourceVersion.
    pub fn delete(
        &mut self,
        resource: Resource,
        namespace: &str,
        name: &str,
    ) -> Result<Value, StoreError> {
        let key = (resource, scoped(resource, namespace), name.to_string());
        let entry = self.objects.remove(&key).ok_or(StoreError::NotFound)?;
        self.rv += 1;
        let previous = entry.object;
        let mut object = previous.clone();
        set_meta(&mut object, "resourceVersion", json!(self.rv.to_string()));
        self.remember(Change {
            rv: self.rv,
            resource,
            kind: ChangeKind::Deleted,
            object: object.clone(),
            previous: Some(previous),
        });
        Ok(object)
    }

    /// Changes after `rv`, oldest first; `None` when `rv` is older than the history
    /// kept (the watch must get 410 Gone).
    pub fn changes_after(&self, rv: u64) -> Option<&[Change]> {
        if rv < self.oldest_resumable {
            return None;
        }
        let first = self.history.partition_point(|c| c.rv <= rv);
        Some(&self.history[first..])
    }

    fn remember(&mut self, change: Change) {
        self.history.push(change);
        if let Some(excess) = self.history.len().checked_sub(self.history_limit)
            && let Some(last_forgotten) = excess.checked_sub(1).and_then(|i| self.history.get(i))
        {
            // Changes after the last forgotten one are all still here.
            self.oldest_resumable = last_forgotten.rv;
            self.history.drain(..excess);
        }
    }

    /// Forgets the history and moves the resourceVersion on, so that every
    /// resourceVersion a client holds is too old to watch from and it must list again.
    pub fn compact(&mut self) {
        self.rv += 1;
        self.oldest_resumable = self.rv;
        self.history.clear();
    }

    fn write(
        &mut self,
        resource: Resource,
        mut object: Value,
        mode: Mode,
    ) -> Result<Value, StoreError> {
        let Some(obj) = object.as_object_mut() else {
            return Err(StoreError::Invalid("the body is not a JSON object".into()));
        };
        obj.insert("apiVersion".into(), json!(resource.api_version()));
        obj.insert("kind".into(), json!(resource.kind()));
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(meta) = meta.as_object_mut() else {
            return Err(StoreError::Invalid("metadata is not an object".into()));
        };
        let Some(name) = meta.get("name").and_then(Value::as_str).map(str::to_string) else {
            return Err(StoreError::Invalid("metadata.name is required".into()));
        };
        let namespace = if resource.namespaced() {
            let ns = meta
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_string();
            meta.insert("namespace".into(), json!(ns));
            ns
        } else {
            meta.remove("namespace");
            String::new()
        };
        let key = (resource, namespace, name);
        let existing = self.objects.get(&key);
        match (mode, existing) {
            (Mode::Create, Some(_)) => return Err(StoreError::AlreadyExists),
            (Mode::Replace, None) => return Err(StoreError::NotFound),
            (Mode::Replace, Some(entry)) => {
                let stored = entry.object.pointer("/metadata/resourceVersion");
                let sent = meta.get("resourceVersion");
                if sent.is_some_and(|s| s.as_str() != Some("")) && sent != stored {
                    return Err(StoreError::Conflict(format!(
                        "the object has been modified: resourceVersion {} is not the stored {}",
                        sent.unwrap_or(&Value::Null),
                        stored.unwrap_or(&Value::Null)
                    )));
                }
            }
            _ => {}
        }

        self.rv += 1;
        let previous = existing.map(|e| e.object.clone());
        let created = existing.map_or(self.rv, |e| e.created);
        let old_meta = previous.as_ref().and_then(|p| p.get("metadata"));
        // Server-owned fields: kept from the stored object, or filled in on creation.
        let uid = old_meta
            .and_then(|m| m.get("uid").cloned())
            .or_else(|| meta.get("uid").cloned())
            .unwrap_or_else(|| {
                self.next_uid += 1;
                json!(format!("00000000-0000-4000-8000-{:012x}", self.next_uid))
            });
        let created_at = old_meta
            .and_then(|m| m.get("creationTimestamp").cloned())
            .or_else(|| {
                meta.get("creationTimestamp")
                    .cloned()
                    .filter(|t| !t.is_null())
            })
            .unwrap_or_else(|| json!(now_rfc3339()));
        let old_generation = old_meta
            .and_then(|m| m.get("generation"))
            .and_then(Value::as_i64);
        let spec_changed = previous.as_ref().and_then(|p| p.get("spec")) != obj_spec(&object);
        let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
            return Err(StoreError::Invalid("metadata is not an object".into()));
        };
        meta.insert("uid".into(), uid);
        meta.insert("creationTimestamp".into(), created_at);
        meta.insert("resourceVersion".into(), json!(self.rv.to_string()));
        let generation = match old_generation {
            Some(g) if spec_changed => g + 1,
            Some(g) => g,
            None => 1,
        };
        meta.insert("generation".into(), json!(generation));

        let kind = if previous.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.objects.insert(
            key,
            Entry {
                json: serde_json::to_vec(&object).unwrap_or_default().into(),
                object: object.clone(),
                created,
            },
        );
        self.remember(Change {
            rv: self.rv,
            resource,
            kind,
            object: object.clone(),
            previous,
        });
        Ok(object)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Upsert,
    Create,
    Replace,
}

fn obj_spec(object: &Value) -> Option<&Value> {
    object.get("spec")
}

fn scoped(resource: Resource, namespace: &str) -> String {
    if resource.namespaced() {
        namespace.to_string()
    } else {
        String::new()
    }
}

fn set_meta(object: &mut Value, field: &str, value: Value) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(field.into(), value);
    }
}

/// The current time as the API server writes `metav1.Time`: RFC 3339, whole seconds, UTC.
pub fn now_rfc3339() -> String {
    let now = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(now.as_second())
        .map(|t| t.to_string())
        .unwrap_or_else(|_| now.to_string())
}

/// One page of a list (see [`Store::page`]).
#[derive(Default)]
pub struct Page<'a> {
    /// The objects, as JSON.
    pub items: Vec<&'a bytes::Bytes>,
    /// The key of the last one.
    pub last: Option<&'a Key>,
    /// How many more match after the page.
    pub remaining: usize,
}
