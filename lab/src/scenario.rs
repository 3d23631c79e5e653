//! The interop scenarios shared by every router: a lab (namespaces, router, our speaker and
//! one peer) and what is checked in it. The session and its routes are checked here; how a
//! session comes back after trouble, graceful restart and TCP-MD5 in `recovery`.

mod recovery;

pub use recovery::*;

use crate::bird::{Bird, BirdConfig, BirdPeer};
use crate::frr::{Frr, FrrConfig, FrrNeighbor};
use crate::gobgp::{Gobgp, GobgpConfig, GobgpNeighbor};
use crate::netns::NetnsPair;
use crate::rib::{self, Rib};
use crate::speaker::OurSpeaker;
use crate::{CONVERGE, LabRouter, wait_until};
use bgp::driver::{PeerConfig, PeerHandle, RouteChange, Transport};
use bgp::rib_out::RouteAttributes;
use bgp::session::{SessionConfig, State};
use bgp::{Asn, Family, HoldTime, RouterId};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The router's ASN on eBGP sessions (2-octet).
pub const ROUTER_ASN: u32 = 65001;
/// Our ASN: 4-octet (RFC 6793), so every session exercises the 4-octet AS capability.
pub const OUR_ASN: u32 = 4_200_000_001;
/// The host name we send (hostname capability).
pub const OUR_HOSTNAME: &str = "kube-anycast-lab";
/// Our BGP identifier.
pub const OUR_ROUTER_ID: Ipv4Addr = crate::netns::B_V4;
/// The router's BGP identifier.
pub const ROUTER_ID: Ipv4Addr = crate::netns::A_V4;

/// The shape of one lab session.
#[derive(Clone, Debug)]
pub struct Setup {
    /// eBGP (different ASNs) or iBGP (both `OUR_ASN`).
    pub ebgp: bool,
    /// TCP over IPv6 (else IPv4). Both families are exchanged either way (MP-BGP).
    pub ipv6_transport: bool,
    /// TCP-MD5 password configured on the router.
    pub router_password: Option<String>,
    /// TCP-MD5 password configured on our side.
    pub our_password: Option<String>,
    /// Who opens the TCP connection; both sides do by default.
    pub opener: Opener,
}

/// Which side may open the TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opener {
    /// Both connect and listen; collisions are resolved by RFC 4271 section 6.8.
    Both,
    /// We are passive (listen only); the router connects.
    Router,
    /// The router is passive; we connect and do not listen at all.
    Us,
}

impl Setup {
    /// A session without TCP-MD5.
    pub fn new(ebgp: bool, ipv6_transport: bool) -> Setup {
        Setup {
            ebgp,
            ipv6_transport,
            router_password: None,
            our_password: None,
            opener: Opener::Both,
        }
    }

    /// The router's ASN.
    pub fn router_asn(&self) -> u32 {
        if self.ebgp { ROUTER_ASN } else { OUR_ASN }
    }

    /// The router's transport address.
    pub fn router_addr(&self, pair: &NetnsPair) -> IpAddr {
        pair.a.addr(self.ipv6_transport)
    }

    /// Our transport address.
    pub fn our_addr(&self, pair: &NetnsPair) -> IpAddr {
        pair.b.addr(self.ipv6_transport)
    }
}

/// Starts FRR on side A, peering with our address on side B.
pub fn start_frr(pair: &NetnsPair, setup: &Setup) -> Frr {
    Frr::start(
        &pair.a.ns,
        FrrConfig {
            asn: setup.router_asn(),
            router_id: ROUTER_ID,
            neighbors: vec![FrrNeighbor {
                address: setup.our_addr(pair),
                remote_as: OUR_ASN,
                password: setup.router_password.clone(),
                passive: setup.opener == Opener::Us,
            }],
            networks: Vec::new(),
        },
    )
}

/// The name of BIRD's protocol towards our speaker.
pub const BIRD_PROTOCOL: &str = "speaker";

/// Starts BIRD on side A, peering with our address on side B.
pub fn start_bird(pair: &NetnsPair, setup: &Setup) -> Bird {
    Bird::start(
        &pair.a.ns,
        BirdConfig {
            router_id: ROUTER_ID,
            peers: vec![BirdPeer {
                name: BIRD_PROTOCOL.to_string(),
                local: setup.router_addr(pair),
                local_as: setup.router_asn(),
                neighbor: setup.our_addr(pair),
                remote_as: OUR_ASN,
                password: setup.router_password.clone(),
            }],
            originate: Vec::new(),
        },
    )
}

