//! Our speaker against GoBGP 3.10 in network namespaces: eBGP and iBGP over IPv4 and IPv6
//! transport with host routes of both families, TCP-MD5, and recovery from a router
//! crash, a reset (with GoBGP's hold-down) and a silent path loss.

use lab::prereq::{Router, lab_available};
use lab::scenario::{self, Setup, start_gobgp};
use std::time::Duration;

fn lab(test: &str) -> bool {
    lab_available(test, &[Router::Gobgp])
}

#[test]
fn gobgp_ebgp_over_ipv4_carries_both_families_exactly() {
    if lab("gobgp_ebgp_over_ipv4_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(true, false), start_gobgp);
    }
}

#[test]
fn gobgp_ebgp_over_ipv6_carries_both_families_exactly() {
    if lab("gobgp_ebgp_over_ipv6_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(true, true), start_gobgp);
    }
}

#[test]
fn gobgp_ibgp_over_ipv4_carries_both_families_exactly() {
    if lab("gobgp_ibgp_over_ipv4_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(false, false), start_gobgp);
    }
}

#[test]
fn gobgp_ibgp_over_ipv6_carries_both_families_exactly() {
    if lab("gobgp_ibgp_over_ipv6_carries_both_families_exactly") {
        scenario::session_and_routes(Setup::new(false, true), start_gobgp);
    }
}

#[test]
fn gobgp_session_recovers_after_gobgp_is_killed_and_restarted() {
    if lab("gobgp_session_recovers_after_gobgp_is_killed_and_restarted") {
        scenario::recovers_after_router_restart(Setup::new(true, false), start_gobgp);
    }
}

/// After `gobgp neighbor X reset` GoBGP 3.10 stays Idle for 30 s (its
/// idle-hold-time-after-reset, which its TOML config did not change) and closes every
/// connection we open meanwhile: we must keep retrying, not give up.
#[test]
fn gobgp_session_recovers_after_gobgp_resets_it() {
    if lab("gobgp_session_recovers_after_gobgp_resets_it") {
        scenario::recovers_after_router_resets_session(
            Setup::new(true, false),
            start_gobgp,
            |lab| {
                let ours = lab.setup.our_addr(&lab.pair).to_string();
                lab.router.gobgp(&["neighbor", &ours, "reset"])
            },
            Duration::from_secs(30),
        );
    }
}

#[test]
fn gobgp_session_recovers_after_silent_path_loss() {
    if lab("gobgp_session_recovers_after_silent_path_loss") {
        scenario::recovers_after_silent_path_loss(Setup::new(true, false), start_gobgp);
    }
}

#[test]
fn gobgp_tcp_md5_session_with_matching_password_comes_up() {
    if lab("gobgp_tcp_md5_session_with_matching_password_comes_up") {
        scenario::md5_with_matching_password_comes_up(start_gobgp);
    }
}

#[test]
fn gobgp_tcp_md5_session_with_wrong_password_never_comes_up() {
    if lab("gobgp_tcp_md5_session_with_wrong_password_never_comes_up") {
        scenario::md5_with_wrong_password_never_comes_up(start_gobgp);
    }
}
