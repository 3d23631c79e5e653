//! What the recorder says and when, as a pure state machine over received messages and
//! the passing of time: answer the router's OPEN, send our End-of-RIB markers, wait for
//! the router's (RFC 4724 section 2) and a quiet spell, ask for both families again with
//! ROUTE-REFRESH (RFC 2918), and once the refreshed routes have come and gone quiet, be
//! ready for the router to shut the session down.

use bgp::wire::{
    Capability, GracefulRestart, GracefulRestartFamily, Message, Open, RouteRefresh, Update,
};
use bgp::{Afi, Asn, Family, RouterId, Safi};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// AS_TRANS (RFC 6793): the 2-octet AS field of a 4-octet speaker.
const AS_TRANS: u16 = 23456;

/// Who the recorder is.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    /// Its ASN.
    pub asn: u32,
    /// Its BGP identifier.
    pub router_id: RouterId,
    /// The hold time it proposes.
    pub hold_time: u16,
}

impl Identity {
    /// Our OPEN: 4-octet AS, IPv4 and IPv6 unicast, route refresh, and graceful restart
    /// for both families (some routers send End-of-RIB only to a peer that announced it).
    pub fn open(&self) -> Message {
        let multiprotocol = |afi| Capability::Multiprotocol {
            afi,
            safi: Safi::Unicast,
        };
        let unicast = |afi| GracefulRestartFamily {
            afi,
            safi: Safi::Unicast,
            forwarding_preserved: false,
        };
        Message::Open(Open {
            version: 4,
            my_as: u16::try_from(self.asn).unwrap_or(AS_TRANS),
            hold_time: self.hold_time,
            router_id: self.router_id,
            capabilities: vec![
                multiprotocol(Afi::Ipv4),
                multiprotocol(Afi::Ipv6),
                Capability::RouteRefresh,
                Capability::GracefulRestart(GracefulRestart {
                    restart_state: false,
                    notification: false,
                    restart_time: 120,
                    families: vec![unicast(Afi::Ipv4), unicast(Afi::Ipv6)],
                }),
                Capability::FourOctetAs(Asn(self.asn)),
            ],
        })
    }
}

/// Where the exchange stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the router's OPEN.
    Open,
    /// Our OPEN and KEEPALIVE sent; waiting for the router's KEEPALIVE.
    OpenConfirm,
    /// Collecting routes and End-of-RIB markers.
    Established,
    /// ROUTE-REFRESH sent; collecting the routes again.
    Refresh,
    /// Everything is recorded; the router may shut the session down.
    Ready,
}

/// The recorder's decisions.
#[derive(Debug)]
pub struct Script {
    identity: Identity,
    /// Silence that ends a phase.
    quiet: Duration,
    phase: Phase,
    end_of_rib: BTreeSet<Family>,
    last_received: Instant,
    closed: bool,
}

impl Script {
    /// A script that starts at `now`; `quiet` is the silence that ends a phase.
    pub fn new(identity: Identity, quiet: Duration, now: Instant) -> Script {
        Script {
            identity,
            quiet,
            phase: Phase::Open,
            end_of_rib: BTreeSet::new(),
            last_received: now,
            closed: false,
        }
    }

    /// Where it stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// True once the router sent a NOTIFICATION.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// The families whose End-of-RIB arrived.
    pub fn end_of_rib(&self) -> &BTreeSet<Family> {
        &self.end_of_rib
    }

    /// Something arrived at `now` (octets that may or may not have made a whole message).
    pub fn heard(&mut self, now: Instant) {
        self.last_received = now;
    }

    /// A whole message arrived; returns what to send.
    pub fn on_message(&mut self, message: &Message) -> Vec<Message> {
        match (message, self.phase) {
            (Message::Open(_), Phase::Open) => {
                self.phase = Phase::OpenConfirm;
                vec![self.identity.open(), Message::Keepalive]
            }
            (Message::Keepalive, Phase::OpenConfirm) => {
                self.phase = Phase::Established;
                [Family::Ipv4Unicast, Family::Ipv6Unicast]
                    .into_iter()
                    .map(|f| Message::Update(Update::end_of_rib(f)))
                    .collect()
            }
            (Message::Update(u), Phase::Established) => {
                self.end_of_rib.extend(u.as_end_of_rib());
                Vec::new()
            }
            (Message::Notification(_), _) => {
                self.closed = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Time passed; returns what to send. Once both End-of-RIB markers are in and the
    /// router has been quiet, ask for a refresh (after three times as long without the
    /// markers: a router may send none); once the refresh has been answered and the
    /// router is quiet again, be [`Phase::Ready`].
    pub fn on_tick(&mut self, now: Instant) -> Vec<Message> {
        let quiet = now.saturating_duration_since(self.last_received);
        let both = self.end_of_rib.len() == 2;
        match self.phase {
            Phase::Established if (both && quiet > self.quiet) || quiet > 3 * self.quiet => {
                self.phase = Phase::Refresh;
                self.last_received = now;
                [Afi::Ipv4, Afi::Ipv6]
                    .into_iter()
                    .map(|afi| Message::RouteRefresh(RouteRefresh::request(afi, Safi::Unicast)))
                    .collect()
            }
            Phase::Refresh if quiet > self.quiet => {
                self.phase = Phase::Ready;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
