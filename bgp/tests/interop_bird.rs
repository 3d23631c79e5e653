//! Our speaker against BIRD 2 in network namespaces: eBGP and iBGP over IPv4 and IPv6
//! transport with host routes of both families, TCP-MD5, route refresh, the hostname
//! capability, graceful restart, and recovery from a router crash, a protocol restart
//! and a silent path loss.

use lab::bird::Bird;
use lab::interop;
use lab::scenario::{self, Setup, start_bird};

lab::interop_suite!(every_router: lab::bird::Bird);
lab::interop_suite!(graceful_restart_helper: lab::bird::Bird);
lab::interop_suite!(hostname_capability: lab::bird::Bird);

/// `birdc reload in` makes BIRD send a ROUTE-REFRESH (it keeps no copy of what it
/// received): we send the routes again and BIRD's table stays whole.
#[test]
fn bird_route_refresh_request_is_answered_with_the_routes_again() {
    interop::with_routes::<Bird>(
        "bird_route_refresh_request_is_answered_with_the_routes_again",
        |lab, expected| {
            let before = lab.peer.status().counters;

            lab.router
                .birdc(&["reload", "in", scenario::BIRD_PROTOCOL])
                .expect("birdc reload in");
            interop::wait_counters(&lab, "our speaker to send the routes again", |c| {
                c.updates_sent > before.updates_sent
                    && c.messages_received > before.messages_received
            });
            lab.wait_rib("routes after the refresh", &expected);
            assert_eq!(lab.peer.status().counters.flaps, before.flaps);
        },
    );
}

/// BIRD is graceful restart aware by default: it keeps our routes while we restart.
#[test]
fn bird_keeps_our_routes_while_we_restart_gracefully() {
    interop::run::<Bird>("bird_keeps_our_routes_while_we_restart_gracefully", || {
        scenario::keeps_routes_through_graceful_restart(
            Setup::new(true, false),
            start_bird,
            |_, _| Ok(()),
        );
    });
}
