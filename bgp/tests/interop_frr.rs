//! Our speaker against FRR 8.4 (bgpd + zebra) in network namespaces: eBGP and iBGP over
//! IPv4 and IPv6 transport with host routes of both families, sessions opened by one side
//! only, TCP-MD5, route refresh, the hostname capability, shutdown with withdrawal and
//! with graceful restart, and recovery from a router crash, a reset and a silent path
//! loss.

use bgp::driver::ShutdownMode;
use lab::frr::Frr;
use lab::interop;
use lab::scenario::{self, Opener, Setup, start_frr};
use lab::{CONVERGE, wait_until};
use std::time::Duration;

lab::interop_suite!(every_router: lab::frr::Frr);
lab::interop_suite!(graceful_restart_helper: lab::frr::Frr);
lab::interop_suite!(hostname_capability: lab::frr::Frr);

/// Either side alone opens the session. FRR connects: our listener accepts the connection
/// and hands it to the peer (no outbound attempt). We connect: no listening socket on our
/// side, FRR waits passively.
#[test]
fn frr_session_comes_up_when_only_one_side_connects() {
    let cases = [
        (
            "only FRR connects, eBGP over IPv6",
            Opener::Router,
            Setup::new(true, true),
        ),
        (
            "only we connect, iBGP over IPv4",
            Opener::Us,
            Setup::new(false, false),
        ),
    ];
    interop::run::<Frr>("frr_session_comes_up_when_only_one_side_connects", || {
        for (case, opener, setup) in cases {
            // The scenario's own messages do not know the opener: the case goes to the
            // output the test prints when it fails.
            eprintln!("case: {case}");
            scenario::session_and_routes(Setup { opener, ..setup }, start_frr);
        }
    });
}

#[test]
fn frr_route_refresh_request_is_answered_with_the_routes_again() {
    interop::with_routes::<Frr>(
        "frr_route_refresh_request_is_answered_with_the_routes_again",
        |lab, expected| {
            assert!(
                interop::negotiated(&lab).route_refresh,
                "FRR announces route refresh"
            );

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
        },
    );
}

#[test]
fn frr_loses_every_route_then_gets_a_cease_with_our_reason_on_withdraw_shutdown() {
    interop::with_routes::<Frr>(
        "frr_loses_every_route_then_gets_a_cease_with_our_reason_on_withdraw_shutdown",
        |lab, _| {
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
        },
    );
}

#[test]
fn frr_keeps_our_routes_while_we_restart_gracefully() {
    interop::run::<Frr>("frr_keeps_our_routes_while_we_restart_gracefully", || {
        // FRR is a graceful restart helper by default; it marks the kept paths stale.
        let lab = scenario::keeps_routes_through_graceful_restart(
            Setup::new(true, false),
            start_frr,
            |lab, routes| match lab.router.stale_paths()? {
                n if n == routes.len() => Ok(()),
                n => Err(format!("{n} stale paths, want {}", routes.len())),
            },
        );
        // Our End-of-RIB ends the stale period: the re-announced paths replace the stale
        // ones.
        wait_until("FRR to have no stale path left", CONVERGE, || {
            match lab.router.stale_paths()? {
                0 => Ok(()),
                n => Err(format!("{n} stale paths")),
            }
        });
    });
}
