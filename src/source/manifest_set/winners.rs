//! Which file's copy of each object wins: the keys each file defines, the index of the
//! files defining each key, and, after a change, the files whose copies the shared state
//! held and must hold. The set's bookkeeping ([`super`]) asks this once per kind of
//! object after every change.

use super::{Changes, FileId, LoadedFile, ManifestSet};
use crate::cluster::{ClusterState, ObjectKey};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

/// The keys a file's content defines, by kind.
#[derive(Debug, Default)]
pub(super) struct Defines {
    pub(super) services: BTreeSet<ObjectKey>,
    pub(super) slices: BTreeSet<ObjectKey>,
    /// `{()}` when it has this node's Node object.
    pub(super) node: BTreeSet<()>,
}

impl Defines {
    pub(super) fn of(state: &ClusterState) -> Defines {
        Defines {
            services: state.services().keys().cloned().collect(),
            slices: state.endpoint_slices().keys().cloned().collect(),
            node: state.node().map(|_| ()).into_iter().collect(),
        }
    }
}

/// The places of the files defining one key, ascending: almost always one, kept inline.
pub(super) type Places = smallvec::SmallVec<[usize; 1]>;

/// The files defining each key of one kind. Hashed, not ordered: it is only looked up,
/// once per key a change touches, and a B-tree of 10,000 keys cost each lookup about 14
/// string comparisons. foldhash's per-process seed keeps names chosen to collide from
/// slowing it down.
pub(super) type DefinersOf<Key> = foldhash::HashMap<Key, Places>;

/// Which files define each key, by their place in the load order (ascending): a change
/// to one file finds the other definers of its keys here instead of asking every file.
/// Kept up to date as files are parsed; rebuilt when files come, go or move.
#[derive(Debug, Default)]
pub(super) struct Definers {
    services: DefinersOf<ObjectKey>,
    slices: DefinersOf<ObjectKey>,
    node: DefinersOf<()>,
}

impl Definers {
    /// File `i` defines what `defines` lists.
    pub(super) fn add(&mut self, i: usize, defines: &Defines) {
        self.replace::<Services>(i, None, Some(defines));
        self.replace::<Slices>(i, None, Some(defines));
        self.replace::<OwnNode>(i, None, Some(defines));
    }

    /// File `i` defined the keys of kind `K` that `before` lists, and defines those
    /// `now` lists. Only the keys it lost or gained change the index: the keys a changed
    /// file still defines (most of them) cost a comparison each, in order.
    pub(super) fn replace<K: Kind>(
        &mut self,
        i: usize,
        before: Option<&Defines>,
        now: Option<&Defines>,
    ) {
        let index = K::definers_mut(self);
        let empty = BTreeSet::new();
        let before = before.map_or(&empty, K::keys);
        let now = now.map_or(&empty, K::keys);
        for key in before.difference(now) {
            // Taken out and put back only when another file defines it too: a key has one
            // definer almost always, and then this is its only lookup.
            if let Some(mut places) = index.remove(key) {
                places.retain(|p| *p != i);
                if !places.is_empty() {
                    index.insert(key.clone(), places);
                }
            }
        }
        for key in now.difference(before) {
            let places = index.entry(key.clone()).or_default();
            if let Err(at) = places.binary_search(&i) {
                places.insert(at, i);
            }
        }
    }

    /// The index of `files`, from scratch.
    pub(super) fn of(files: &[LoadedFile]) -> Definers {
        let mut definers = Definers::default();
        for (i, file) in files.iter().enumerate() {
            if let Some(defines) = &file.defines {
                definers.add(i, defines);
            }
        }
        definers
    }
}

/// A key a change touches, the file whose copy the shared state holds now (when that
/// copy is still valid) and the file whose copy it must hold.
pub(super) type Winners<Key> = (Key, Option<usize>, Option<usize>);

/// One kind of object, as the three are stored in [`ClusterState`].
pub(super) trait Kind {
    type Key: Ord + Hash + Clone + std::fmt::Debug + 'static;
    type Object: Clone + PartialEq;
    fn keys(defines: &Defines) -> &BTreeSet<Self::Key>;
    /// The files defining each key of this kind.
    fn definers(index: &Definers) -> &DefinersOf<Self::Key>;
    fn definers_mut(index: &mut Definers) -> &mut DefinersOf<Self::Key>;
    fn get<'a>(state: &'a ClusterState, key: &Self::Key) -> Option<&'a Self::Object>;
    fn put(state: &mut ClusterState, key: &Self::Key, object: Self::Object);
    /// Removes the object; true when the state had it.
    fn remove(state: &mut ClusterState, key: &Self::Key) -> bool;
}

