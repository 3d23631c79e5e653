//! The Adj-RIB-Out of one peer (RFC 4271 section 3.2): the routes we want the peer to
//! have, against the routes it has been sent, turned into as few UPDATEs as possible.
//!
//! Withdrawals always go out before announcements, so a change never leaves a stale route
//! at the peer longer than needed. Prefixes with identical attributes share an UPDATE,
//! packed up to the session's maximum message length. After the initial transfer of a
//! session an End-of-RIB marker follows for each negotiated family (RFC 4724).
//!
//! - `pending`: the queue of unsent changes, one entry per prefix (O(log n) per change).
//! - `export`: how a route's attributes are adjusted for the peer (eBGP / iBGP).
//! - `pack` and `size`: filling UPDATEs up to the maximum message length.
//!
//! A ROUTE-REFRESH (RFC 2918) resends every route of the family the peer has. The
//! enhanced route refresh markers of RFC 7313 (BoRR/EoRR) are not sent: we do not
//! announce that capability, so peers do not expect them.

mod export;
mod pack;
mod pending;
mod size;
#[cfg(test)]
mod tests;

pub use export::DEFAULT_LOCAL_PREF;

use crate::types::{Asn, Family};
use crate::wire::{Community, LargeCommunity, Origin, SessionContext, Update};
use ipnet::IpNet;
use pack::Sent;
use pending::{Pending, family_index, same_attributes};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The attributes of a route as its originator wants them, independent of the peer.
/// Next hop and AS_PATH are filled in per peer by [`ExportPolicy`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RouteAttributes {
    /// ORIGIN; IGP for an originated route.
    pub origin: Origin,
    /// Extra copies of the local ASN to prepend on eBGP sessions (0 = none).
    pub as_path_prepend: u8,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF; sent on iBGP sessions only (RFC 4271 section 5.1.5).
    pub local_pref: Option<u32>,
    /// COMMUNITIES, sorted and without duplicates.
    pub communities: Vec<Community>,
    /// LARGE_COMMUNITY, sorted and without duplicates.
    pub large_communities: Vec<LargeCommunity>,
}

/// How routes are adjusted for one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportPolicy {
    /// Our ASN (prepended on eBGP sessions).
    pub local_asn: Asn,
    /// The session is eBGP.
    pub ebgp: bool,
    /// Next hop for IPv4 routes; IPv4 routes are not sent without one.
    pub next_hop_v4: Option<Ipv4Addr>,
    /// Global next hop for IPv6 routes; IPv6 routes are not sent without one.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// Link-local next hop for IPv6 routes, sent with the global one (RFC 2545).
    pub next_hop_v6_link_local: Option<Ipv6Addr>,
}

/// What the session negotiated that shapes the UPDATEs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSession {
    /// Wire context (4-octet AS, maximum message length, eBGP).
    pub context: SessionContext,
    /// Families negotiated; routes of other families are held back.
    pub families: Vec<Family>,
    /// Per-peer adjustments.
    pub policy: ExportPolicy,
}

/// One peer's Adj-RIB-Out.
///
/// Holds the desired routes and, while a session is up, what the peer has been sent and
/// the changes still to send. Each [`announce`](AdjRibOut::announce) or
/// [`withdraw`](AdjRibOut::withdraw) costs O(log n); UPDATEs are built from the queue of
/// changes by [`next_update`](AdjRibOut::next_update), never by rescanning the table.
///
/// A route is sent when its family was negotiated and the policy has a next hop for that
/// family; otherwise it is held back (desired, not sent). IPv4 unicast goes in the classic
/// NLRI field with NEXT_HOP, IPv6 unicast in MP_REACH_NLRI.
#[derive(Debug, Default)]
pub struct AdjRibOut {
    desired: HashMap<IpNet, Arc<RouteAttributes>>,
    desired_per_family: [usize; 2],
    session: Option<PeerSession>,
    sent: Sent,
    pending: Pending,
    /// Families whose End-of-RIB is still to follow the initial transfer.
    end_of_rib_due: [bool; 2],
}

impl AdjRibOut {
    /// An empty table with no session.
    pub fn new() -> AdjRibOut {
        AdjRibOut::default()
    }

    /// Wants `prefix` announced with `attrs` (replacing what was wanted before).
    pub fn announce(&mut self, prefix: IpNet, attrs: Arc<RouteAttributes>) {
        let prefix = prefix.trunc();
        if self.desired.insert(prefix, attrs).is_none() {
            self.desired_per_family[family_index(Family::of(&prefix))] += 1;
        }
        self.reconcile(prefix);
    }

    /// No longer wants `prefix` announced.
    pub fn withdraw(&mut self, prefix: IpNet) {
        let prefix = prefix.trunc();
        if self.desired.remove(&prefix).is_some() {
            self.desired_per_family[family_index(Family::of(&prefix))] -= 1;
        }
        self.reconcile(prefix);
    }

    /// Replaces the whole desired set; only the difference reaches the peer.
    ///
    /// When a prefix appears more than once, the last one wins.
    pub fn replace(&mut self, routes: impl IntoIterator<Item = (IpNet, Arc<RouteAttributes>)>) {
        let mut desired: HashMap<IpNet, Arc<RouteAttributes>> = HashMap::new();
        for (prefix, attrs) in routes {
            desired.insert(prefix.trunc(), attrs);
        }
        let old = std::mem::replace(&mut self.desired, desired);
        self.desired_per_family = [0; 2];
        for prefix in self.desired.keys() {
            self.desired_per_family[family_index(Family::of(prefix))] += 1;
        }
        if self.session.is_none() {
            return;
        }
        let mut changed: Vec<IpNet> = old
            .keys()
            .filter(|prefix| !self.desired.contains_key(prefix))
            .copied()
            .collect();
        changed.extend(self.desired.iter().filter_map(|(prefix, attrs)| {
            let same = old
                .get(prefix)
                .is_some_and(|old| same_attributes(old, attrs));
            (!same).then_some(*prefix)
        }));
        for prefix in changed {
            self.reconcile(prefix);
        }
    }

