//! BFD Down takes BGP down with Cease / BFD Down (RFC 9384), end to end: our speaker and
//! our BFD session (coupled as the daemon couples them) against FRR's bgpd and bfdd in a
//! namespace. Killing bfdd stops the router's BFD packets while the link and bgpd stay
//! up, so only our BFD can notice; the NOTIFICATION that bgpd then receives must be
//! Cease subcode 10, and the session must come back by itself.
//!
//! Needs root and FRR (see `lab::prereq`). The time from
//! the fault to the reset is printed, never asserted.

use bfd::State as BfdState;
use kube_anycast::config::Config;
use kube_anycast::daemon::bfd_link::BfdLink;
use lab::bfd_routers::{FrrBfd, Timers};
use lab::frr::{FrrConfig, FrrNeighbor};
use lab::netns::NetnsPair;
use lab::prereq::{Router, lab_available, tools_available};
use lab::scenario::{OUR_ASN, ROUTER_ASN, ROUTER_ID, Setup, our_peer_config};
use lab::speaker::OurSpeaker;
use lab::{CONVERGE, wait_until};
use std::time::Instant;

const TEST: &str = "bfd_down_resets_bgp_with_cease_bfd_down_and_it_comes_back";

fn lab(test: &str) -> bool {
    lab_available(test, &[Router::Frr]) && tools_available(test, &["bfdd"])
}

/// bfdd (300 ms x 3) and bgpd on side A, peering with side B; `bgpd_bfd` adds
/// `neighbor B bfd` so bgpd itself follows the BFD session.
fn start_frr(pair: &NetnsPair, bgpd_bfd: bool) -> FrrBfd {
    let mut frr = FrrBfd::start(
        &pair.a.ns,
        pair.b.v4.into(),
        pair.a.v4.into(),
        Timers {
            tx_ms: 300,
            rx_ms: 300,
            multiplier: 3,
        },
    );
    let bgpd = FrrConfig {
        asn: ROUTER_ASN,
        router_id: ROUTER_ID,
        neighbors: vec![FrrNeighbor {
            address: pair.b.v4.into(),
            remote_as: OUR_ASN,
            password: None,
            passive: false,
        }],
        networks: Vec::new(),
    };
    let mut conf = bgpd.bgpd_conf(&pair.a.ns);
    if bgpd_bfd {
        let timers = format!(" neighbor {} timers 3 9\n", pair.b.v4);
        conf = conf.replace(&timers, &format!("{timers} neighbor {} bfd\n", pair.b.v4));
    }
    frr.start_bgpd(&conf);
    frr
}

/// Our speaker on side B with the peer coupled to a BFD session as the daemon does it.
fn start_ours(pair: &NetnsPair) -> (OurSpeaker, bgp::driver::PeerHandle, BfdLink) {
    let yaml = format!(
        "node_name: n1\nlocal_asn: {OUR_ASN}\nsource: {{kubernetes: {{}}}}\nannounce: {{allowed_cidrs: []}}\npeers:\n  - {{name: tor, address: {}, asn: {ROUTER_ASN}, local_address: {}, bfd: {{enabled: true}}}}\n",
        pair.a.v4, pair.b.v4
    );
    let config = Config::parse(&yaml, |_| None).expect("config parses");
    let peer = config.peers[0].clone();
    let speaker = OurSpeaker::start(&pair.b.ns, None);
    let handle = speaker.add_peer(our_peer_config(pair, &Setup::new(true, false)));
    let for_link = handle.clone();
    let link = speaker
        .runtime()
        .run(async move { BfdLink::start(&bfd::driver::Bfd::spawn(), &peer, for_link) });
    speaker.wait_established(&handle);
    let bfd = link.watch();
    wait_until("our BFD session Up", CONVERGE, || {
        let s = bfd.borrow().clone();
        if s.state() == BfdState::Up {
            Ok(())
        } else {
            Err(format!("BFD {} ({:?})", s.state(), s.error))
        }
    });
    (speaker, handle, link)
}

/// A failover number, printed: with `neighbor X bfd` on the router, a node that silently
/// stops sending (a blackhole route on our side only, so the router sees no link or
/// route event) loses its BGP session on the router within about the detection time
/// (900 ms) instead of the hold time (9 s here; 7.7-7.9 s measured without BFD,
/// LAB-NOTES). A cut veth is not used: the router sees the carrier drop and reacts in
/// ~70 ms without BFD.
#[test]
fn a_silent_node_loses_the_routers_bgp_session_through_bfd() {
    let test = "a_silent_node_loses_the_routers_bgp_session_through_bfd";
    if !lab(test) {
        return;
    }
    let pair = NetnsPair::new();
    let frr = start_frr(&pair, true);
    let (_speaker, _handle, link) = start_ours(&pair);
    wait_until("bgpd Established", CONVERGE, || {
        let n = frr.bgp_neighbor(pair.b.v4.into())?;
        match n["bgpState"].as_str() {
            Some("Established") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let fault = Instant::now();
    let blackhole = format!("{}/32", pair.a.v4);
    lab::process::must(
        "ip",
        &["-n", &pair.b.ns, "route", "add", "blackhole", &blackhole],
    );
    let state = wait_until("the router's BGP session to go down", CONVERGE, || {
        let n = frr.bgp_neighbor(pair.b.v4.into())?;
        match n["bgpState"].as_str() {
            Some("Established") => Err("still Established".to_string()),
            other => Ok(format!("{other:?}, {}", n["lastResetDueTo"])),
        }
    });
    eprintln!(
        "{test}: node silent -> router's BGP session {state} after {} ms (BFD 300 ms x 3, polled every 200 ms)",
        fault.elapsed().as_millis()
    );
    drop(link);
}

#[test]
fn bfd_down_resets_bgp_with_cease_bfd_down_and_it_comes_back() {
    if !lab(TEST) {
        return;
    }
    let pair = NetnsPair::new();
    let mut frr = start_frr(&pair, false);
    let (speaker, handle, link) = start_ours(&pair);
    let resets_before = frr
        .bgp_neighbor(pair.b.v4.into())
        .ok()
        .and_then(|n| n["connectionsDropped"].as_u64())
        .unwrap_or(0);

    let fault = Instant::now();
    frr.kill_bfdd();
    let reason = wait_until("bgpd to receive our Cease / BFD Down", CONVERGE, || {
        let n = frr.bgp_neighbor(pair.b.v4.into())?;
        let dropped = n["connectionsDropped"].as_u64().unwrap_or(0);
        let reason = n["lastNotificationReason"]
            .as_str()
            .or(n["lastResetDueTo"].as_str())
            .unwrap_or("")
            .to_string();
        if dropped > resets_before && !reason.is_empty() {
            Ok((reason, n.clone()))
        } else {
            Err(format!("not yet: {n}"))
        }
    });
    eprintln!(
        "{TEST}: router's BFD silent -> BGP reset seen by bgpd after {} ms (hold time 9 s): {}",
        fault.elapsed().as_millis(),
        reason.0
    );
    let ours = handle.status().last_error.unwrap_or_default();
    assert!(
        ours.contains("Cease/10"),
        "we sent Cease / BFD Down, last error: {ours:?}"
    );
    let (text, neighbor) = reason;
    assert!(
        text.contains("BFD") || text.contains("/10") || text.contains("subcode 10"),
        "bgpd names the reason BFD Down: {text:?} in {neighbor}"
    );
    // Reconnects normally: BFD is not Up (bfdd is gone), BGP does not wait for it.
    speaker.wait_established(&handle);
    drop(link);
}
