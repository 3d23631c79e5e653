//! The changes not yet sent to the peer, indexed so that each change costs O(log n) and
//! each UPDATE is built from the front of a queue, never by rescanning the table.
//!
//! Every prefix with a pending change is in exactly one place: a withdrawal queue of its
//! family, or the queue of one attribute group of its family. Groups intern attribute
//! sets by value, so prefixes announced with equal attributes end up in the same queue
//! and so in the same UPDATEs. Queues are ordered sets: output is deterministic (groups
//! in order of first use, prefixes in address order).

use super::RouteAttributes;
use crate::types::Family;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Identifies an interned attribute set; increasing in order of creation.
pub(super) type GroupId = u64;

/// Index of a family in per-family arrays.
pub(super) fn family_index(family: Family) -> usize {
    match family {
        Family::Ipv4Unicast => 0,
        Family::Ipv6Unicast => 1,
    }
}

/// Where a prefix with a pending change waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Withdraw,
    Announce(GroupId),
}

/// An interned attribute set and how many pending prefixes use it.
#[derive(Debug)]
struct Interned {
    attrs: Arc<RouteAttributes>,
    users: usize,
}

/// Pending withdrawals and announcements.
#[derive(Debug, Default)]
pub(super) struct Pending {
    slots: HashMap<IpNet, Slot>,
    withdraw: [BTreeSet<IpNet>; 2],
    groups: [BTreeMap<GroupId, BTreeSet<IpNet>>; 2],
    announce_len: [usize; 2],
    ids: HashMap<Arc<RouteAttributes>, GroupId>,
    interned: HashMap<GroupId, Interned>,
    next_id: GroupId,
    /// Prefixes to announce again even though the peer has them (ROUTE-REFRESH).
    resend: HashSet<IpNet>,
}

impl Pending {
    /// Forgets every pending change.
    pub(super) fn clear(&mut self) {
        *self = Pending::default();
    }

    /// True when nothing waits.
    pub(super) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Number of withdrawals waiting for `family`.
    pub(super) fn withdrawals_len(&self, family: Family) -> usize {
        self.withdraw[family_index(family)].len()
    }

    /// Number of announcements waiting for `family`.
    pub(super) fn announcements_len(&self, family: Family) -> usize {
        self.announce_len[family_index(family)]
    }

    /// `prefix` needs nothing sent.
    pub(super) fn settle(&mut self, prefix: &IpNet) {
        self.unslot(prefix);
        self.resend.remove(prefix);
    }

    /// `prefix` is to be withdrawn.
    pub(super) fn withdraw(&mut self, prefix: IpNet) {
        if self.slots.get(&prefix) == Some(&Slot::Withdraw) {
            return;
        }
        self.unslot(&prefix);
        self.slots.insert(prefix, Slot::Withdraw);
        self.withdraw[family_index(Family::of(&prefix))].insert(prefix);
    }

    /// `prefix` is to be announced with `attrs`.
    pub(super) fn announce(&mut self, prefix: IpNet, attrs: &Arc<RouteAttributes>) {
        if let Some(Slot::Announce(group)) = self.slots.get(&prefix)
            && self
                .interned
                .get(group)
                .is_some_and(|i| same_attributes(&i.attrs, attrs))
        {
            return;
        }
        self.unslot(&prefix);
        let group = self.intern(attrs);
        let family = family_index(Family::of(&prefix));
        self.slots.insert(prefix, Slot::Announce(group));
        self.groups[family].entry(group).or_default().insert(prefix);
        self.announce_len[family] += 1;
    }

    /// `prefix` is to be announced again even if the peer already has it.
    pub(super) fn mark_resend(&mut self, prefix: IpNet) {
        self.resend.insert(prefix);
    }

    /// True when `prefix` must be announced again even if unchanged.
    pub(super) fn is_resend(&self, prefix: &IpNet) -> bool {
        self.resend.contains(prefix)
    }

    /// The first withdrawal waiting for `family`.
    pub(super) fn first_withdrawal(&self, family: Family) -> Option<IpNet> {
        self.withdraw[family_index(family)].first().copied()
    }

    /// The oldest attribute group with announcements waiting for `family`.
    pub(super) fn first_group(&self, family: Family) -> Option<(GroupId, Arc<RouteAttributes>)> {
        let (&group, _) = self.groups[family_index(family)].first_key_value()?;
        let interned = self.interned.get(&group)?;
        Some((group, Arc::clone(&interned.attrs)))
    }

    /// The first prefix of `family` waiting in `group`.
    pub(super) fn first_in_group(&self, family: Family, group: GroupId) -> Option<IpNet> {
        self.groups[family_index(family)]
            .get(&group)?
            .first()
            .copied()
    }

    /// Takes `prefix` out of the pending changes: it has been put in an UPDATE.
    pub(super) fn take(&mut self, prefix: &IpNet) {
        self.settle(prefix);
    }

    fn intern(&mut self, attrs: &Arc<RouteAttributes>) -> GroupId {
        if let Some(&group) = self.ids.get(attrs.as_ref())
            && let Some(interned) = self.interned.get_mut(&group)
        {
            interned.users += 1;
            return group;
        }
        let group = self.next_id;
        self.next_id += 1;
        self.ids.insert(Arc::clone(attrs), group);
        self.interned.insert(
            group,
            Interned {
                attrs: Arc::clone(attrs),
                users: 1,
            },
        );
        group
    }

    fn unslot(&mut self, prefix: &IpNet) {
        let Some(slot) = self.slots.remove(prefix) else {
            return;
        };
        let family = family_index(Family::of(prefix));
        match slot {
            Slot::Withdraw => {
                self.withdraw[family].remove(prefix);
            }
            Slot::Announce(group) => {
                if let Some(queue) = self.groups[family].get_mut(&group) {
                    queue.remove(prefix);
                    if queue.is_empty() {
                        self.groups[family].remove(&group);
                    }
                }
                self.announce_len[family] -= 1;
                self.release(group);
            }
        }
    }

    fn release(&mut self, group: GroupId) {
        let Some(interned) = self.interned.get_mut(&group) else {
            return;
        };
        interned.users -= 1;
        if interned.users == 0
            && let Some(interned) = self.interned.remove(&group)
        {
            self.ids.remove(interned.attrs.as_ref());
        }
    }
}

/// Equal attribute sets; the pointer test makes the common case (one shared `Arc`) cheap.
pub(super) fn same_attributes(a: &Arc<RouteAttributes>, b: &Arc<RouteAttributes>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}