pub(super) struct Services;
pub(super) struct Slices;
pub(super) struct OwnNode;

impl Kind for Services {
    type Key = ObjectKey;
    type Object = crate::cluster::objects::ServiceInfo;
    fn keys(defines: &Defines) -> &BTreeSet<ObjectKey> {
        &defines.services
    }
    fn definers(index: &Definers) -> &DefinersOf<ObjectKey> {
        &index.services
    }
    fn definers_mut(index: &mut Definers) -> &mut DefinersOf<ObjectKey> {
        &mut index.services
    }
    fn get<'a>(state: &'a ClusterState, key: &ObjectKey) -> Option<&'a Self::Object> {
        state.services().get(key)
    }
    fn put(state: &mut ClusterState, key: &ObjectKey, object: Self::Object) {
        state.upsert_service(key.clone(), object);
    }
    fn remove(state: &mut ClusterState, key: &ObjectKey) -> bool {
        state.remove_service(key)
    }
}

impl Kind for Slices {
    type Key = ObjectKey;
    type Object = crate::cluster::objects::SliceInfo;
    fn keys(defines: &Defines) -> &BTreeSet<ObjectKey> {
        &defines.slices
    }
    fn definers(index: &Definers) -> &DefinersOf<ObjectKey> {
        &index.slices
    }
    fn definers_mut(index: &mut Definers) -> &mut DefinersOf<ObjectKey> {
        &mut index.slices
    }
    fn get<'a>(state: &'a ClusterState, key: &ObjectKey) -> Option<&'a Self::Object> {
        state.endpoint_slices().get(key)
    }
    fn put(state: &mut ClusterState, key: &ObjectKey, object: Self::Object) {
        state.upsert_slice(key.clone(), object);
    }
    fn remove(state: &mut ClusterState, key: &ObjectKey) -> bool {
        state.remove_slice(key)
    }
}

impl Kind for OwnNode {
    type Key = ();
    type Object = crate::cluster::objects::NodeInfo;
    fn keys(defines: &Defines) -> &BTreeSet<()> {
        &defines.node
    }
    fn definers(index: &Definers) -> &DefinersOf<()> {
        &index.node
    }
    fn definers_mut(index: &mut Definers) -> &mut DefinersOf<()> {
        &mut index.node
    }
    fn get<'a>(state: &'a ClusterState, _: &()) -> Option<&'a Self::Object> {
        state.node()
    }
    fn put(state: &mut ClusterState, _: &(), object: Self::Object) {
        state.set_node(Some(object));
    }
    fn remove(state: &mut ClusterState, _: &()) -> bool {
        let had = state.node().is_some();
        state.set_node(None::<Self::Object>);
        had
    }
}

