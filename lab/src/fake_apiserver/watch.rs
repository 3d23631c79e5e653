//! Watch streams: newline-delimited JSON watch events over a chunked response, replayed
//! from the store's history and then followed live, with bookmarks, streaming-list
//! initial events, timeouts and 410 Gone as the real API server sends them.

use super::resources::Resource;
use super::response::{Body, status_object};
use super::selector::{FieldSelector, LabelSelector};
use super::store::{Change, ChangeKind};
use super::{ConnState, Shared};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use serde_json::{Value, json};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Where a watch starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchStart {
    /// `resourceVersion` unset or "0", or `sendInitialEvents=true`: an ADDED event for
    /// every object that exists now, then changes from now on.
    CurrentState,
    /// Changes after this resourceVersion; 410 Gone when the history no longer has them.
    After(u64),
}

/// A parsed watch request.
pub struct WatchRequest {
    /// The watched resource.
    pub resource: Resource,
    /// Only this namespace; all when `None`.
    pub namespace: Option<String>,
    /// `labelSelector`.
    pub labels: LabelSelector,
    /// `fieldSelector`.
    pub fields: FieldSelector,
    /// Where to start.
    pub start: WatchStart,
    /// `allowWatchBookmarks=true`.
    pub bookmarks: bool,
    /// `sendInitialEvents=true`: end the initial events with a bookmark annotated
    /// `k8s.io/initial-events-end: "true"`.
    pub send_initial_events: bool,
    /// `timeoutSeconds`: the stream ends cleanly after this long.
    pub timeout: Duration,
}

impl WatchRequest {
    fn matches(&self, object: &Value) -> bool {
        let in_namespace = self.namespace.as_deref().is_none_or(|ns| {
            object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                == Some(ns)
        });
        in_namespace && self.labels.matches(object) && self.fields.matches(object)
    }

    /// The event a change is for this watch. With a selector, an object that starts
    /// matching is ADDED and one that stops matching is DELETED, as the real watch
    /// cache reports them.
    fn event_for(&self, change: &Change) -> Option<(&'static str, Value)> {
        if change.resource != self.resource {
            return None;
        }
        let now = change.kind != ChangeKind::Deleted && self.matches(&change.object);
        let before = change.previous.as_ref().is_some_and(|p| self.matches(p));
        let kind = match (change.kind, before, now) {
            (ChangeKind::Deleted, true, _) => ChangeKind::Deleted,
            (ChangeKind::Added, _, true) => ChangeKind::Added,
            (ChangeKind::Modified, true, true) => ChangeKind::Modified,
            (ChangeKind::Modified, false, true) => ChangeKind::Added,
            (ChangeKind::Modified, true, false) => ChangeKind::Deleted,
            _ => return None,
        };
        Some((kind.watch_type(), change.object.clone()))
    }

    fn bookmark(&self, rv: u64, initial_events_end: bool) -> Value {
        let mut metadata = json!({ "resourceVersion": rv.to_string() });
        if initial_events_end {
            metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
        }
        json!({
            "kind": self.resource.kind(),
            "apiVersion": self.resource.api_version(),
            "metadata": metadata,
        })
    }
}

/// A response body fed by a channel: each message is one chunk.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// Counts the watch as open on its connection and on the server while it lives.
struct OpenWatch {
    shared: Arc<Shared>,
    conn: Arc<ConnState>,
}

impl OpenWatch {
    fn new(shared: Arc<Shared>, conn: Arc<ConnState>) -> OpenWatch {
        conn.watches.fetch_add(1, Ordering::SeqCst);
        shared.open_watches.fetch_add(1, Ordering::SeqCst);
        OpenWatch { shared, conn }
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.conn.watches.fetch_sub(1, Ordering::SeqCst);
        self.shared.open_watches.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts a watch and returns the streaming body the response carries.
///
/// Where the watch starts is fixed here, while the request is handled, not later in the
/// task: a client that sees the response headers and then changes an object must see
/// that change in the stream.
pub fn serve_watch(shared: Arc<Shared>, conn: Arc<ConnState>, request: WatchRequest) -> Body {
    let changed = shared.changed.subscribe();
    let opening = match request.start {
        WatchStart::CurrentState => {
            let store = shared.lock_store();
            let objects: Vec<Value> = store
                .list(request.resource, request.namespace.as_deref())
                .into_iter()
                .filter(|(_, o)| request.matches(o))
                .map(|(_, o)| o.clone())
                .collect();
            Opening::CurrentState {
                objects,
                rv: store.resource_version(),
            }
        }
        WatchStart::After(rv) => Opening::After(rv),
    };
    let (tx, rx) = mpsc::channel(256);
    let open = OpenWatch::new(shared.clone(), conn);
    tokio::spawn(async move {
        let _open = open;
        stream_events(shared, request, opening, changed, tx).await;
    });
    ChannelBody(rx).boxed_unsync()
}

/// The start of a watch, read from the store when the request arrived.
enum Opening {
    /// The matching objects and the resourceVersion they were read at.
    CurrentState { objects: Vec<Value>, rv: u64 },
    /// Changes after this resourceVersion.
    After(u64),
}

fn line(event_type: &str, object: Value) -> Bytes {
    let mut bytes =
        serde_json::to_vec(&json!({ "type": event_type, "object": object })).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

fn gone(rv: u64, oldest: u64) -> Bytes {
    // The real server answers a too-old watch with HTTP 200 and this ERROR event
    // rather than an HTTP 410, and kube's watcher relists on it.
    let message = format!("too old resource version: {rv} ({oldest})");
    line("ERROR", status_object(410, "Expired", &message))
}

/// Writes the events of one watch until it times out, the client goes away, or the
/// history it needs is gone. Returning ends the response cleanly.
async fn stream_events(
    shared: Arc<Shared>,
    request: WatchRequest,
    opening: Opening,
    mut changed: tokio::sync::watch::Receiver<u64>,
    tx: mpsc::Sender<Bytes>,
) {
    let deadline = Instant::now() + request.timeout;
    let mut cursor = match opening {
        Opening::CurrentState { objects, rv } => {
            for object in objects {
                if tx.send(line("ADDED", object)).await.is_err() {
                    return;
                }
            }
            if request.send_initial_events {
                let bookmark = request.bookmark(rv, true);
                if tx.send(line("BOOKMARK", bookmark)).await.is_err() {
                    return;
                }
            }
            rv
        }
        Opening::After(rv) => rv,
    };
    let mut bookmarks = tokio::time::interval(shared.options.bookmark_interval);
    bookmarks.reset();
    loop {
        let batch = {
            let store = shared.lock_store();
            match store.changes_after(cursor) {
                None => Err(store.oldest_resumable()),
                Some(changes) => {
                    let events: Vec<_> = changes
                        .iter()
                        .filter_map(|c| request.event_for(c))
                        .collect();
                    cursor = cursor.max(store.resource_version());
                    Ok(events)
                }
            }
        };
        match batch {
            Err(oldest) => {
                let _ = tx.send(gone(cursor, oldest)).await;
                return;
            }
            Ok(events) => {
                for (event_type, object) in events {
                    if tx.send(line(event_type, object)).await.is_err() {
                        return;
                    }
                }
            }
        }
        tokio::select! {
            result = changed.changed() => {
                if result.is_err() {
                    return;
                }
            }
            _ = tokio::time::sleep_until(deadline) => return,
            _ = bookmarks.tick(), if request.bookmarks => {
                if tx.send(line("BOOKMARK", request.bookmark(cursor, false))).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}
