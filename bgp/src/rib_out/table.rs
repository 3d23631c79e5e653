//! The per-prefix state of one peer's Adj-RIB-Out and the queues of changes to send.
//!
//! One hash map entry per prefix holds what is desired, what the peer was sent and whether
//! a change is queued, so a change costs one lookup. Queued changes wait in FIFO queues:
//! one of withdrawals per family, and one per family and attribute group for
//! announcements. Groups intern attribute sets by value: prefixes announced with equal
//! attributes share a queue and so share UPDATEs.
//!
//! Queues are lazy: when a prefix changes queue, its old entry stays behind and is skipped
//! when reached (the entry no longer matches the prefix's state). The queues are rebuilt
//! from the map when such stale entries outnumber live ones, so their size stays
//! proportional to the pending changes and each change is O(1) amortized.
//!
//! The maps hash with foldhash: the keys are our own prefixes and attribute sets, never
//! peer input, so a fast hasher is safe and matters at 100,000 routes per peer.

mod queues;
mod state;

use super::RouteAttributes;
use crate::prefix_map::PrefixMap;
use crate::types::Family;
use ipnet::IpNet;
use queues::{Queues, Want};
use state::{PrefixState, Queued};
use std::sync::Arc;

/// Identifies an interned attribute set; increasing in order of creation from
/// [`state::FIRST_GROUP`], never reused.
pub(super) type GroupId = u64;

/// Index of a family in per-family arrays.
pub(super) fn family_index(family: Family) -> usize {
    match family {
        Family::Ipv4Unicast => 0,
        Family::Ipv6Unicast => 1,
    }
}

