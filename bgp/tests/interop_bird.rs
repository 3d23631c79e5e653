//! Our speaker against BIRD 2 in network namespaces: eBGP and iBGP over IPv4 and IPv6
//! transport, host routes of both families, and a router crash.

mod support;

use std::time::Duration;
use support::prereq::{Router, lab_available};
use support::scenario::{self, Setup, start_bird};

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
