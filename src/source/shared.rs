//! The cluster state shared between the sources that write it and the reconciler that
//! reads it, with a change signal. A source bumps the generation on every change; the
//! reconciler wakes on it. Nothing is decided before `synced` (SPEC 4.7): a restart never
//! withdraws routes because caches are still empty.

use crate::cluster::ClusterState;
use std::sync::{Condvar, Mutex};
use std::time::Duration;
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
    /// The last generation the reader took in (see [`SharedCluster::mark_taken`]).
    taken: Mutex<u64>,
    taken_signal: Condvar,
}

impl Default for SharedCluster {
    fn default() -> Self {
        SharedCluster {
            state: Mutex::new(ClusterState::default()),
            version: watch::Sender::new(Version::default()),
            taken: Mutex::new(0),
            taken_signal: Condvar::new(),
        }
    }
}

impl SharedCluster {
    /// Changes the state and tells readers; returns the new generation.
    pub fn update(&self, change: impl FnOnce(&mut ClusterState)) -> u64 {
        {
            let mut state = self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            change(&mut state);
        }
        let mut generation = 0;
        self.version.send_modify(|v| {
            v.generation += 1;
            v.changed_at = Some(std::time::Instant::now());
            generation = v.generation;
        });
        generation
    }

    /// Said by the reader while it holds the state of `generation` (inside
    /// [`SharedCluster::with_mut`]): a source waiting in [`SharedCluster::wait_taken`]
    /// goes on, and its next change waits for the lock until the reader is done.
    pub fn mark_taken(&self, generation: u64) {
        let mut taken = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        if generation > *taken {
            *taken = generation;
            self.taken_signal.notify_all();
        }
    }

    /// Blocks until the reader took in `generation`, for at most `at_most`; at once when
    /// nobody reads. A source that publishes a large change in steps waits here between
    /// them, so the reader decides each step instead of losing the lock to the next one.
    pub fn wait_taken(&self, generation: u64, at_most: Duration) {
        if self.version.receiver_count() == 0 {
            return;
        }
        let taken = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        let _ = self
            .taken_signal
            .wait_timeout_while(taken, at_most, |taken| *taken < generation);
    }

    /// Whether the first full sync is done: a decision runs on every change.
    pub fn synced(&self) -> bool {
        self.version.borrow().synced
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

    /// [`SharedCluster::with_mut`] for the reader that decides: marks the generation
    /// it holds as taken (see [`SharedCluster::wait_taken`]).
    pub fn take_in<R>(&self, f: impl FnOnce(&mut ClusterState) -> R) -> R {
        self.with_mut(|state| {
            // Read under the lock: every change up to this generation is in `state`.
            self.mark_taken(self.version.borrow().generation);
            f(state)
        })
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
