//! The Adj-RIB-Out of one peer (RFC 4271 section 3.2): the routes we want the peer to
//! have, against the routes it has been sent, turned into as few UPDATEs as possible.
//!
//! Withdrawals always go out before announcements, so a change never leaves a stale route
//! at the peer longer than needed. Prefixes with identical attributes share an UPDATE,
//! packed up to the session's maximum message length. After the initial transfer of a
//! session an End-of-RIB marker follows for each negotiated family (RFC 4724).

use crate::types::{Asn, Family};
use crate::wire::{Community, LargeCommunity, Origin, SessionContext, Update};
use ipnet::IpNet;
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
#[derive(Debug, Default)]
pub struct AdjRibOut {}

impl AdjRibOut {
    /// An empty table with no session.
    pub fn new() -> AdjRibOut {
        AdjRibOut::default()
    }

    /// Wants `prefix` announced with `attrs` (replacing what was wanted before).
    pub fn announce(&mut self, prefix: IpNet, attrs: Arc<RouteAttributes>) {
        let _ = (prefix, attrs);
        todo!("rib_out::AdjRibOut::announce")
    }

    /// No longer wants `prefix` announced.
    pub fn withdraw(&mut self, prefix: IpNet) {
        let _ = prefix;
        todo!("rib_out::AdjRibOut::withdraw")
    }

    /// Replaces the whole desired set; only the difference reaches the peer.
    pub fn replace(&mut self, routes: impl IntoIterator<Item = (IpNet, Arc<RouteAttributes>)>) {
        let _ = routes.into_iter();
        todo!("rib_out::AdjRibOut::replace")
    }

    /// A session came up: the peer has nothing; everything desired is to be sent, then
    /// End-of-RIB for each negotiated family.
    pub fn session_up(&mut self, session: PeerSession) {
        let _ = session;
        todo!("rib_out::AdjRibOut::session_up")
    }

    /// The session went down: forget what was sent, keep what is desired.
    pub fn session_down(&mut self) {
        todo!("rib_out::AdjRibOut::session_down")
    }

    /// The peer asked for `family` again (ROUTE-REFRESH): resend all of it.
    pub fn route_refresh(&mut self, family: Family) {
        let _ = family;
        todo!("rib_out::AdjRibOut::route_refresh")
    }

    /// The next UPDATE to send, withdrawals first; `None` when the peer is up to date or
    /// there is no session. Every UPDATE returned fits the session's maximum length.
    pub fn next_update(&mut self) -> Option<Update> {
        todo!("rib_out::AdjRibOut::next_update")
    }

    /// Number of prefixes desired.
    pub fn desired_len(&self) -> usize {
        todo!("rib_out::AdjRibOut::desired_len")
    }

    /// Number of prefixes the peer currently has from us, per family.
    pub fn sent_len(&self, family: Family) -> usize {
        let _ = family;
        todo!("rib_out::AdjRibOut::sent_len")
    }
}
