//! The queued changes of one peer: a FIFO of withdrawals per family, and one FIFO per
//! family and attribute group for announcements, with the interned attribute sets.
//!
//! Kept apart from the map of routes so that a change can hold its route's entry and
//! queue it at once: one lookup in the map per change, not one per step.

use super::state::{FIRST_GROUP, PrefixState, Queued};
use super::{GroupId, Route, same_attributes};
use crate::prefix_map::PrefixQueue;
use crate::rib_out::RouteAttributes;
use foldhash::HashMap;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a prefix needs sent.
pub(super) enum Want<'a> {
    Nothing,
    Withdraw,
    Announce(&'a Arc<RouteAttributes>),
}

/// An interned attribute set and how many queued prefixes use it.
#[derive(Debug)]
struct Interned {
    attrs: Arc<RouteAttributes>,
    users: usize,
}

/// The queues of one peer's Adj-RIB-Out. Lazy, as the table's module says: an entry
/// whose prefix has moved on stays until reached or compacted; `entries` counts them all.
#[derive(Debug)]
pub(super) struct Queues {
    withdraw: [PrefixQueue; 2],
    groups: [BTreeMap<GroupId, PrefixQueue>; 2],
    withdraw_len: [usize; 2],
    announce_len: [usize; 2],
    /// Queue entries, live and stale: kept by the methods that push and pop them.
    entries: usize,
    ids: HashMap<Arc<RouteAttributes>, GroupId>,
    interned: HashMap<GroupId, Interned>,
    /// The last attribute set interned, to skip hashing it for the next prefix.
    last: Option<(Arc<RouteAttributes>, GroupId)>,
    next_id: GroupId,
}

impl Default for Queues {
    fn default() -> Self {
        Queues {
            withdraw: Default::default(),
            groups: Default::default(),
            withdraw_len: [0; 2],
            announce_len: [0; 2],
            entries: 0,
            ids: HashMap::default(),
            interned: HashMap::default(),
            last: None,
            next_id: FIRST_GROUP,
        }
    }
}

impl Queues {
    /// Nothing queued and no group; group ids go on from where they were.
    pub(super) fn clear(&mut self) {
        *self = Queues {
            next_id: self.next_id,
            ..Queues::default()
        };
    }

    /// Withdrawals queued in `family`.
    pub(super) fn withdrawals(&self, family: usize) -> usize {
        self.withdraw_len[family]
    }

    /// Announcements queued in `family`.
    pub(super) fn announcements(&self, family: usize) -> usize {
        self.announce_len[family]
    }

    /// Queue entries, live and stale (for tests of the compaction).
    #[cfg(test)]
    pub(super) fn entries(&self) -> usize {
        self.entries
    }

    /// The prefix first in the withdrawal queue of `family`, live or stale.
    pub(super) fn first_withdrawal(&self, family: usize) -> Option<IpNet> {
        self.withdraw[family].front()
    }

    /// Drops the first entry of the withdrawal queue of `family`.
    pub(super) fn pop_withdrawal(&mut self, family: usize) {
        if self.withdraw[family].pop_front().is_some() {
            self.entries -= 1;
        }
    }

    /// The oldest group with an announcement queue in `family`.
    pub(super) fn first_group(&self, family: usize) -> Option<GroupId> {
        self.groups[family].keys().next().copied()
    }

    /// The prefix first in the queue of `group` in `family`, live or stale.
    pub(super) fn first_announcement(&self, family: usize, group: GroupId) -> Option<IpNet> {
        self.groups[family].get(&group)?.front()
    }

    /// Drops the first entry of the queue of `group` in `family`.
    pub(super) fn pop_announcement(&mut self, family: usize, group: GroupId) {
        if let Some(queue) = self.groups[family].get_mut(&group)
            && queue.pop_front().is_some()
        {
            self.entries -= 1;
        }
    }

    /// Drops the queue of `group` in `family` with whatever entries it still holds.
    pub(super) fn drop_group(&mut self, family: usize, group: GroupId) {
        if let Some(queue) = self.groups[family].remove(&group) {
            self.entries -= queue.len();
        }
    }

    /// True when stale entries outnumber live ones by enough to rebuild the queues.
    pub(super) fn is_stale(&self) -> bool {
        self.entries > 2 * self.live() + super::COMPACT_SLACK
    }

    /// The queues rebuilt from every prefix's queue state, in the order given.
    pub(super) fn rebuild(&mut self, queued: impl Iterator<Item = (usize, IpNet, Queued)>) {
        for queue in self.withdraw.iter_mut() {
            queue.clear();
        }
        for groups in self.groups.iter_mut() {
            groups.clear();
        }
        for (family, prefix, state) in queued {
            match state {
                Queued::No => {}
                Queued::Withdraw => self.withdraw[family].push_back(prefix),
                Queued::Announce(group) => self.groups[family]
                    .entry(group)
                    .or_default()
                    .push_back(prefix),
            }
        }
        self.entries = self.live();
    }

