//! The Adj-RIB-Out of one peer (RFC 4271 section 3.2): the routes we want the peer to
//! have, against the routes it has been sent, turned into as few UPDATEs as possible.
//!
//! Withdrawals always go out before announcements, so a change never leaves a stale route
//! at the peer longer than needed. Prefixes with identical attributes share an UPDATE,
//! packed up to the session's maximum message length. After the initial transfer of a
//! session an End-of-RIB marker follows for each negotiated family (RFC 4724).
//!
//! End-of-RIB says "you now have all my routes" (RFC 4724 section 4.1): a graceful
//! restart helper deletes every stale route of ours it still holds when it arrives. So
//! it waits until the owner of the table said the initial route set is in
//! ([`AdjRibOut::initial_set_complete`]); before that, routes flow as they come but no
//! End-of-RIB follows them. The mark lasts for the life of the table: on a later session
//! End-of-RIB follows the full table at once.
//!
//! - `table`: per-prefix state and the queues of unsent changes (a hash lookup per change).
//! - `export`: how a route's attributes are adjusted for the peer (eBGP / iBGP).
//! - `pack` and `size`: filling UPDATEs up to the maximum message length.
//!
//! A ROUTE-REFRESH (RFC 2918) resends every route of the family the peer has. The
//! enhanced route refresh markers of RFC 7313 (BoRR/EoRR) are not sent: we do not
//! announce that capability, so peers do not expect them.

mod export;
mod pack;
mod route_set;
mod size;
mod table;
#[cfg(test)]
mod tests;

pub use export::DEFAULT_LOCAL_PREF;
pub use route_set::RouteSet;

use crate::types::{Asn, Family, PeerKind};
use crate::wire::{Community, ExtendedCommunity, LargeCommunity, Origin, SessionContext, Update};
use ipnet::IpNet;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use table::{Table, family_index};

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
    /// EXTENDED COMMUNITIES (RFC 4360), e.g. the link bandwidth of weighted anycast;
    /// sorted and without duplicates. Part of the attribute set's identity: routes with
    /// different bandwidths go in different UPDATEs.
    pub extended_communities: Vec<ExtendedCommunity>,
}

/// How routes are adjusted for one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportPolicy {
    /// Our ASN (prepended on eBGP sessions).
    pub local_asn: Asn,
    /// eBGP or iBGP: decides AS_PATH and LOCAL_PREF (see `export`). The wire context's
    /// own `ebgp` flag only shapes how the codec treats attributes.
    pub kind: PeerKind,
    /// The next hops routes go out with; a family without one is held back.
    pub next_hops: NextHops,
}

/// The next hops routes go out with to one peer, per family.
///
/// Part of the [`ExportPolicy`], which is what gives them meaning: a family whose
/// next hop is `None` is not sent. The driver chooses them per connection and the
/// speaker hands them to the policy once the session is established.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NextHops {
    /// For IPv4 routes; IPv4 routes are not sent without one.
    pub v4: Option<Ipv4Addr>,
    /// Global next hop for IPv6 routes; IPv6 routes are not sent without one.
    pub v6: Option<Ipv6Addr>,
    /// Link-local IPv6 next hop, sent with the global one (RFC 2545), when the peer
    /// shares our link.
    pub v6_link_local: Option<Ipv6Addr>,
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
/// [`withdraw`](AdjRibOut::withdraw) costs a hash lookup; UPDATEs are built from the queue of
/// changes by [`next_update`](AdjRibOut::next_update), never by rescanning the table.
///
/// A route is sent when its family was negotiated and the policy has a next hop for that
/// family; otherwise it is held back (desired, not sent). IPv4 unicast goes in the classic
/// NLRI field with NEXT_HOP, IPv6 unicast in MP_REACH_NLRI.
#[derive(Debug, Default)]
pub struct AdjRibOut {
    table: Table,
    session: Option<PeerSession>,
    /// Families whose End-of-RIB is still to follow the initial transfer.
    end_of_rib_due: [bool; 2],
    /// The owner handed over the whole initial route set: End-of-RIB may go.
    initial_set_complete: bool,
}

impl AdjRibOut {
    /// An empty table with no session, waiting for its initial route set: no
    /// End-of-RIB is sent until [`initial_set_complete`](AdjRibOut::initial_set_complete).
    pub fn new() -> AdjRibOut {
        AdjRibOut::default()
    }

    /// Says that every route of the initial set has been handed to the table, so
    /// End-of-RIB may follow them (RFC 4724 section 4.1). Idempotent; never undone.
    ///
    /// Until then a session sends the routes it has but no End-of-RIB: a graceful
    /// restart helper would take it as "everything else is gone" and delete the stale
    /// routes whose fresh copies simply have not been decided yet.
    pub fn initial_set_complete(&mut self) {
        self.initial_set_complete = true;
    }

    /// True once [`initial_set_complete`](AdjRibOut::initial_set_complete) was called.
    pub fn is_initial_set_complete(&self) -> bool {
        self.initial_set_complete
    }

    /// Wants `prefix` announced with `attrs` (replacing what was wanted before).
    ///
    /// Host bits are ignored: `192.0.2.7/24` is `192.0.2.0/24`.
    pub fn announce(&mut self, prefix: IpNet, attrs: Arc<RouteAttributes>) {
        let sendable = self.sendable();
        self.table
            .set_desired(prefix.trunc(), Some(attrs), sendable);
    }

