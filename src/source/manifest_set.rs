//! The manifest files as a set, kept in the shared cluster state: which files there are,
//! what each one's bytes were when last parsed, and which objects each defines. A change
//! costs only the files whose bytes changed, and only objects that differ reach the
//! decision.
//!
//! Every object is held once: the shared state holds, for each key, the copy of the last
//! file (in load order) that defines it, as [`super::manifests::load`] builds it. A file
//! keeps only the keys it defines, plus its own copies that a later file overrides, so
//! that they come back when that later file drops them, without parsing anything again.

use super::SharedCluster;
use super::manifests::{files, load_file};
use crate::cluster::ClusterState;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use winners::{Definers, Defines, Kind, OwnNode, Services, Slices};

mod winners;

/// A file by the configured path it was listed from (its index) and its own path.
type FileId = (usize, PathBuf);

/// What the manifests source remembers between changes.
#[derive(Debug, Default)]
pub struct ManifestSet {
    /// The files, in load order (later files win when two define the same object).
    files: Vec<LoadedFile>,
    /// Files parsed per step of the first load (see [`ManifestSet::first_load`]); 0 lets
    /// it choose.
    first_load_step: usize,
    /// Which files define each key.
    definers: Definers,
    /// Per configured path: whether it has ever been listed, and its last listing error.
    listed: Vec<(bool, Option<String>)>,
    /// Files parsed since start: every parse is a file whose bytes changed.
    parses: u64,
}

#[derive(Debug)]
struct LoadedFile {
    id: FileId,
    /// Digest of the bytes last parsed, good or bad: the same bytes are never parsed twice.
    digest: Option<u128>,
    /// The file's identity and times when its digest was taken: while they stay the
    /// same, its bytes are not read again (a change in a directory of thousands of files
    /// costs one `stat` for each other file, not a read).
    stamp: Option<FileStamp>,
    /// What its last content that parsed defines; `None` until one did.
    defines: Option<Defines>,
    /// Its copies of objects that a later file also defines.
    shadowed: ClusterState,
    /// The last read error, reported once.
    read_error: Option<String>,
}

impl LoadedFile {
    /// A file not read yet.
    fn new(id: FileId) -> LoadedFile {
        LoadedFile {
            id,
            digest: None,
            stamp: None,
            defines: None,
            shadowed: ClusterState::default(),
            read_error: None,
        }
    }
}

/// What `stat` says of a file that changes whenever its bytes may have: device, inode
/// (a rename over it or a ConfigMap `..data` swap gives a new one), size, and the
/// modification and change times to the nanosecond (an in-place write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStamp {
    /// The stamp of `path`, following symlinks; `None` when it cannot be read.
    fn of(path: &std::path::Path) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

fn log_loaded(shared: &SharedCluster) {
    shared.read(|s| {
        tracing::info!(
            services = s.services().len(),
            endpoint_slices = s.endpoint_slices().len(),
            "manifests loaded"
        );
    });
}

/// The first load parses the files in this many steps at most: a step's parsed copies are
/// then a sixteenth of the whole, and each step's fixed cost (an index of the files so far)
/// is paid sixteen times, not once per file.
const FIRST_LOAD_STEPS: usize = 16;

/// Fewer files than this are one step.
const FIRST_LOAD_STEP_MIN: usize = 256;

/// What settling one kind of object did to the shared state.
struct Settled {
    /// An object was added or replaced.
    put: bool,
    /// How many objects it removed: no file defines them any more.
    removed: usize,
}

impl Settled {
    fn changed(&self) -> bool {
        self.put || self.removed > 0
    }
}

/// A change that only deletes more Services than this removes them first, as a state of
/// their own, and their slices after.
const SERVICES_FIRST: usize = 1000;

/// How long the source waits for the decision to take in the deleted Services before it
/// settles their slices: a bound, should no decision come (one already running for
/// seconds, or a test without a reader).
const SERVICES_FIRST_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