/// Equal attribute sets; the pointer test makes the common case (one shared `Arc`) cheap.
pub(super) fn same_attributes(a: &Arc<RouteAttributes>, b: &Arc<RouteAttributes>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// Stale queue entries tolerated beyond twice the live ones before a rebuild.
pub(super) const COMPACT_SLACK: usize = 1024;

/// Everything known about one prefix.
#[derive(Debug)]
struct Route {
    /// What we want the peer to have.
    desired: Option<Arc<RouteAttributes>>,
    /// What the peer has (as far as the UPDATEs handed out go).
    sent: Option<Arc<RouteAttributes>>,
    /// Queued or not, and the resend and replace-mark flags.
    state: PrefixState,
}

/// The routes of one peer and the queued changes.
#[derive(Debug, Default)]
pub(super) struct Table {
    routes: PrefixMap<Route>,
    desired_len: [usize; 2],
    sent_len: [usize; 2],
    /// The mark the last `replace` gave the routes it was given.
    phase: bool,
    queues: Queues,
}

impl Table {
    /// Prefixes desired, per family.
    pub(super) fn desired_len(&self, family: Family) -> usize {
        self.desired_len[family_index(family)]
    }

    /// Prefixes the peer has, per family.
    pub(super) fn sent_len(&self, family: Family) -> usize {
        self.sent_len[family_index(family)]
    }

    /// Withdrawals queued, per family.
    pub(super) fn withdrawals_len(&self, family: Family) -> usize {
        self.queues.withdrawals(family_index(family))
    }

    /// Announcements queued, per family.
    pub(super) fn announcements_len(&self, family: Family) -> usize {
        self.queues.announcements(family_index(family))
    }

    /// True when no change is queued.
    pub(super) fn is_settled(&self) -> bool {
        self.queues.live() == 0
    }

    /// Sets what is desired for `prefix` and queues what that changes. `sendable` tells,
    /// per family, whether routes can go to the peer now (session up, family negotiated,
    /// next hop known).
    pub(super) fn set_desired(
        &mut self,
        prefix: IpNet,
        attrs: Option<Arc<RouteAttributes>>,
        sendable: [bool; 2],
    ) {
        let family = family_index(Family::of(&prefix));
        let phase = self.phase;
        // The one lookup of the change: the entry is held while it is queued.
        let route = match (self.routes.get_mut(&prefix), &attrs) {
            (Some(route), _) => route,
            (None, None) => return,
            (None, Some(_)) => self.routes.get_or_insert_with(prefix, || Route {
                desired: None,
                sent: None,
                state: PrefixState::new(phase),
            }),
        };
        route.state.set_mark(phase);
        let unchanged = match (&route.desired, &attrs) {
            (Some(old), Some(new)) => same_attributes(old, new),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return;
        }
        match (&route.desired, &attrs) {
            (None, Some(_)) => self.desired_len[family] += 1,
            (Some(_), None) => self.desired_len[family] -= 1,
            _ => {}
        }
        route.desired = attrs;
        let unused =
            if !sendable[family] && route.sent.is_none() && route.state.queued() == Queued::No {
                // Nothing to send or take back (no session, or a held-back family).
                route.desired.is_none()
            } else {
                self.queues.settle(family, prefix, route, sendable[family])
            };
        if unused {
            self.routes.remove(&prefix);
        }
        self.compact_if_stale();
    }

    /// Replaces the whole desired set: one lookup per given route, then one pass over the
    /// table for the routes no longer given.
    pub(super) fn replace(&mut self, routes: super::RouteSet, sendable: [bool; 2]) {
        self.phase = !self.phase;
        // The first set of a peer inserts every route at once: sizing the map first spares
        // the doubling steps, whose old and new tables together are the peak of memory.
        let (v4, v6) = routes.lens();
        let [have4, have6] = self.desired_len;
        self.routes
            .reserve(v4.saturating_sub(have4), v6.saturating_sub(have6));
        for (prefix, attrs) in routes.into_routes() {
            self.set_desired(prefix.trunc(), Some(attrs), sendable);
        }
        let phase = self.phase;
        let gone: Vec<IpNet> = self
            .routes
            .iter()
            .filter(|(_, route)| route.desired.is_some() && route.state.mark() != phase)
            .map(|(prefix, _)| prefix)
            .collect();
        for prefix in gone {
            self.set_desired(prefix, None, sendable);
        }
        self.sort_queues();
    }

    /// Puts every queue in prefix order, after a change of many routes at once. A router
    /// stores routes in a trie and allocates them in arrival order, so a table sent in
    /// prefix order is cheap for it to insert, and a later bulk withdraw (also in prefix
    /// order) walks its memory in order: FRR removes 100,000 withdrawn routes about three
    /// times faster when they arrive in the order they were announced. The map itself has
    /// no order.
    fn sort_queues(&mut self) {
        self.queues.sort();
    }

    /// A new session: the peer has nothing; queue everything sendable.
    pub(super) fn session_up(&mut self, sendable: [bool; 2]) {
        self.session_down();
        let prefixes: Vec<IpNet> = self.routes.iter().map(|(prefix, _)| prefix).collect();
        for prefix in prefixes {
            let family = family_index(Family::of(&prefix));
            self.settle(prefix, sendable[family]);
        }
        self.sort_queues();
    }

    /// No session: the peer has nothing and nothing is queued; keep what is desired.
    pub(super) fn session_down(&mut self) {
        self.routes.retain(|route| route.desired.is_some());
        for (_, route) in self.routes.iter_mut() {
            route.sent = None;
            route.state.set_queued(Queued::No);
            route.state.set_resend(false);
        }
        self.sent_len = [0; 2];
        self.queues.clear();
    }

    /// Queues every route of `family` the peer has for announcing again.
    pub(super) fn resend(&mut self, family: Family, sendable: bool) {
        let prefixes: Vec<IpNet> = self
            .routes
            .iter_mut()
            .filter(|(prefix, route)| Family::of(prefix) == family && route.sent.is_some())
            .map(|(prefix, route)| {
                route.state.set_resend(true);
                prefix
            })
            .collect();
        for prefix in prefixes {
            self.settle(prefix, sendable);
        }
        self.sort_queues();
    }

    /// Hands out the first queued withdrawal of `family` if `fits` takes it: the peer
    /// no longer has the prefix. `None` when none is queued or it does not fit (it stays
    /// first). One lookup per withdrawal, which also drops a route nothing is desired for.
    pub(super) fn next_withdrawal(
        &mut self,
        family: Family,
        mut fits: impl FnMut(IpNet) -> bool,
    ) -> Option<IpNet> {
        /// What the first queue entry turned out to be.
        enum First {
            Stale,
            DoesNotFit,
            Taken,
        }
        let family = family_index(family);
        let sent_len = &mut self.sent_len[family];
        loop {
            let prefix = self.queues.first_withdrawal(family)?;
            let first = self
                .routes
                .change_or_remove(&prefix, |route| {
                    if route.state.queued() != Queued::Withdraw {
                        return (First::Stale, false);
                    }
                    if !fits(prefix) {
                        return (First::DoesNotFit, false);
                    }
                    if route.sent.take().is_some() {
                        *sent_len -= 1;
                    }
                    route.state.set_resend(false);
                    route.state.set_queued(Queued::No);
                    (First::Taken, route.desired.is_none())
                })
                .unwrap_or(First::Stale);
            match first {
                First::DoesNotFit => return None,
                First::Stale => {}
                First::Taken => self.queues.leave(family, Queued::Withdraw),
            }
            self.queues.pop_withdrawal(family);
            if matches!(first, First::Taken) {
                return Some(prefix);
            }
        }
    }

    /// The oldest attribute group with announcements queued for `family`.
    pub(super) fn first_group(
        &mut self,
        family: Family,
    ) -> Option<(GroupId, Arc<RouteAttributes>)> {
        loop {
            let group = self.queues.first_group(family_index(family))?;
            if self.first_in_group(family, group).is_some()
                && let Some(attrs) = self.queues.attributes(group)
            {
                return Some((group, Arc::clone(attrs)));
            }
            // Only stale entries were left: `first_in_group` dropped the queue.
            self.queues.drop_group(family_index(family), group);
        }
    }

    /// The first prefix of `family` queued in `group`.
    pub(super) fn first_in_group(&mut self, family: Family, group: GroupId) -> Option<IpNet> {
        let index = family_index(family);
        while let Some(prefix) = self.queues.first_announcement(index, group) {
            if self
                .routes
                .get(&prefix)
                .is_some_and(|r| r.state.queued() == Queued::Announce(group))
            {
                return Some(prefix);
            }
            self.queues.pop_announcement(index, group);
        }
        self.queues.drop_group(index, group);
        None
    }

    /// Marks the announcement of `prefix`, from [`first_in_group`](Self::first_in_group),
    /// as handed out: the peer has it with `attrs`.
    pub(super) fn take_announcement(&mut self, prefix: IpNet, attrs: &Arc<RouteAttributes>) {
        let family = family_index(Family::of(&prefix));
        let Some(route) = self.routes.get_mut(&prefix) else {
            return;
        };
        let old = route.state.take_queued();
        if route.sent.replace(Arc::clone(attrs)).is_none() {
            self.sent_len[family] += 1;
        }
        route.state.set_resend(false);
        if let Queued::Announce(group) = old
            && self.queues.first_announcement(family, group) == Some(prefix)
        {
            self.queues.pop_announcement(family, group);
        }
        self.queues.leave(family, old);
    }

    /// Takes every prefix of `family` out of `group` without sending it: the peer cannot
    /// be sent these attributes. A prefix the peer has with older attributes is withdrawn
    /// instead, so it keeps no stale route. Returns how many prefixes were held back.
    pub(super) fn hold_back(&mut self, family: Family, group: GroupId) -> usize {
        let index = family_index(family);
        let mut held = 0;
        while let Some(prefix) = self.first_in_group(family, group) {
            let Some(route) = self.routes.get_mut(&prefix) else {
                break;
            };
            let want = if route.sent.is_some() {
                Want::Withdraw
            } else {
                Want::Nothing
            };
            self.queues.requeue(index, prefix, &mut route.state, want);
            self.compact_if_stale();
            held += 1;
        }
        held
    }

    /// [`Queues::settle`] for `prefix`, looked up; drops its route when nothing is left
    /// of it.
    fn settle(&mut self, prefix: IpNet, sendable: bool) {
        let family = family_index(Family::of(&prefix));
        let Some(route) = self.routes.get_mut(&prefix) else {
            return;
        };
        if self.queues.settle(family, prefix, route, sendable) {
            self.routes.remove(&prefix);
        }
        self.compact_if_stale();
    }

    /// Rebuilds the queues from the map once stale entries outnumber live ones.
    fn compact_if_stale(&mut self) {
        if self.queues.is_stale() {
            let queued = self.routes.iter().map(|(prefix, route)| {
                (
                    family_index(Family::of(&prefix)),
                    prefix,
                    route.state.queued(),
                )
            });
            self.queues.rebuild(queued);
        }
    }

    /// Number of queue entries, live and stale (for tests of the compaction).
    #[cfg(test)]
    pub(super) fn queue_entries(&self) -> usize {
        self.queues.entries()
    }
}