impl ManifestSet {
    /// For each key of kind `K` the changes touch: the file whose copy the shared state
    /// holds now, if that copy is still valid (the file is there and was not re-parsed),
    /// and the file whose copy it must hold (the last one defining the key).
    pub(super) fn winners<'a, K: Kind>(
        &'a self,
        changes: &'a Changes,
        reordered: bool,
    ) -> Box<dyn Iterator<Item = Winners<K::Key>> + 'a> {
        if changes.old_order.is_none() && !reordered {
            #[cfg(test)]
            {
                let found: Vec<_> = self.winners_in_place::<K>(changes).collect();
                assert_eq!(
                    found,
                    self.winners_by_scan::<K>(changes, reordered),
                    "the index and a scan of every file agree"
                );
            }
            return Box::new(self.winners_in_place::<K>(changes));
        }
        Box::new(self.winners_by_scan::<K>(changes, reordered).into_iter())
    }

    /// [`ManifestSet::winners`] when no file came, went or moved: only re-parsed files
    /// changed what they define, so the definers of each touched key come from the index
    /// and a change costs its keys, not the files.
    pub(super) fn winners_in_place<'a, K: Kind>(
        &'a self,
        changes: &'a Changes,
    ) -> impl Iterator<Item = Winners<K::Key>> + 'a {
        // Each key re-parsed files defined before, with the last such file, and each key
        // they define now. Every file's keys are in order: the stable sort merges these
        // runs in one pass, and equal keys end up side by side.
        let mut touched: Vec<(&K::Key, Option<usize>)> = changes
            .fresh
            .keys()
            .filter_map(|&i| Some((i, K::keys(changes.before.get(&self.files[i].id)?))))
            .flat_map(|(i, keys)| keys.iter().map(move |key| (key, Some(i))))
            .chain(
                changes
                    .fresh
                    .keys()
                    .flat_map(|&i| self.files[i].defines.iter().flat_map(K::keys))
                    .map(|key| (key, None)),
            )
            .collect();
        touched.sort_by(|a, b| a.0.cmp(b.0));
        touched.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 = first.1.max(later.1);
            }
            same
        });
        let index = K::definers(&self.definers);
        touched.into_iter().map(move |(key, reparsed)| {
            let now = index.get(key).map(Places::as_slice).unwrap_or_default();
            let new_winner = now.last().copied();
            // The last file that defined it before: a file not re-parsed defines now
            // what it did then; a re-parsed one what `before` says.
            let kept = now
                .iter()
                .rev()
                .find(|i| !changes.fresh.contains_key(i))
                .copied();
            let old_last = kept.max(reparsed);
            let old_winner = old_last.filter(|i| !changes.fresh.contains_key(i));
            (key.clone(), old_winner, new_winner)
        })
    }

    /// [`ManifestSet::winners`] by one pass over every file: for files that came, went or
    /// moved (a listing or a removal, which cost a pass over the files anyway).
    pub(super) fn winners_by_scan<K: Kind>(
        &self,
        changes: &Changes,
        reordered: bool,
    ) -> Vec<Winners<K::Key>> {
        let old_order: Vec<&FileId> = match &changes.old_order {
            Some(order) => order.iter().collect(),
            None => self.files.iter().map(|f| &f.id).collect(),
        };
        // Where each file of the old order is now. When the order did not change it is
        // where it was, and no index of every file is built: a change to one file of
        // thousands stays cheap.
        let index: Option<HashMap<&FileId, usize>> = changes.old_order.as_ref().map(|_| {
            self.files
                .iter()
                .enumerate()
                .map(|(i, f)| (&f.id, i))
                .collect()
        });
        let now_at = |position: usize| -> Option<usize> {
            match &index {
                Some(index) => index.get(old_order[position]).copied(),
                None => Some(position),
            }
        };
        // The files re-read or gone, by their place in the old order.
        let before_at: BTreeMap<usize, &Defines> = match &changes.old_order {
            Some(order) => order
                .iter()
                .enumerate()
                .filter_map(|(p, id)| changes.before.get(id).map(|d| (p, d)))
                .collect(),
            None => changes
                .before
                .iter()
                .filter_map(|(id, d)| {
                    let mut places = self.positions(&id.1);
                    places.find(|&p| self.files[p].id.0 == id.0).map(|p| (p, d))
                })
                .collect(),
        };
        let defined_before = |position: usize| -> Option<&Defines> {
            if let Some(defines) = before_at.get(&position) {
                return Some(defines);
            }
            // Not re-parsed and still there: what it defines now is what it did.
            let i = now_at(position)?;
            if changes.fresh.contains_key(&i) {
                return None; // parsed for the first time
            }
            self.files[i].defines.as_ref()
        };
        let mut touched: BTreeSet<K::Key> = BTreeSet::new();
        for defines in changes.before.values() {
            touched.extend(K::keys(defines).iter().cloned());
        }
        let now = |i: usize| self.files[i].defines.as_ref();
        for i in changes.fresh.keys() {
            if let Some(defines) = now(*i) {
                touched.extend(K::keys(defines).iter().cloned());
            }
        }
        if reordered {
            for defines in self.files.iter().filter_map(|f| f.defines.as_ref()) {
                touched.extend(K::keys(defines).iter().cloned());
            }
        }
        // The last file defining each touched key, before and now: one pass over the
        // files, not one per key (a first load touches every key of every file).
        let mut old_last: BTreeMap<&K::Key, usize> = BTreeMap::new();
        for position in 0..old_order.len() {
            for key in defined_before(position).map(K::keys).into_iter().flatten() {
                if touched.contains(key) {
                    old_last.insert(key, position);
                }
            }
        }
        let mut new_last: BTreeMap<&K::Key, usize> = BTreeMap::new();
        for (i, file) in self.files.iter().enumerate() {
            for key in file.defines.as_ref().map(K::keys).into_iter().flatten() {
                if touched.contains(key) {
                    new_last.insert(key, i);
                }
            }
        }
        let winners: Vec<(Option<usize>, Option<usize>)> = touched
            .iter()
            .map(|key| {
                let old_winner = old_last
                    .get(key)
                    .and_then(|&position| now_at(position))
                    .filter(|i| !changes.fresh.contains_key(i));
                (old_winner, new_last.get(key).copied())
            })
            .collect();
        touched
            .into_iter()
            .zip(winners)
            .map(|(key, (old_winner, new_winner))| (key, old_winner, new_winner))
            .collect()
    }
}
