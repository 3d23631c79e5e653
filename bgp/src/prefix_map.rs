//! A map and a FIFO queue of prefixes that keep each family under its own key type.
//!
//! An [`IpNet`] is 18 bytes because it must hold an IPv6 prefix; an [`Ipv4Net`] is 5. A
//! node's routes are almost all IPv4 /32s, and the Adj-RIB-Out holds one map entry per
//! route and, while a transfer is pending, one queue entry per route, and an originator's
//! own record of what it announces has one entry per address too: at 100,000 routes the
//! narrower keys are megabytes of the peak. The callers still speak [`IpNet`].
//!
//! The map hashes so that neighbouring addresses share buckets' neighbourhood (module
//! `neighbours`): a walk in prefix order walks its memory in order too.

mod neighbours;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use neighbours::{Key, NeighbourHash};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

/// A hash map from prefix to `V`, one table per family.
#[derive(Debug)]
pub struct PrefixMap<V> {
    v4: HashMap<Key<Ipv4Net>, V, NeighbourHash>,
    v6: HashMap<Key<Ipv6Net>, V, NeighbourHash>,
}

impl<V> Default for PrefixMap<V> {
    fn default() -> Self {
        PrefixMap {
            v4: HashMap::default(),
            v6: HashMap::default(),
        }
    }
}

impl<V> PrefixMap<V> {
    /// The value of `prefix`.
    pub fn get(&self, prefix: &IpNet) -> Option<&V> {
        match prefix {
            IpNet::V4(p) => self.v4.get(&Key(*p)),
            IpNet::V6(p) => self.v6.get(&Key(*p)),
        }
    }

    /// The value of `prefix`, mutably.
    pub fn get_mut(&mut self, prefix: &IpNet) -> Option<&mut V> {
        match prefix {
            IpNet::V4(p) => self.v4.get_mut(&Key(*p)),
            IpNet::V6(p) => self.v6.get_mut(&Key(*p)),
        }
    }

    /// The value of `prefix`, inserted by `make` if absent.
    pub fn get_or_insert_with(&mut self, prefix: IpNet, make: impl FnOnce() -> V) -> &mut V {
        match prefix {
            IpNet::V4(p) => self.v4.entry(Key(p)).or_insert_with(make),
            IpNet::V6(p) => self.v6.entry(Key(p)).or_insert_with(make),
        }
    }

    /// Runs `change` on the value of `prefix` and removes the entry when it says so (the
    /// `bool` beside its result): one lookup for both. `None` when `prefix` is absent.
    pub fn change_or_remove<R>(
        &mut self,
        prefix: &IpNet,
        change: impl FnOnce(&mut V) -> (R, bool),
    ) -> Option<R> {
        fn apply<K: std::hash::Hash + Eq, V, R>(
            entry: Entry<'_, K, V>,
            change: impl FnOnce(&mut V) -> (R, bool),
        ) -> Option<R> {
            let Entry::Occupied(mut entry) = entry else {
                return None;
            };
            let (result, remove) = change(entry.get_mut());
            if remove {
                entry.remove();
            }
            Some(result)
        }
        match prefix {
            IpNet::V4(p) => apply(self.v4.entry(Key(*p)), change),
            IpNet::V6(p) => apply(self.v6.entry(Key(*p)), change),
        }
    }

    /// Removes `prefix`, returning its value.
    pub fn remove(&mut self, prefix: &IpNet) -> Option<V> {
        match prefix {
            IpNet::V4(p) => self.v4.remove(&Key(*p)),
            IpNet::V6(p) => self.v6.remove(&Key(*p)),
        }
    }

    /// Room for `v4` more IPv4 and `v6` more IPv6 prefixes.
    pub fn reserve(&mut self, v4: usize, v6: usize) {
        self.v4.reserve(v4);
        self.v6.reserve(v6);
    }

    /// Every entry, IPv4 first, each family in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (IpNet, &V)> + '_ {
        let v4 = self.v4.iter().map(|(p, v)| (IpNet::V4(p.0), v));
        let v6 = self.v6.iter().map(|(p, v)| (IpNet::V6(p.0), v));
        v4.chain(v6)
    }

    /// Every entry, mutably, IPv4 first.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (IpNet, &mut V)> + '_ {
        let v4 = self.v4.iter_mut().map(|(p, v)| (IpNet::V4(p.0), v));
        let v6 = self.v6.iter_mut().map(|(p, v)| (IpNet::V6(p.0), v));
        v4.chain(v6)
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&mut V) -> bool) {
        self.v4.retain(|_, v| keep(v));
        self.v6.retain(|_, v| keep(v));
    }
}

/// A FIFO queue of prefixes, each family stored at its own width. Each queue of the
/// Adj-RIB-Out holds one family, so only one half is ever in use.
#[derive(Debug, Default)]
pub(crate) struct PrefixQueue {
    v4: VecDeque<Ipv4Net>,
    v6: VecDeque<Ipv6Net>,
}

impl PrefixQueue {
    pub(crate) fn push_back(&mut self, prefix: IpNet) {
        match prefix {
            IpNet::V4(p) => self.v4.push_back(p),
            IpNet::V6(p) => self.v6.push_back(p),
        }
    }

    /// The oldest prefix (IPv4 first, should both families ever be queued).
    pub(crate) fn front(&self) -> Option<IpNet> {
        match self.v4.front() {
            Some(p) => Some(IpNet::V4(*p)),
            None => self.v6.front().map(|p| IpNet::V6(*p)),
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<IpNet> {
        match self.v4.pop_front() {
            Some(p) => Some(IpNet::V4(p)),
            None => self.v6.pop_front().map(IpNet::V6),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Puts the queued prefixes in prefix order, in place.
    pub(crate) fn sort(&mut self) {
        self.v4.make_contiguous().sort_unstable();
        self.v6.make_contiguous().sort_unstable();
    }

    pub(crate) fn clear(&mut self) {
        // Dropped, not cleared: a queue that held a whole initial transfer gives its
        // memory back.
        *self = PrefixQueue::default();
    }
}

#[cfg(test)]
mod tests;