    /// No longer wants `prefix` announced.
    pub fn withdraw(&mut self, prefix: IpNet) {
        let sendable = self.sendable();
        self.table.set_desired(prefix.trunc(), None, sendable);
    }

    /// Replaces the whole desired set; only the difference reaches the peer.
    ///
    /// When a prefix appears more than once, the last one wins.
    pub fn replace(&mut self, routes: impl Into<RouteSet>) {
        let sendable = self.sendable();
        self.table.replace(routes.into(), sendable);
    }

    /// A session came up: the peer has nothing; everything desired is to be sent, then
    /// End-of-RIB for each negotiated family (once the initial set is complete).
    pub fn session_up(&mut self, session: PeerSession) {
        for family in Family::ALL {
            self.end_of_rib_due[family_index(family)] = session.families.contains(&family);
        }
        self.session = Some(session);
        let sendable = self.sendable();
        self.table.session_up(sendable);
    }

    /// The session went down: forget what was sent, keep what is desired.
    pub fn session_down(&mut self) {
        self.session = None;
        self.table.session_down();
        self.end_of_rib_due = [false; 2];
    }

    /// The peer asked for `family` again (ROUTE-REFRESH): resend all of it.
    ///
    /// Every route of `family` the peer has is announced again (changes queued meanwhile
    /// are sent as they are); no End-of-RIB follows (RFC 2918). Ignored without a session
    /// or for a family that was not negotiated.
    pub fn route_refresh(&mut self, family: Family) {
        let sendable = self.sendable()[family_index(family)];
        let negotiated = self
            .session
            .as_ref()
            .is_some_and(|session| session.families.contains(&family));
        if negotiated {
            self.table.resend(family, sendable);
        }
    }

    /// The next UPDATE to send, withdrawals first; `None` when the peer is up to date or
    /// there is no session. Every UPDATE returned fits the session's maximum length.
    ///
    /// Order: all queued withdrawals; then, family by family (IPv4 first), the queued
    /// announcements grouped by attributes, followed by that family's End-of-RIB if the
    /// initial transfer after [`session_up`](AdjRibOut::session_up) has not ended it yet
    /// and the initial set is complete. Within a queue, prefixes go in the order they were
    /// changed, and in prefix order after a change of many at once (a session coming up,
    /// [`replace`](AdjRibOut::replace), [`route_refresh`](AdjRibOut::route_refresh)).
    pub fn next_update(&mut self) -> Option<Update> {
        'again: loop {
            let session = self.session.as_ref()?;
            let has_withdrawals = Family::ALL
                .into_iter()
                .any(|family| self.table.withdrawals_len(family) > 0);
            if has_withdrawals {
                match pack::withdrawal(&mut self.table, session.context.max_message_len) {
                    Some(update) => return Some(update),
                    None => continue 'again,
                }
            }
            for family in Family::ALL {
                if self.table.announcements_len(family) > 0 {
                    match pack::announcement(&mut self.table, session, family) {
                        Some(update) => return Some(update),
                        // Routes were held back; what they leave queued goes first.
                        None => continue 'again,
                    }
                }
                let due = &mut self.end_of_rib_due[family_index(family)];
                if *due && self.initial_set_complete {
                    *due = false;
                    return Some(Update::end_of_rib(family));
                }
            }
            return None;
        }
    }

    /// Every UPDATE pending now, in sending order: [`next_update`](AdjRibOut::next_update)
    /// until it returns `None`.
    pub fn take_updates(&mut self) -> Vec<Update> {
        std::iter::from_fn(|| self.next_update()).collect()
    }

    /// True when changes are queued or an End-of-RIB may go on a session that is up:
    /// [`next_update`](AdjRibOut::next_update) then returns an UPDATE, unless every queued
    /// route turns out to have attributes too large for any message (those are held back).
    pub fn has_pending(&self) -> bool {
        self.session.is_some()
            && (!self.table.is_settled()
                || (self.initial_set_complete && self.end_of_rib_due.iter().any(|due| *due)))
    }

    /// Number of prefixes of `family` waiting to be announced (new, changed or refreshed).
    pub fn pending_announcements(&self, family: Family) -> usize {
        self.table.announcements_len(family)
    }

    /// Number of prefixes of `family` waiting to be withdrawn.
    pub fn pending_withdrawals(&self, family: Family) -> usize {
        self.table.withdrawals_len(family)
    }

    /// The session the table is sending on, if one is up.
    pub fn session(&self) -> Option<&PeerSession> {
        self.session.as_ref()
    }

    /// Number of prefixes desired.
    pub fn desired_len(&self) -> usize {
        Family::ALL
            .into_iter()
            .map(|family| self.table.desired_len(family))
            .sum()
    }

    /// Number of prefixes of `family` desired (sent or not).
    pub fn desired_len_of(&self, family: Family) -> usize {
        self.table.desired_len(family)
    }

    /// Number of prefixes the peer currently has from us, per family.
    pub fn sent_len(&self, family: Family) -> usize {
        self.table.sent_len(family)
    }

    /// Per family, whether routes can be sent now: a session is up, the family was
    /// negotiated and the policy has a next hop for it. Other routes are held back.
    fn sendable(&self) -> [bool; 2] {
        let mut sendable = [false; 2];
        if let Some(session) = &self.session {
            for family in Family::ALL {
                sendable[family_index(family)] = session.families.contains(&family)
                    && export::next_hop(family, &session.policy).is_some();
            }
        }
        sendable
    }
}