/// Tells the decision that many Services were deleted (and removed, not yet their
/// slices): the state of its own that waits, bounded, until the decision has taken it
/// in; their slices are settled after. Settling 10,000 slices takes about
/// 10 ms that the withdrawals need not wait for: the Services alone decide them. The
/// state between is one the Kubernetes source shows too (Services deleted, their
/// slices not yet), and with no Service added no address passes from one Service to
/// another on the way.
///
/// One state, not steps: a router takes in withdrawals fastest back to back. FRR starts
/// removing routes 50 ms after the first withdrawal arrives, and the withdrawals still
/// unread by then wait behind that work. Steps of 1,000 Services spread the 100,000
/// withdrawals of workload A over the whole deletion, and FRR's RIB took 200-300 ms to
/// empty in 7 runs of 8; in one state, 49-78 ms in 21 runs of 28 (see the README's
/// "Measured" for what the others meet).
fn announce_services_first(shared: &SharedCluster) {
    let generation = shared.update(|_| {});
    shared.wait_taken(generation, SERVICES_FIRST_WAIT);
}

/// Whether an [`ManifestSet::apply`] brings the set up to date, or is one step of the
/// first load (which neither logs the loaded totals nor marks the state synced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    Done,
    Partial,
}

/// One refresh's view of what changed: the files re-parsed (their new content, by index
/// in the new order), what changed and removed files defined before, and the old order.
struct Changes {
    fresh: HashMap<usize, ClusterState>,
    before: HashMap<FileId, Defines>,
    /// Re-parsed files, in place, whose entries in the index of definers still say what
    /// they defined `before`: each kind's entries move when that kind is settled, so a
    /// change that deletes many Services starts removing them before the index of its
    /// slices is touched.
    reindexed: Vec<usize>,
    /// The files in their order before the change; `None` when it is the order now.
    old_order: Option<Vec<FileId>>,
}

impl ManifestSet {
    /// Files parsed so far.
    pub fn parses(&self) -> u64 {
        self.parses
    }

    /// Re-reads the files under `paths`, parses those whose bytes changed, and brings
    /// `shared` up to date, telling the decision only when an object differs. Marks the
    /// state synced once every path has been listed and every file has parsed.
    pub fn refresh(&mut self, paths: &[PathBuf], node_name: &str, shared: &SharedCluster) {
        if self.files.is_empty() {
            self.first_load(paths, node_name, shared);
            return;
        }
        let changes = self.reread(paths, node_name);
        let new_order: Vec<&FileId> = self.files.iter().map(|f| &f.id).collect();
        let reordered = changes
            .old_order
            .iter()
            .flatten()
            .ne(new_order.iter().copied());
        self.apply(changes, reordered, shared, Progress::Done);
    }

    /// The first load, in steps of `first_load_step` files in load order. Each step is
    /// settled into `shared` as files appended to the set, so only one step's parsed
    /// copies wait beside the shared state: 10,000 one-Service files parsed at once
    /// would hold 10,000 small states, each with its own tables, twice the state itself.
    /// Nothing is logged or marked synced before the last step.
    fn first_load(&mut self, paths: &[PathBuf], node_name: &str, shared: &SharedCluster) {
        self.listed.resize(paths.len(), (false, None));
        let nothing_yet = HashMap::new();
        let mut ids: Vec<FileId> = Vec::new();
        for (origin, path) in paths.iter().enumerate() {
            let listed = self.list(origin, path, &nothing_yet);
            ids.extend(listed.into_iter().map(|file| (origin, file)));
        }
        let step = match self.first_load_step {
            0 => ids
                .len()
                .div_ceil(FIRST_LOAD_STEPS)
                .max(FIRST_LOAD_STEP_MIN),
            n => n,
        };
        for batch in ids.chunks(step) {
            let old_order = self.files.iter().map(|f| f.id.clone()).collect();
            let mut fresh = HashMap::new();
            for id in batch {
                let mut entry = LoadedFile::new(id.clone());
                if let Some(state) = self.reload(&mut entry, node_name) {
                    let defines = Defines::of(&state);
                    self.definers.add(self.files.len(), &defines);
                    entry.defines = Some(defines);
                    fresh.insert(self.files.len(), state);
                }
                self.files.push(entry);
            }
            let changes = Changes {
                fresh,
                before: HashMap::new(),
                reindexed: Vec::new(),
                old_order: Some(old_order),
            };
            self.apply(changes, true, shared, Progress::Partial);
        }
        // Logged and marked synced once, for the whole load.
        if self.files.iter().any(|f| f.defines.is_some()) {
            log_loaded(shared);
        }
        let nothing = Changes {
            fresh: HashMap::new(),
            before: HashMap::new(),
            reindexed: Vec::new(),
            old_order: None,
        };
        self.apply(nothing, false, shared, Progress::Done);
    }

