//! Config file reload (SPEC 3): the file is watched (a ConfigMap update is an atomic swap
//! of its directory's `..data` symlink, which the watcher follows); a changed file is
//! validated, and either replaces the running config or is refused, one log line per
//! problem, while the running config stays.

use crate::config::Config;
use crate::config::reload::reload;
use crate::source::watch::PathWatch;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// A new file: its config, or its problems.
pub type Reloaded = Result<Config, Vec<String>>;

/// Watches `path` and sends each changed content, validated. Unchanged bytes (a touch, a
/// swap to identical content) send nothing.
pub fn watch(path: PathBuf) -> mpsc::UnboundedReceiver<Reloaded> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut watch = match PathWatch::new(std::slice::from_ref(&path), |_| true) {
        Ok(watch) => watch,
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "cannot watch the config file; changes need a restart");
            return rx;
        }
    };
    let mut last = std::fs::read(&path).ok();
    tokio::spawn(async move {
        while watch.changed().await.is_ok() {
            let bytes = std::fs::read(&path).ok();
            if bytes == last {
                continue;
            }
            last = bytes;
            if tx
                .send(Config::load(&path).map_err(|e| e.problems))
                .is_err()
            {
                return;
            }
        }
        tracing::error!(path = %path.display(), "config file watch ended; changes need a restart");
    });
    rx
}

/// What became of a new file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It is the running config now.
    Applied {
        /// `announce:` changed: everything is decided again.
        announce_changed: bool,
    },
    /// It was refused; the running config stays.
    Refused,
}

impl Outcome {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Applied { .. } => "applied",
            Outcome::Refused => "refused",
        }
    }
}

/// Takes a new file into `running`, or refuses it, and logs what happened.
pub fn apply(running: &mut Config, reloaded: Reloaded) -> Outcome {
    let new = match reloaded {
        Ok(new) => new,
        Err(problems) => {
            for problem in &problems {
                tracing::error!(%problem, "config reload refused; the running config stays");
            }
            return Outcome::Refused;
        }
    };
    let change = reload(running, &new);
    for field in &change.needs_restart {
        tracing::warn!(
            field,
            "config reload: this setting takes effect at the next start"
        );
    }
    // Fields that need a restart keep their running values; everything else is new.
    let kept = (
        running.node_name.clone(),
        running.source.clone(),
        running.http_listen,
    );
    *running = new;
    (running.node_name, running.source, running.http_listen) = kept;
    tracing::info!(
        announce_changed = change.announce_changed,
        peers = running.peers.len(),
        "config reloaded"
    );
    Outcome::Applied {
        announce_changed: change.announce_changed,
    }
}
