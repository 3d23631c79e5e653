//! Follows a set of files and directories with inotify and says when something under them
//! may have changed, so that readers re-read only then, at once, instead of polling.
//!
//! What counts as "under a path" covers the ways files are really replaced:
//! - a file written in place (its directory reports the write);
//! - a file replaced by rename (temp file + `rename`): the directory, not the old inode,
//!   is watched, so the new file is seen;
//! - a directory of files: entries the caller accepts, created, changed or removed;
//! - a Kubernetes ConfigMap volume: the visible files are symlinks `name -> ..data/name`
//!   and the kubelet updates them by writing a new timestamped directory and renaming a
//!   new `..data` symlink over the old one. Every symlink met while resolving a path is
//!   watched by its directory, so the swap of `..data` is seen, and the watches follow
//!   the new target directory afterwards;
//! - a path that does not exist yet: its nearest existing ancestor is watched until it
//!   appears.
//!
//! The signal says "may have changed": readers compare what they read with what they
//! had. Nothing is delayed to coalesce events; only events already queued are folded into
//! one signal.

use notify::event::{EventKind, Flag, ModifyKind};
use notify::{Event, EventKindMask, INotifyWatcher, RecursiveMode, Watcher};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Symlinks followed while resolving one path before giving up, as Linux does (ELOOP).
const MAX_LINKS: u32 = 40;

/// The watcher stopped delivering events (its thread ended); a new one must be made.
#[derive(Debug, thiserror::Error)]
#[error("the file watcher stopped")]
pub struct WatchStopped;

/// What may have changed under the watched paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The content of these files only (rewritten, replaced by rename, created or
    /// removed), each a target or an accepted entry of a target directory.
    Files(BTreeSet<PathBuf>),
    /// Anything: the layout changed (a symlink, a directory, a ConfigMap `..data` swap)
    /// or events were lost. Everything must be read again.
    Everything,
}

impl Change {
    /// Both changes together.
    fn and(a: Option<Change>, b: Option<Change>) -> Option<Change> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(Change::Files(mut a)), Some(Change::Files(b))) => {
                a.extend(b);
                Some(Change::Files(a))
            }
            _ => Some(Change::Everything),
        }
    }
}

/// Which entries of a watched directory matter, by path (e.g. `*.yaml`, not hidden).
pub type EntryFilter = fn(&Path) -> bool;

/// An inotify watch over a set of files and directories.
#[derive(Debug)]
pub struct PathWatch {
    /// What the caller asked to follow, made absolute.
    targets: Vec<PathBuf>,
    accept: EntryFilter,
    watcher: INotifyWatcher,
    events: UnboundedReceiver<notify::Result<Event>>,
    /// Directories with an inotify watch (by their real path), and the inode watched: a
    /// directory replaced under the same name needs a new watch.
    watched: BTreeMap<PathBuf, (u64, u64)>,
    /// Paths whose change, or the change of a directory above them, may change a target:
    /// the targets, every symlink met resolving them, and what they resolve to.
    names: BTreeSet<PathBuf>,
    /// Target directories (as given and resolved): their accepted entries count.
    dirs: BTreeSet<PathBuf>,
}

impl PathWatch {
    /// Starts watching `paths`; in directories, only entries `accept` takes count.
    /// Fails only when inotify itself cannot be used; a path that cannot be watched yet is
    /// retried at every change.
    pub fn new(paths: &[PathBuf], accept: EntryFilter) -> notify::Result<PathWatch> {
        let targets = paths
            .iter()
            .map(|p| std::path::absolute(p).map_err(notify::Error::io))
            .collect::<notify::Result<Vec<_>>>()?;
        let (tx, events) = unbounded_channel();
        // Our own reads must not wake us: no open or close-without-write events.
        let config = notify::Config::default()
            .with_event_kinds(EventKindMask::CORE | EventKindMask::ACCESS_CLOSE);
        let watcher = INotifyWatcher::new(tx, config)?;
        let mut watch = PathWatch {
            targets,
            accept,
            watcher,
            events,
            watched: BTreeMap::new(),
            names: BTreeSet::new(),
            dirs: BTreeSet::new(),
        };
        watch.rearm();
        Ok(watch)
    }

    /// Waits until something under the paths may have changed. The watches are already
    /// moved to the new layout (a swapped `..data`, a created directory) when this
    /// returns, so a read made after it sees every later change too.
    pub async fn changed(&mut self) -> Result<Change, WatchStopped> {
        loop {
            let first = self.events.recv().await.ok_or(WatchStopped)?;
            let mut change = self.note(first);
            while let Ok(next) = self.events.try_recv() {
                change = Change::and(change, self.note(next));
            }
            match change {
                None => continue,
                Some(Change::Everything) => {
                    self.rearm();
                    return Ok(Change::Everything);
                }
                Some(files) => return Ok(files),
            }
        }
    }