    /// Re-reads only `changed`, files already in the set that were rewritten or removed,
    /// and brings `shared` up to date as [`ManifestSet::refresh`] does. False, having done
    /// nothing, when a path is not a file of the set (a new file takes its place in the
    /// load order): the caller then refreshes everything.
    pub fn refresh_files(
        &mut self,
        changed: &BTreeSet<PathBuf>,
        node_name: &str,
        shared: &SharedCluster,
    ) -> bool {
        if !changed
            .iter()
            .all(|path| self.positions(path).next().is_some())
        {
            return false;
        }
        let mut before = HashMap::new();
        let mut reordered = false;
        let removes = changed.iter().any(|p| !p.exists());
        let old_order = removes.then(|| self.files.iter().map(|f| f.id.clone()).collect());
        // Removals first: they shift the places of the files after them.
        for path in changed.iter().filter(|p| !p.exists()) {
            loop {
                let Some(i) = self.positions(path).next() else {
                    break;
                };
                let gone = self.files.remove(i);
                if let Some(defines) = gone.defines {
                    before.insert(gone.id, defines);
                }
                reordered = true;
            }
        }
        let mut fresh = HashMap::new();
        let mut reindexed = Vec::new();
        let rewritten: Vec<usize> = changed.iter().flat_map(|p| self.positions(p)).collect();
        for i in rewritten {
            let placeholder = LoadedFile::new(self.files[i].id.clone());
            let mut entry = std::mem::replace(&mut self.files[i], placeholder);
            if let Some(state) = self.reload(&mut entry, node_name) {
                if !reordered {
                    reindexed.push(i);
                }
                if let Some(previous) = entry.defines.replace(Defines::of(&state)) {
                    before.insert(entry.id.clone(), previous);
                }
                entry.shadowed = ClusterState::default();
                fresh.insert(i, state);
            }
            self.files[i] = entry;
        }
        if reordered {
            self.definers = Definers::of(&self.files);
        }
        let changes = Changes {
            fresh,
            before,
            reindexed,
            old_order,
        };
        self.apply(changes, reordered, shared, Progress::Done);
        true
    }