/// Starts GoBGP on side A, peering with our address on side B.
pub fn start_gobgp(pair: &NetnsPair, setup: &Setup) -> Gobgp {
    Gobgp::start(
        &pair.a.ns,
        GobgpConfig {
            asn: setup.router_asn(),
            router_id: ROUTER_ID,
            neighbors: vec![GobgpNeighbor {
                address: setup.our_addr(pair),
                remote_as: OUR_ASN,
                password: setup.router_password.clone(),
            }],
            start_disabled: false,
        },
    )
}

/// Our peer configuration for `setup`: short timers so the suite stays fast, explicit
/// next hops for both families (the transport address of the other family is not
/// implied), TTL 1 on directly connected eBGP.
pub fn our_peer_config(pair: &NetnsPair, setup: &Setup) -> PeerConfig {
    PeerConfig {
        name: "router".to_string(),
        remote: SocketAddr::new(setup.router_addr(pair), 179),
        transport: Transport {
            local_address: Some(setup.our_addr(pair)),
            md5_password: setup.our_password.clone().map(|p| p.into_bytes().into()),
            ttl: setup.ebgp.then_some(1),
            ttl_security: false,
        },
        next_hop_v4: Some(pair.b.v4),
        next_hop_v6: Some(pair.b.v6),
        session: SessionConfig {
            local_asn: Asn(OUR_ASN),
            peer_asn: Asn(setup.router_asn()),
            router_id: RouterId::new(OUR_ROUTER_ID).expect("a non-zero constant"),
            hold_time: HoldTime::new(9).expect("a valid constant"),
            connect_retry: Duration::from_secs(1),
            connect_retry_max: Duration::from_secs(4),
            passive: setup.opener == Opener::Router,
            families: Family::ALL.to_vec(),
            graceful_restart: None,
            hostname: Some(OUR_HOSTNAME.to_string()),
            extended_message: true,
            send_hold_time: None,
        },
    }
}

/// Where our speaker listens: the wildcard address of the transport family, or nowhere
/// when only we connect.
pub fn listen_address(setup: &Setup) -> Option<SocketAddr> {
    let addr = if setup.ipv6_transport {
        "[::]:179"
    } else {
        "0.0.0.0:179"
    };
    (setup.opener != Opener::Us).then(|| addr.parse().expect("valid address"))
}

/// Namespaces, a router on side A, our speaker on side B and its peer towards the router.
/// Field order is drop order: our peer and speaker, then the router, then the namespaces.
pub struct Lab<R: LabRouter> {
    /// Our peer towards the router.
    pub peer: PeerHandle,
    /// Our speaker.
    pub speaker: OurSpeaker,
    /// The router.
    pub router: R,
    /// The namespaces.
    pub pair: NetnsPair,
    /// The session shape.
    pub setup: Setup,
}

impl<R: LabRouter> Lab<R> {
    /// Builds the lab: namespaces, the router (via `start`), our speaker listening on
    /// port 179 of side B, and our peer.
    pub fn new(setup: Setup, start: impl FnOnce(&NetnsPair, &Setup) -> R) -> Lab<R> {
        Lab::with_peer_config(setup, start, |_| {})
    }

    /// Like [`Lab::new`], with `adjust` applied to our peer configuration first.
    pub fn with_peer_config(
        setup: Setup,
        start: impl FnOnce(&NetnsPair, &Setup) -> R,
        adjust: impl FnOnce(&mut PeerConfig),
    ) -> Lab<R> {
        let pair = NetnsPair::new();
        let router = start(&pair, &setup);
        let speaker = OurSpeaker::start(&pair.b.ns, listen_address(&setup));
        let mut config = our_peer_config(&pair, &setup);
        adjust(&mut config);
        let peer = speaker.add_peer(config);
        Lab {
            peer,
            speaker,
            router,
            pair,
            setup,
        }
    }

    /// Replaces our speaker by a new one with a new peer, as a restarted process would.
    pub fn restart_speaker(&mut self, config: PeerConfig) {
        self.speaker.restart(listen_address(&self.setup));
        self.peer = self.speaker.add_peer(config);
    }

    /// Waits until both sides say Established.
    pub fn wait_established(&self) {
        self.wait_established_within(CONVERGE);
    }

    /// Waits until both sides say Established, for at most `deadline`.
    pub fn wait_established_within(&self, deadline: Duration) {
        wait_until(
            &format!(
                "{} and our speaker to reach Established",
                self.router.describe()
            ),
            deadline,
            || {
                let ours = self.peer.status();
                let theirs = self.router.session_state()?;
                if ours.state == State::Established && theirs == "Established" {
                    Ok(())
                } else {
                    Err(format!(
                        "ours {:?} (last error {:?}), {} {theirs}; {}",
                        ours.state,
                        ours.last_error,
                        self.router.describe(),
                        self.router.log_tail()
                    ))
                }
            },
        );
    }