    /// What one event may have changed (`None`: nothing of ours); forgets watches the
    /// kernel dropped.
    fn note(&mut self, event: notify::Result<Event>) -> Option<Change> {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "file watch error; re-reading the files");
                return Some(Change::Everything);
            }
        };
        if matches!(event.kind, EventKind::Remove(_)) {
            for path in &event.paths {
                self.watched.remove(path);
            }
        }
        // An overflowed queue lost events: anything may have changed.
        if event.flag() == Some(Flag::Rescan) || event.paths.is_empty() {
            return Some(Change::Everything);
        }
        // A file written in place is half written until its writer closes it (`>` first
        // truncates it to nothing): wait for the close, which inotify reports, instead of
        // reading a truncated file as a valid, empty one.
        if matches!(event.kind, EventKind::Modify(ModifyKind::Data(_))) {
            return None;
        }
        let mut change = None;
        for path in event.paths.iter().filter(|path| self.concerns(path)) {
            change = Change::and(change, Some(self.classify(path)));
        }
        change
    }

    /// A concerned path as a change: a regular file (or one that is gone) that is a
    /// target or an accepted entry of a target directory changes its own content only;
    /// anything else (a symlink, a directory, a `..data` swap) may change the layout.
    fn classify(&self, path: &Path) -> Change {
        let own_file = self.targets.iter().any(|t| t == path)
            || (path.parent().is_some_and(|dir| self.dirs.contains(dir)) && (self.accept)(path));
        let plain = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta.file_type().is_file(),
            Err(error) => error.kind() == std::io::ErrorKind::NotFound,
        };
        if own_file && plain {
            Change::Files(BTreeSet::from([path.to_owned()]))
        } else {
            Change::Everything
        }
    }

    fn concerns(&self, path: &Path) -> bool {
        let accepted_entry =
            path.parent().is_some_and(|dir| self.dirs.contains(dir)) && (self.accept)(path);
        // Paths order by component, so the names under `path` (or `path` itself) follow it.
        let under = self
            .names
            .range::<Path, _>((std::ops::Bound::Included(path), std::ops::Bound::Unbounded))
            .next()
            .is_some_and(|name| name.starts_with(path));
        accepted_entry || under
    }

    /// Recomputes what matters from the files as they are now and moves the watches.
    fn rearm(&mut self) {
        let mut names = BTreeSet::new();
        let mut dirs = BTreeSet::new();
        for target in &self.targets {
            let resolved = resolve(target, &mut names);
            if !resolved.is_dir() {
                continue;
            }
            dirs.insert(target.clone());
            dirs.insert(resolved.clone());
            let Ok(entries) = std::fs::read_dir(&resolved) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = resolved.join(entry.file_name());
                if (self.accept)(&path) {
                    // The directory is resolved already: only the entry's own links are
                    // left to follow, which keeps a directory of many files cheap.
                    names.insert(path.clone());
                    let mut budget = MAX_LINKS;
                    let end = walk(
                        resolved.clone(),
                        Path::new(&entry.file_name()),
                        &mut names,
                        &mut budget,
                    );
                    names.insert(end);
                }
            }
        }
        let mut wanted = BTreeMap::new();
        let parents = names.iter().filter_map(|n| n.parent());
        for dir in parents.chain(dirs.iter().map(PathBuf::as_path)) {
            if let Some((real, inode)) = existing_dir(dir) {
                wanted.insert(real, inode);
            }
        }
        self.names = names;
        self.dirs = dirs;
        let gone: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|(dir, inode)| wanted.get(*dir) != Some(*inode))
            .map(|(dir, _)| dir.clone())
            .collect();
        for dir in gone {
            self.watched.remove(&dir);
            // The kernel may have dropped it already (directory deleted): nothing to undo.
            let _ = self.watcher.unwatch(&dir);
        }
        for (dir, inode) in wanted {
            if self.watched.contains_key(&dir) {
                continue;
            }
            match self.watcher.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.watched.insert(dir, inode);
                }
                // Left unwatched and retried at the next change; the caller still re-reads.
                Err(error) => {
                    tracing::warn!(dir = %dir.display(), %error, "cannot watch directory")
                }
            }
        }
    }
}

/// `dir`, or its nearest existing ancestor, by real path, with its device and inode.
fn existing_dir(dir: &Path) -> Option<(PathBuf, (u64, u64))> {
    let mut candidate = Some(dir);
    while let Some(dir) = candidate {
        if let Ok(real) = std::fs::canonicalize(dir)
            && let Ok(meta) = std::fs::metadata(&real)
            && meta.is_dir()
        {
            return Some((real, (meta.dev(), meta.ino())));
        }
        candidate = dir.parent();
    }
    None
}

/// Resolves an absolute `path` as the kernel would, even where it does not exist (yet).
/// Records in `seen` the path itself, every symlink met on the way (spelled with the
/// links before it already resolved, as a watch on its real directory reports it), and
/// the result, which it returns.
fn resolve(path: &Path, seen: &mut BTreeSet<PathBuf>) -> PathBuf {
    seen.insert(path.to_owned());
    let mut budget = MAX_LINKS;
    let resolved = walk(PathBuf::from("/"), path, seen, &mut budget);
    seen.insert(resolved.clone());
    resolved
}

fn walk(base: PathBuf, rest: &Path, seen: &mut BTreeSet<PathBuf>, budget: &mut u32) -> PathBuf {
    let mut current = base;
    for component in rest.components() {
        match component {
            Component::RootDir => current = PathBuf::from("/"),
            Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                current.pop();
            }
            Component::Normal(name) => {
                current.push(name);
                if *budget == 0 {
                    continue; // a symlink loop: what is left is taken literally
                }
                if let Ok(target) = std::fs::read_link(&current) {
                    *budget -= 1;
                    seen.insert(current.clone());
                    current.pop();
                    let base = if target.is_absolute() {
                        PathBuf::from("/")
                    } else {
                        current
                    };
                    current = walk(base, &target, seen, budget);
                }
            }
        }
    }
    current
}

#[cfg(test)]
pub(crate) mod tests;
