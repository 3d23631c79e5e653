//! Our speaker against FRR 8.4 (bgpd + zebra) in network namespaces: eBGP and iBGP over
//! IPv4 and IPv6 transport with host routes of both families, sessions opened by one side
//! only, TCP-MD5, route refresh, the hostname capability, shutdown with withdrawal and
//! with graceful restart, and recovery from a router crash, a reset and a silent path
//! loss.

use bgp::driver::ShutdownMode;
use lab::prereq::{Router, lab_available};
use lab::scenario::{self, Lab, Opener, Setup, host_routes, start_frr};
use lab::{CONVERGE, wait_until};
use std::time::Duration;

fn lab(test: &str) -> bool {
    lab_available(test, &[Router::Frr])
}

#[test]
fn frr_ebgp_over_ipv4_carries_both_families_exactly() {
    if lab("frr_ebgp_over_ipv4_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(true, false), start_frr);
    }
}

#[test]
fn frr_ebgp_over_ipv6_carries_both_families_exactly() {
    if lab("frr_ebgp_over_ipv6_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(true, true), start_frr);
    }
}

#[test]
fn frr_ibgp_over_ipv4_carries_both_families_exactly() {
    if lab("frr_ibgp_over_ipv4_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(false, false), start_frr);
    }
}

#[test]
fn frr_ibgp_over_ipv6_carries_both_families_exactly() {
    if lab("frr_ibgp_over_ipv6_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(false, true), start_frr);
    }
}

#[test]
fn frr_session_recovers_after_frr_is_killed_and_restarted() {
    if lab("frr_session_recovers_after_frr_is_killed_and_restarted") {
        scenario::recovers_after_router_restart(Setup::new(true, false), start_frr);
    }
}

/// Our listener accepts FRR's connection and hands it to the peer (no outbound attempt).
#[test]
fn frr_session_comes_up_when_only_frr_connects() {
    if lab("frr_session_comes_up_when_only_frr_connects") {
        let setup = Setup {
            opener: Opener::Router,
            ..Setup::new(true, true)
        };
        scenario::session_and_routes(setup, start_frr);
    }
}

/// Outbound only: no listening socket on our side, FRR waits passively.
#[test]
fn frr_session_comes_up_when_only_we_connect() {
    if lab("frr_session_comes_up_when_only_we_connect") {
        let setup = Setup {
            opener: Opener::Us,
            ..Setup::new(false, false)
        };
        scenario::session_and_routes(setup, start_frr);
    }
}

#[test]
fn frr_tcp_md5_session_with_matching_password_comes_up() {
    if lab("frr_tcp_md5_session_with_matching_password_comes_up") {
        scenario::md5_with_matching_password_comes_up(start_frr);
    }
}

#[test]
fn frr_tcp_md5_session_with_wrong_password_never_comes_up() {
    if lab("frr_tcp_md5_session_with_wrong_password_never_comes_up") {
        scenario::md5_with_wrong_password_never_comes_up(start_frr);
    }
}

#[test]
fn frr_route_refresh_request_is_answered_with_the_routes_again() {
    if !lab("frr_route_refresh_request_is_answered_with_the_routes_again") {
        return;
    }
    let lab = Lab::new(Setup::new(true, false), start_frr);
    lab.wait_established();
    let negotiated = lab
        .peer
        .status()
        .negotiated
        .expect("negotiated while Established");
    assert!(negotiated.route_refresh, "FRR announces route refresh");
    let routes = host_routes(100);
    lab.announce(&routes);
    let expected = lab.expected(&routes);
    lab.wait_rib("routes before the refresh", &expected);

    // FRR keys its neighbors by our address.
    let ours = lab.setup.our_addr(&lab.pair);
    let refresh_sent = lab
        .router
        .neighbor_stat(ours, "routeRefreshSent")
        .expect("FRR stats");
    let updates_recv = lab
        .router
        .neighbor_stat(ours, "updatesRecv")
        .expect("FRR stats");
    let our_updates = lab.peer.status().counters.updates_sent;

    // Without soft-reconfiguration inbound, `soft in` makes FRR send ROUTE-REFRESH (RFC 2918).
    lab.router
        .vtysh(&format!("clear bgp ipv4 unicast {ours} soft in"))
        .expect("vtysh clear");
    wait_until("FRR to send a ROUTE-REFRESH", CONVERGE, || {
        let n = lab.router.neighbor_stat(ours, "routeRefreshSent")?;
        (n > refresh_sent)
            .then_some(())
            .ok_or(format!("routeRefreshSent {n}"))
    });
    wait_until(
        "our speaker to send the IPv4 routes again",
        CONVERGE,
        || {
            let c = lab.peer.status().counters;
            let theirs = lab.router.neighbor_stat(ours, "updatesRecv")?;
            if c.updates_sent > our_updates && theirs > updates_recv {
                Ok(())
            } else {
                Err(format!(
                    "we sent {} UPDATEs, FRR received {theirs}",
                    c.updates_sent
                ))
            }
        },
    );
    lab.wait_rib("routes after the refresh", &expected);
    assert_eq!(
        lab.peer.status().counters.flaps,
        0,
        "the refresh must not reset the session"
    );
}