    /// Announces `prefixes` with default attributes, and marks the initial set complete.
    pub fn announce(&self, prefixes: &[IpNet]) {
        let attrs = Arc::new(RouteAttributes::default());
        let changes = prefixes
            .iter()
            .map(|p| RouteChange::Announce(*p, Arc::clone(&attrs)))
            .collect();
        self.speaker.update(&self.peer, changes);
        // Scenarios announce their whole set at once: End-of-RIB may follow it.
        self.speaker.initial_set_complete(&self.peer);
    }

    /// Withdraws `prefixes`.
    pub fn withdraw(&self, prefixes: &[IpNet]) {
        let changes = prefixes.iter().map(|p| RouteChange::Withdraw(*p)).collect();
        self.speaker.update(&self.peer, changes);
    }

    /// Announces `prefixes` and waits until the router's RIB is exactly them (`what` names
    /// them in the failure message); returns that RIB, for the checks after a disruption.
    pub fn announce_and_wait(&self, prefixes: &[IpNet], what: &str) -> Rib {
        self.announce(prefixes);
        let expected = self.expected(prefixes);
        self.wait_rib(what, &expected);
        expected
    }

    /// What the router should show for `prefixes`: our side-B addresses as next hops.
    pub fn expected(&self, prefixes: &[IpNet]) -> Rib {
        rib::expected(prefixes, self.pair.b.v4, self.pair.b.v6)
    }

    /// Polls the router until its RIB is exactly `expected` (a wait with a generous
    /// deadline, not a timing assertion).
    pub fn wait_rib(&self, what: &str, expected: &Rib) {
        wait_until(
            &format!("{}'s RIB to match {what}", self.router.describe()),
            CONVERGE,
            || rib::compare(expected, &self.router.rib()?),
        );
    }
}

/// `count` IPv4 /32s followed by `count` IPv6 /128s.
pub fn host_routes(count: u16) -> Vec<IpNet> {
    let mut all = rib::v4_hosts(count);
    all.extend(rib::v6_hosts(count));
    all
}

/// Splits `prefixes` into (kept, withdrawn): every other prefix of each family goes, so
/// the withdrawals are spread over every UPDATE that announced them.
pub fn split_half(prefixes: &[IpNet]) -> (Vec<IpNet>, Vec<IpNet>) {
    let mut kept = Vec::new();
    let mut gone = Vec::new();
    for (i, p) in prefixes.iter().enumerate() {
        if i % 2 == 0 {
            gone.push(*p);
        } else {
            kept.push(*p);
        }
    }
    (kept, gone)
}

/// The session comes up; 1,000 IPv4 /32s and 1,000 IPv6 /128s (MP-BGP over one session)
/// reach the router exactly, next hops included; after half are withdrawn exactly the
/// other half remains.
pub fn session_and_routes<R: LabRouter>(setup: Setup, start: impl FnOnce(&NetnsPair, &Setup) -> R) {
    let lab = Lab::new(setup, start);
    lab.wait_established();
    let negotiated = lab
        .peer
        .status()
        .negotiated
        .expect("Established status carries the negotiation result");
    assert!(negotiated.four_octet_as, "4-octet AS not negotiated");
    assert_eq!(negotiated.peer_asn, Asn(lab.setup.router_asn()));
    for family in Family::ALL {
        assert!(
            negotiated.families.contains(&family),
            "{family} not negotiated: {:?}",
            negotiated.families
        );
    }

    let all = host_routes(1000);
    let announced = lab.announce_and_wait(&all, "1,000 + 1,000 announced host routes");
    if lab.setup.ipv6_transport && lab.router.shows_link_local_next_hop() {
        // RFC 2545 section 3: on a shared link the link-local address of our interface
        // goes with the global next hop.
        let link_local = lab.pair.b.link_local().expect("our link-local address");
        let expected = rib::with_link_local(&announced, link_local);
        wait_until("the link-local next hops", CONVERGE, || {
            rib::compare_exact(&expected, &lab.router.rib()?)
        });
    }

    let (kept, gone) = split_half(&all);
    lab.withdraw(&gone);
    lab.wait_rib("the half left after withdrawing", &lab.expected(&kept));
    assert_eq!(lab.peer.status().prefixes_sent, kept.len());
}