    /// A session came up: the peer has nothing; everything desired is to be sent, then
    /// End-of-RIB for each negotiated family.
    pub fn session_up(&mut self, session: PeerSession) {
        self.sent = Sent::default();
        self.pending.clear();
        self.end_of_rib_due = [false; 2];
        for family in Family::ALL {
            self.end_of_rib_due[family_index(family)] = session.families.contains(&family);
        }
        self.session = Some(session);
        let prefixes: Vec<IpNet> = self.desired.keys().copied().collect();
        for prefix in prefixes {
            self.reconcile(prefix);
        }
    }

    /// The session went down: forget what was sent, keep what is desired.
    pub fn session_down(&mut self) {
        self.session = None;
        self.sent = Sent::default();
        self.pending.clear();
        self.end_of_rib_due = [false; 2];
    }

    /// The peer asked for `family` again (ROUTE-REFRESH): resend all of it.
    ///
    /// Every route of `family` the peer has (or is about to get) is announced again; no
    /// End-of-RIB follows (RFC 2918). Ignored without a session or for a family that was
    /// not negotiated.
    pub fn route_refresh(&mut self, family: Family) {
        let Some(session) = &self.session else {
            return;
        };
        if !session.families.contains(&family) {
            return;
        }
        let prefixes: Vec<IpNet> = self.sent[family_index(family)].keys().copied().collect();
        for prefix in prefixes {
            self.pending.mark_resend(prefix);
            self.reconcile(prefix);
        }
    }

    /// The next UPDATE to send, withdrawals first; `None` when the peer is up to date or
    /// there is no session. Every UPDATE returned fits the session's maximum length.
    ///
    /// Order: all pending withdrawals; then, family by family (IPv4 first), the pending
    /// announcements grouped by attributes, followed by that family's End-of-RIB if the
    /// initial transfer after [`session_up`](AdjRibOut::session_up) has not ended it yet.
    pub fn next_update(&mut self) -> Option<Update> {
        loop {
            let session = self.session.as_ref()?;
            let has_withdrawals = Family::ALL
                .into_iter()
                .any(|family| self.pending.withdrawals_len(family) > 0);
            if has_withdrawals {
                let max_len = session.context.max_message_len;
                match pack::withdrawal(&mut self.pending, &mut self.sent, max_len) {
                    Some(update) => return Some(update),
                    None => continue,
                }
            }
            let mut retry = false;
            for family in Family::ALL {
                if self.pending.announcements_len(family) > 0 {
                    match pack::announcement(&mut self.pending, &mut self.sent, session, family) {
                        Some(update) => return Some(update),
                        None => {
                            retry = true;
                            break;
                        }
                    }
                }
                let due = &mut self.end_of_rib_due[family_index(family)];
                if *due {
                    *due = false;
                    return Some(Update::end_of_rib(family));
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Every UPDATE pending now, in sending order: [`next_update`](AdjRibOut::next_update)
    /// until it returns `None`.
    pub fn take_updates(&mut self) -> Vec<Update> {
        std::iter::from_fn(|| self.next_update()).collect()
    }

    /// True when [`next_update`](AdjRibOut::next_update) has something to return.
    pub fn has_pending(&self) -> bool {
        self.session.is_some()
            && (!self.pending.is_empty() || self.end_of_rib_due.iter().any(|due| *due))
    }

    /// Number of prefixes of `family` waiting to be announced (new, changed or refreshed).
    pub fn pending_announcements(&self, family: Family) -> usize {
        self.pending.announcements_len(family)
    }

    /// Number of prefixes of `family` waiting to be withdrawn.
    pub fn pending_withdrawals(&self, family: Family) -> usize {
        self.pending.withdrawals_len(family)
    }

    /// The session the table is sending on, if one is up.
    pub fn session(&self) -> Option<&PeerSession> {
        self.session.as_ref()
    }

    /// Number of prefixes desired.
    pub fn desired_len(&self) -> usize {
        self.desired.len()
    }

    /// Number of prefixes of `family` desired (sent or not).
    pub fn desired_len_of(&self, family: Family) -> usize {
        self.desired_per_family[family_index(family)]
    }

    /// Number of prefixes the peer currently has from us, per family.
    pub fn sent_len(&self, family: Family) -> usize {
        self.sent[family_index(family)].len()
    }

    /// Queues whatever `prefix` needs so the peer ends up with what is desired.
    ///
    /// The target is the desired route if it can be sent on this session (family
    /// negotiated, next hop known), else nothing. Equal to what was sent: nothing to do,
    /// unless a ROUTE-REFRESH asked for it again.
    fn reconcile(&mut self, prefix: IpNet) {
        let Some(session) = &self.session else {
            return;
        };
        let family = Family::of(&prefix);
        let sendable = session.families.contains(&family)
            && export::next_hop(family, &session.policy).is_some();
        let target = self.desired.get(&prefix).filter(|_| sendable);
        let sent = self.sent[family_index(family)].get(&prefix);
        match (target, sent) {
            (None, None) => self.pending.settle(&prefix),
            (None, Some(_)) => self.pending.withdraw(prefix),
            (Some(target), Some(sent))
                if same_attributes(target, sent) && !self.pending.is_resend(&prefix) =>
            {
                self.pending.settle(&prefix)
            }
            (Some(target), _) => {
                let target = Arc::clone(target);
                self.pending.announce(prefix, &target);
            }
        }
    }
}
