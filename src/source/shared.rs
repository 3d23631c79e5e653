//! The cluster state shared between the sources that write it and the reconciler that
//! reads it, with a change signal. A source bumps the generation on every change; the
//! reconciler wakes on it. Nothing is decided before `synced` (SPEC 4.7): a restart never
//! withdraws routes because caches are still empty.

use crate::cluster::ClusterState;
use std::sync::Mutex;
use tokio::sync::watch;

/// What readers watch: a change counter and whether the first full sync is done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Version {
    /// Bumped on every change.
    pub generation: u64,
    /// Every source has completed its first full sync.
    pub synced: bool,
    /// When the last change was applied (the start of the event-to-wire latency).
    pub changed_at: Option<std::time::Instant>,
}

/// Cluster state behind a lock, plus the change signal.
#[derive(Debug)]
pub struct SharedCluster {
    state: Mutex<ClusterState>,
    version: watch::Sender<Version>,
}

impl Default for SharedCluster {
    fn default() -> Self {
        SharedCluster {
            state: Mutex::new(ClusterState::default()),
            version: watch::Sender::new(Version::default()),
        }
    }
}

impl SharedCluster {
    /// Changes the state and tells readers.
    pub fn update(&self, change: impl FnOnce(&mut ClusterState)) {
        {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            change(&mut state);
        }
        self.version.send_modify(|v| {
            v.generation += 1;
            v.changed_at = Some(std::time::Instant::now());
        });
    }

    /// Marks the first full sync as done (idempotent).
    pub fn mark_synced(&self) {
        self.version.send_if_modified(|v| {
            let first = !v.synced;
            v.synced = true;
            v.generation += u64::from(first);
            v.changed_at = Some(std::time::Instant::now());
            first
        });
    }

    /// Reads the state.
    pub fn read<R>(&self, f: impl FnOnce(&ClusterState) -> R) -> R {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&state)
    }

    /// A receiver of version changes whose first `changed()` returns at once with the
    /// current version. A plain `watch` receiver counts the value current at `subscribe()`
    /// as seen: a reader that subscribes after a source already synced would wait for a
    /// change that may never come, and decide nothing.
    pub fn subscribe(&self) -> watch::Receiver<Version> {
        let mut receiver = self.version.subscribe();
        receiver.mark_changed();
        receiver
    }
}

impl SharedCluster {
    /// Changes the state without telling readers: a list in progress, whose end an
    /// [`SharedCluster::update`] announces. A reader that runs meanwhile for another
    /// reason sees the objects listed so far, each one whole.
    pub fn stage(&self, change: impl FnOnce(&mut ClusterState)) {
        self.with_mut(change);
    }

    /// Reads the state with the right to take its change record; does not count as a change.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut ClusterState) -> R) -> R {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }
}

#[cfg(test)]
mod tests;