#[test]
fn frr_shows_the_host_name_we_send_in_the_hostname_capability() {
    if !lab("frr_shows_the_host_name_we_send_in_the_hostname_capability") {
        return;
    }
    let lab = Lab::new(Setup::new(true, false), start_frr);
    lab.wait_established();
    let n = lab
        .router
        .neighbor(lab.setup.our_addr(&lab.pair))
        .expect("FRR neighbor");
    assert_eq!(
        n.get("hostname").and_then(|h| h.as_str()),
        Some(scenario::OUR_HOSTNAME),
        "{n}"
    );
}

#[test]
fn frr_loses_every_route_then_gets_a_cease_with_our_reason_on_withdraw_shutdown() {
    if !lab("frr_loses_every_route_then_gets_a_cease_with_our_reason_on_withdraw_shutdown") {
        return;
    }
    let lab = Lab::new(Setup::new(true, false), start_frr);
    lab.wait_established();
    let routes = host_routes(100);
    lab.announce(&routes);
    lab.wait_rib("routes before the shutdown", &lab.expected(&routes));
    let ours = lab.setup.our_addr(&lab.pair);
    let updates_before = lab
        .router
        .neighbor_stat(ours, "updatesRecv")
        .expect("FRR stats");

    lab.speaker.shutdown(
        &lab.peer,
        ShutdownMode::Withdraw {
            drain: Duration::from_millis(500),
        },
        "kube-anycast lab maintenance",
    );
    lab.wait_rib("no route after the shutdown", &Default::default());
    let n = lab.router.neighbor(ours).expect("FRR neighbor");
    let field = |k: &str| {
        n.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert_ne!(field("bgpState"), "Established");
    // The routes went as withdrawals (UPDATEs) before the session closed.
    let updates_after = lab
        .router
        .neighbor_stat(ours, "updatesRecv")
        .expect("FRR stats");
    assert!(
        updates_after > updates_before,
        "no withdrawal UPDATE reached FRR: {n}"
    );
    // RFC 4486 Administrative Shutdown carrying the RFC 9003 communication.
    assert_eq!(
        field("lastNotificationReason"),
        "Cease/Administrative Shutdown",
        "{n}"
    );
    assert_eq!(
        field("lastShutdownDescription"),
        "kube-anycast lab maintenance",
        "{n}"
    );
}

#[test]
fn frr_keeps_our_routes_while_we_restart_gracefully() {
    if !lab("frr_keeps_our_routes_while_we_restart_gracefully") {
        return;
    }
    // FRR is a graceful restart helper by default; it marks the kept paths stale.
    let lab = scenario::keeps_routes_through_graceful_restart(
        Setup::new(true, false),
        start_frr,
        |lab, routes| match lab.router.stale_paths()? {
            n if n == routes.len() => Ok(()),
            n => Err(format!("{n} stale paths, want {}", routes.len())),
        },
    );
    // Our End-of-RIB ends the stale period: the re-announced paths replace the stale ones.
    wait_until("FRR to have no stale path left", CONVERGE, || {
        match lab.router.stale_paths()? {
            0 => Ok(()),
            n => Err(format!("{n} stale paths")),
        }
    });
}

#[test]
fn frr_session_recovers_after_frr_clears_it() {
    if lab("frr_session_recovers_after_frr_clears_it") {
        scenario::recovers_after_router_resets_session(
            Setup::new(true, false),
            start_frr,
            |lab| {
                let ours = lab.setup.our_addr(&lab.pair);
                lab.router.vtysh(&format!("clear bgp {ours}"))
            },
            Duration::ZERO,
        );
    }
}

#[test]
fn frr_session_recovers_after_silent_path_loss() {
    if lab("frr_session_recovers_after_silent_path_loss") {
        scenario::recovers_after_silent_path_loss(Setup::new(true, false), start_frr);
    }
}

/// Forwarding State bit set and End-of-RIB held until the first decision: the stale
/// routes stay through the new session's start and only the ones not announced again go.
#[test]
fn frr_keeps_stale_routes_on_the_new_session_until_our_end_of_rib() {
    if lab("frr_keeps_stale_routes_on_the_new_session_until_our_end_of_rib") {
        scenario::stale_routes_stay_until_end_of_rib(Setup::new(true, false), start_frr);
    }
}