    /// The attribute set of `group`.
    pub(super) fn attributes(&self, group: GroupId) -> Option<&Arc<RouteAttributes>> {
        self.interned.get(&group).map(|i| &i.attrs)
    }

    /// Queues what `route` (of `prefix`, in `family`) needs so the peer ends up with what
    /// is desired: the desired route if sendable, else nothing. Equal to what was sent:
    /// nothing to do, unless a ROUTE-REFRESH asked for it again. True when the route is
    /// left with nothing desired, sent or queued: the caller drops it.
    pub(super) fn settle(
        &mut self,
        family: usize,
        prefix: IpNet,
        route: &mut Route,
        sendable: bool,
    ) -> bool {
        let target = route.desired.as_ref().filter(|_| sendable);
        let want = match (target, &route.sent) {
            (None, None) => Want::Nothing,
            (None, Some(_)) => Want::Withdraw,
            (Some(target), Some(sent))
                if same_attributes(target, sent) && !route.state.resend() =>
            {
                Want::Nothing
            }
            (Some(target), _) => Want::Announce(target),
        };
        self.requeue(family, prefix, &mut route.state, want);
        route.desired.is_none() && route.sent.is_none() && route.state.queued() == Queued::No
    }

    /// Moves `prefix`, whose queue state is `state`, to the queue `want` names.
    pub(super) fn requeue(
        &mut self,
        family: usize,
        prefix: IpNet,
        state: &mut PrefixState,
        want: Want<'_>,
    ) {
        let old = state.queued();
        match (old, &want) {
            (Queued::No, Want::Nothing) | (Queued::Withdraw, Want::Withdraw) => return,
            (Queued::Announce(group), Want::Announce(attrs))
                if self
                    .interned
                    .get(&group)
                    .is_some_and(|i| same_attributes(&i.attrs, attrs)) =>
            {
                return;
            }
            _ => {}
        }
        self.leave(family, old);
        let new = match want {
            Want::Nothing => Queued::No,
            Want::Withdraw => {
                self.withdraw[family].push_back(prefix);
                self.withdraw_len[family] += 1;
                self.entries += 1;
                Queued::Withdraw
            }
            Want::Announce(attrs) => {
                let group = self.intern(attrs);
                self.groups[family]
                    .entry(group)
                    .or_default()
                    .push_back(prefix);
                self.announce_len[family] += 1;
                self.entries += 1;
                Queued::Announce(group)
            }
        };
        state.set_queued(new);
    }

    /// Accounts for a prefix leaving the queue `old`.
    pub(super) fn leave(&mut self, family: usize, old: Queued) {
        match old {
            Queued::No => {}
            Queued::Withdraw => self.withdraw_len[family] -= 1,
            Queued::Announce(group) => {
                self.announce_len[family] -= 1;
                self.release(group);
            }
        }
    }

    fn intern(&mut self, attrs: &Arc<RouteAttributes>) -> GroupId {
        if let Some((last, group)) = &self.last
            && Arc::ptr_eq(last, attrs)
            && let Some(interned) = self.interned.get_mut(group)
        {
            interned.users += 1;
            return *group;
        }
        let group = match self.ids.get(attrs.as_ref()) {
            Some(&group) => group,
            None => {
                let group = self.next_id;
                self.next_id += 1;
                self.ids.insert(Arc::clone(attrs), group);
                self.interned.insert(
                    group,
                    Interned {
                        attrs: Arc::clone(attrs),
                        users: 0,
                    },
                );
                group
            }
        };
        if let Some(interned) = self.interned.get_mut(&group) {
            interned.users += 1;
        }
        self.last = Some((Arc::clone(attrs), group));
        group
    }

    /// One queued prefix less uses `group`; the last one drops the group and its queues.
    fn release(&mut self, group: GroupId) {
        let Some(interned) = self.interned.get_mut(&group) else {
            return;
        };
        interned.users -= 1;
        if interned.users > 0 {
            return;
        }
        if let Some(interned) = self.interned.remove(&group) {
            self.ids.remove(interned.attrs.as_ref());
        }
        for family in 0..self.groups.len() {
            self.drop_group(family, group);
        }
    }

    /// Live entries: queued changes.
    pub(super) fn live(&self) -> usize {
        self.withdraw_len.iter().chain(&self.announce_len).sum()
    }

    /// Puts every queue in prefix order.
    pub(super) fn sort(&mut self) {
        for queue in self.withdraw.iter_mut() {
            queue.sort();
        }
        for queue in self.groups.iter_mut().flat_map(BTreeMap::values_mut) {
            queue.sort();
        }
    }
}
