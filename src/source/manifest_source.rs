//! The manifests source as a task: loads the files, then follows every change inotify
//! reports under the configured paths, re-reading only what changed.

use super::SharedCluster;
use super::manifest_set::ManifestSet;
use super::manifests::is_manifest_name;
use super::watch::{Change, PathWatch};
use std::path::PathBuf;
use std::sync::Arc;

/// How long to wait before trying again to set up inotify when the kernel refused it
/// (e.g. `fs.inotify.max_user_instances` reached); the files are re-read meanwhile.
const WATCH_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps `shared` equal to the files' content: loads them, then reloads the files that
/// changed whenever inotify reports a change under `paths`. A file that fails to load is
/// logged once per change and its last good content kept; the state counts as synced
/// once every path has loaded.
pub async fn run(paths: Vec<PathBuf>, node_name: String, shared: Arc<SharedCluster>) {
    let mut set = ManifestSet::default();
    let mut watch = None;
    let mut change = Change::Everything;
    loop {
        // Watch first, then read: a change made while reading is signalled, not lost.
        if watch.is_none() {
            watch = PathWatch::new(&paths, is_manifest_name)
                .map_err(|error| {
                    tracing::error!(%error, "cannot watch the manifest files; re-reading them every {}s", WATCH_RETRY.as_secs());
                })
                .ok();
            change = Change::Everything;
        }
        // Only the files inotify named, when it named files the set knows: a change in a
        // directory of thousands of files costs that file, not a listing of them all.
        let done = match &change {
            Change::Files(files) => set.refresh_files(files, &node_name, &shared),
            Change::Everything => false,
        };
        if !done {
            set.refresh(&paths, &node_name, &shared);
        }
        match &mut watch {
            Some(w) => match w.changed().await {
                Ok(next) => change = next,
                Err(error) => {
                    tracing::error!(%error, "restarting the file watcher");
                    watch = None;
                    // Never a busy loop, should a new watcher stop at once too.
                    tokio::time::sleep(WATCH_RETRY).await;
                }
            },
            None => {
                tokio::time::sleep(WATCH_RETRY).await;
                change = Change::Everything;
            }
        }
    }
}

#[cfg(test)]
mod tests;