    /// The places of the files read from `path` (one per configured path listing it),
    /// found by comparing bytes: a change to one file of thousands costs a scan, not a
    /// path parse per file.
    fn positions<'a>(&'a self, path: &'a Path) -> impl Iterator<Item = usize> + 'a {
        self.files
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.id.1.as_os_str() == path.as_os_str())
            .map(|(i, _)| i)
    }

    /// Brings `shared` up to date with re-parsed (`fresh`) and removed or re-parsed
    /// (`before`) files; marks the state synced once everything loaded.
    fn apply(
        &mut self,
        mut changes: Changes,
        reordered: bool,
        shared: &SharedCluster,
        progress: Progress,
    ) {
        let loaded = self.files.iter().filter(|f| f.defines.is_some()).count();
        if changes.before.is_empty() && changes.fresh.len() == 1 && loaded == 1 {
            // The first content of the only file that loaded: nothing of ours is in the
            // shared state yet, so it moves in whole, without copying an object.
            self.reindex::<Services>(&changes);
            self.reindex::<Slices>(&changes);
            self.reindex::<OwnNode>(&changes);
            let state = changes.fresh.drain().map(|(_, state)| state).next();
            shared.update(|cluster| cluster.replace_all(state.unwrap_or_default()));
            if progress == Progress::Done {
                log_loaded(shared);
            }
        } else if !changes.fresh.is_empty() || !changes.before.is_empty() || reordered {
            // One change is one state for the decision, except many Services only
            // deleted: those go first, then the rest of the change.
            let settled = shared.with_mut(|cluster| {
                let services = self.settle::<Services>(cluster, &changes, reordered);
                // Only once a decision runs: before the first sync none takes a state in.
                let services_first = !services.put
                    && progress == Progress::Done
                    && services.removed > SERVICES_FIRST
                    && shared.synced();
                if services_first {
                    return None;
                }
                Some(
                    self.settle_slices_and_node(cluster, &changes, reordered) || services.changed(),
                )
            });
            let changed = settled.unwrap_or_else(|| {
                announce_services_first(shared);
                shared
                    .with_mut(|cluster| self.settle_slices_and_node(cluster, &changes, reordered));
                true
            });
            if changed {
                shared.update(|_| {});
                if progress == Progress::Done {
                    log_loaded(shared);
                }
            }
        }
        let complete = progress == Progress::Done
            && self.listed.iter().all(|(listed, _)| *listed)
            && self.files.iter().all(|f| f.defines.is_some());
        if complete {
            shared.mark_synced();
        }
    }

    /// Lists and reads every file; parses those whose bytes changed. Leaves `self.files`
    /// in the new order, with the new `defines` of re-parsed files.
    fn reread(&mut self, paths: &[PathBuf], node_name: &str) -> Changes {
        self.listed.resize(paths.len(), (false, None));
        let old_order: Vec<FileId> = self.files.iter().map(|f| f.id.clone()).collect();
        let mut old: HashMap<FileId, LoadedFile> = std::mem::take(&mut self.files)
            .into_iter()
            .map(|f| (f.id.clone(), f))
            .collect();
        let mut fresh = HashMap::new();
        let mut before = HashMap::new();
        for (origin, path) in paths.iter().enumerate() {
            for file in self.list(origin, path, &old) {
                let id = (origin, file);
                let mut entry = old.remove(&id).unwrap_or_else(|| LoadedFile::new(id));
                if let Some(state) = self.reload(&mut entry, node_name) {
                    if let Some(previous) = entry.defines.replace(Defines::of(&state)) {
                        before.insert(entry.id.clone(), previous);
                    }
                    // Its old copies are stale; `settle` files the new ones.
                    entry.shadowed = ClusterState::default();
                    fresh.insert(self.files.len(), state);
                }
                self.files.push(entry);
            }
        }
        for (id, gone) in old {
            if let Some(defines) = gone.defines {
                before.insert(id, defines);
            }
        }
        self.definers = Definers::of(&self.files);
        Changes {
            fresh,
            before,
            reindexed: Vec::new(),
            old_order: Some(old_order),
        }
    }

    /// The files of one configured path; when it cannot be listed (it went away), the
    /// files it had, which keep their last good content.
    fn list(
        &mut self,
        origin: usize,
        path: &PathBuf,
        old: &HashMap<FileId, LoadedFile>,
    ) -> Vec<PathBuf> {
        let (ever_listed, last_error) = &mut self.listed[origin];
        match files(std::slice::from_ref(path)) {
            Ok(list) => {
                *ever_listed = true;
                *last_error = None;
                list
            }
            Err(error) => {
                let message = error.to_string();
                if last_error.as_ref() != Some(&message) {
                    tracing::error!(%message, "manifests not loaded; keeping the last good state");
                    *last_error = Some(message);
                }
                let mut kept: Vec<PathBuf> = old
                    .keys()
                    .filter(|(o, _)| *o == origin)
                    .map(|(_, p)| p.clone())
                    .collect();
                kept.sort();
                kept
            }
        }
    }

    /// Reads one file; returns its new content when its bytes changed and parse. The file
    /// is read twice when it changed, never held whole: once to hash it, once to parse it
    /// as it streams (a 100 MB dump costs its parsed objects, not its bytes).
    fn reload(&mut self, file: &mut LoadedFile, node_name: &str) -> Option<ClusterState> {
        let path = &file.id.1;
        // Taken before the bytes are read: a write after it changes the stamp again.
        let stamp = FileStamp::of(path);
        if stamp.is_some() && stamp == file.stamp && file.read_error.is_none() {
            return None;
        }
        let digest = match digest_of(path) {
            Ok(digest) => {
                file.read_error = None;
                digest
            }
            Err(error) => {
                let message = format!("{}: {error}", path.display());
                if file.read_error.as_ref() != Some(&message) {
                    tracing::error!(%message, "manifests not loaded; keeping the last good state");
                    file.read_error = Some(message);
                }
                return None;
            }
        };
        file.stamp = stamp;
        if file.digest == Some(digest) {
            return None;
        }
        file.digest = Some(digest);
        self.parses += 1;
        let mut state = ClusterState::default();
        match load_file(&mut state, path, node_name) {
            Ok(()) => Some(state),
            Err(message) => {
                let message = format!("{}: {message}", path.display());
                tracing::error!(%message, "manifests not loaded; keeping the last good state");
                None
            }
        }
    }

    /// Settles and removes the slices and this node's Node; true when either changed.
    fn settle_slices_and_node(
        &mut self,
        cluster: &mut ClusterState,
        changes: &Changes,
        reordered: bool,
    ) -> bool {
        let slices = self.settle::<Slices>(cluster, changes, reordered);
        let node = self.settle::<OwnNode>(cluster, changes, reordered);
        slices.changed() || node.changed()
    }

    /// Moves the index entries of kind `K` of the files re-parsed in place from what they
    /// defined before to what they define now.
    fn reindex<K: Kind>(&mut self, changes: &Changes) {
        for &i in &changes.reindexed {
            let before = changes.before.get(&self.files[i].id);
            self.definers
                .replace::<K>(i, before, self.files[i].defines.as_ref());
        }
    }

    /// Gives each key of kind `K` that the changes touch the copy of the last file
    /// defining it, in `cluster`; files the other copies as shadowed. The keys no file
    /// defines any more are returned for the caller to remove.
    fn settle<K: Kind>(
        &mut self,
        cluster: &mut ClusterState,
        changes: &Changes,
        reordered: bool,
    ) -> Settled {
        self.reindex::<K>(changes);
        let mut put = false;
        let mut removed = 0;
        let mut moves: Vec<(usize, K::Key, K::Object)> = Vec::new();
        // Shadowed copies that win again, dropped from their file's shadow after the
        // walk: the winners are read from the set while it runs, never collected (a
        // list of 10,000 touched keys with their winners was the peak of a bulk delete).
        let mut revived: Vec<(usize, K::Key)> = Vec::new();
        // Which re-parsed files define each key: found once, not by asking every
        // re-parsed file about every key (a first load re-parses them all).
        let mut fresh_definers: BTreeMap<K::Key, Vec<usize>> = BTreeMap::new();
        for &i in changes.fresh.keys() {
            for key in self.files[i]
                .defines
                .as_ref()
                .map(K::keys)
                .into_iter()
                .flatten()
            {
                fresh_definers.entry(key.clone()).or_default().push(i);
            }
        }
        for (key, old_winner, new_winner) in self.winners::<K>(changes, reordered) {
            // Re-parsed files that do not win keep their copy aside.
            for &i in fresh_definers.get(&key).into_iter().flatten() {
                if Some(i) != new_winner
                    && let Some(object) = K::get(&changes.fresh[&i], &key)
                {
                    moves.push((i, key.clone(), object.clone()));
                }
            }
            if old_winner.is_some() && old_winner == new_winner {
                continue; // the shared copy is still the right one
            }
            if let Some(i) = old_winner
                && let Some(object) = K::get(cluster, &key)
            {
                moves.push((i, key.clone(), object.clone()));
            }
            let wanted = match new_winner {
                None => None,
                Some(i) => match changes.fresh.get(&i) {
                    // Compared before copying: most objects of a changed file are as they were.
                    Some(state) => match K::get(state, &key) {
                        Some(object) if K::get(cluster, &key) == Some(object) => Some(None),
                        object => object.cloned().map(Some),
                    },
                    None => {
                        let object = K::get(&self.files[i].shadowed, &key).cloned();
                        revived.push((i, key.clone()));
                        object.map(Some)
                    }
                },
            };
            // `Some(None)`: the winner's copy is already in force.
            match wanted {
                Some(Some(object)) if K::get(cluster, &key) != Some(&object) => {
                    K::put(cluster, &key, object);
                    put = true;
                }
                Some(_) => {}
                // One lookup: a key no file defines is removed if the state has it.
                None => removed += usize::from(K::remove(cluster, &key)),
            }
        }
        for (i, key) in revived {
            K::remove(&mut self.files[i].shadowed, &key);
        }
        for (i, key, object) in moves {
            K::put(&mut self.files[i].shadowed, &key, object);
        }
        Settled { put, removed }
    }
}

#[cfg(test)]
pub(crate) mod tests;

/// The 128-bit xxh3 digest of a file's bytes, read in blocks.
fn digest_of(path: &std::path::Path) -> std::io::Result<u128> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut block = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut block)? {
            0 => return Ok(hasher.digest128()),
            n => hasher.update(&block[..n]),
        }
    }
}
