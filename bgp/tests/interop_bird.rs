//! Our speaker against BIRD 2 in network namespaces: eBGP and iBGP over IPv4 and IPv6
//! transport with host routes of both families, TCP-MD5, route refresh, the hostname
//! capability, graceful restart, and recovery from a router crash, a protocol restart
//! and a silent path loss.

use lab::prereq::{Router, lab_available};
use lab::scenario::{self, Lab, Setup, host_routes, start_bird};
use lab::{CONVERGE, wait_until};
use std::time::Duration;

fn lab(test: &str) -> bool {
    lab_available(test, &[Router::Bird])
}

#[test]
fn bird_ebgp_over_ipv4_carries_both_families_exactly() {
    if lab("bird_ebgp_over_ipv4_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(true, false), start_bird);
    }
}

#[test]
fn bird_ebgp_over_ipv6_carries_both_families_exactly() {
    if lab("bird_ebgp_over_ipv6_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(true, true), start_bird);
    }
}

#[test]
fn bird_ibgp_over_ipv4_carries_both_families_exactly() {
    if lab("bird_ibgp_over_ipv4_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(false, false), start_bird);
    }
}

#[test]
fn bird_ibgp_over_ipv6_carries_both_families_exactly() {
    if lab("bird_ibgp_over_ipv6_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(false, true), start_bird);
    }
}

#[test]
fn bird_session_recovers_after_bird_is_killed_and_restarted() {
    if lab("bird_session_recovers_after_bird_is_killed_and_restarted") {
        scenario::recovers_after_router_restart(Setup::new(true, false), start_bird);
    }
}

#[test]
fn bird_session_recovers_after_bird_restarts_the_protocol() {
    if lab("bird_session_recovers_after_bird_restarts_the_protocol") {
        scenario::recovers_after_router_resets_session(
            Setup::new(true, false),
            start_bird,
            |lab| lab.router.birdc(&["restart", scenario::BIRD_PROTOCOL]),
            // `error wait time 1, 10` in the lab's config.
            Duration::from_secs(10),
        );
    }
}

#[test]
fn bird_session_recovers_after_silent_path_loss() {
    if lab("bird_session_recovers_after_silent_path_loss") {
        scenario::recovers_after_silent_path_loss(Setup::new(true, false), start_bird);
    }
}

#[test]
fn bird_shows_the_host_name_we_send_in_the_hostname_capability() {
    if !lab("bird_shows_the_host_name_we_send_in_the_hostname_capability") {
        return;
    }
    let lab = Lab::new(Setup::new(true, false), start_bird);
    lab.wait_established();
    let out = lab
        .router
        .birdc(&["show", "protocols", "all", scenario::BIRD_PROTOCOL])
        .expect("birdc");
    let hostname = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Hostname:"))
        .map(str::trim);
    assert_eq!(hostname, Some(scenario::OUR_HOSTNAME), "{out}");
}

/// `birdc reload in` makes BIRD send a ROUTE-REFRESH (it keeps no copy of what it
/// received): we send the routes again and BIRD's table stays whole.
#[test]
fn bird_route_refresh_request_is_answered_with_the_routes_again() {
    if !lab("bird_route_refresh_request_is_answered_with_the_routes_again") {
        return;
    }
    let lab = Lab::new(Setup::new(true, false), start_bird);
    lab.wait_established();
    let routes = host_routes(100);
    lab.announce(&routes);
    let expected = lab.expected(&routes);
    lab.wait_rib("routes before the refresh", &expected);
    let before = lab.peer.status().counters;

    lab.router
        .birdc(&["reload", "in", scenario::BIRD_PROTOCOL])
        .expect("birdc reload in");
    wait_until("our speaker to send the routes again", CONVERGE, || {
        let c = lab.peer.status().counters;
        if c.updates_sent > before.updates_sent && c.messages_received > before.messages_received {
            Ok(())
        } else {
            Err(format!("counters {c:?}"))
        }
    });
    lab.wait_rib("routes after the refresh", &expected);
    assert_eq!(lab.peer.status().counters.flaps, before.flaps);
}

/// BIRD is graceful restart aware by default: it keeps our routes while we restart.
#[test]
fn bird_keeps_our_routes_while_we_restart_gracefully() {
    if lab("bird_keeps_our_routes_while_we_restart_gracefully") {
        scenario::keeps_routes_through_graceful_restart(
            Setup::new(true, false),
            start_bird,
            |_, _| Ok(()),
        );
    }
}

#[test]
fn bird_tcp_md5_session_with_matching_password_comes_up() {
    if lab("bird_tcp_md5_session_with_matching_password_comes_up") {
        scenario::md5_with_matching_password_comes_up(start_bird);
    }
}

#[test]
fn bird_tcp_md5_session_with_wrong_password_never_comes_up() {
    if lab("bird_tcp_md5_session_with_wrong_password_never_comes_up") {
        scenario::md5_with_wrong_password_never_comes_up(start_bird);
    }
}

/// Forwarding State bit set and End-of-RIB held until the first decision: the stale
/// routes stay through the new session's start and only the ones not announced again go.
#[test]
fn bird_keeps_stale_routes_on_the_new_session_until_our_end_of_rib() {
    if lab("bird_keeps_stale_routes_on_the_new_session_until_our_end_of_rib") {
        scenario::stale_routes_stay_until_end_of_rib(Setup::new(true, false), start_bird);
    }
}
