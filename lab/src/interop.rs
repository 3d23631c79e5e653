//! The interop suite every router passes, written once: each router's test file
//! (`bgp/tests/interop_*.rs`) instantiates it with [`interop_suite!`](crate::interop_suite)
//! and adds only the tests that read something particular to that router.
//!
//! What the suite needs to know of a router beyond [`LabRouter`] is in [`InteropRouter`]:
//! how it is started for a session shape, and how it resets our session; a router that
//! shows the host name we send also says where ([`ShowsHostname`]). The router-specific
//! tests start from [`run`], or from [`with_routes`] for a session that carries routes.

use crate::bird::Bird;
use crate::frr::Frr;
use crate::gobgp::Gobgp;
use crate::netns::NetnsPair;
use crate::prereq::{Router, lab_available};
use crate::rib::Rib;
use crate::scenario::{self, Lab, Setup};
use crate::{CONVERGE, LabRouter, wait_until};
use bgp::driver::PeerCounters;
use bgp::session::Negotiated;
use std::time::Duration;

/// A router the interop suite runs against.
pub trait InteropRouter: LabRouter + Sized {
    /// The router's binaries, as the lab checks for them.
    const ROUTER: Router;

    /// How long the router refuses our connections after it reset the session.
    const RESET_HOLD_DOWN: Duration;

    /// Starts the router on side A, peering with our address on side B.
    const START: fn(&NetnsPair, &Setup) -> Self;

    /// Makes the router reset our session with a Cease, as an operator would.
    fn reset_session(lab: &Lab<Self>) -> Result<String, String>;
}

impl InteropRouter for Frr {
    const ROUTER: Router = Router::Frr;
    const RESET_HOLD_DOWN: Duration = Duration::ZERO;
    const START: fn(&NetnsPair, &Setup) -> Frr = scenario::start_frr;

    /// `clear bgp <our address>`: FRR keys its neighbors by our address.
    fn reset_session(lab: &Lab<Frr>) -> Result<String, String> {
        let ours = lab.setup.our_addr(&lab.pair);
        lab.router.vtysh(&format!("clear bgp {ours}"))
    }
}

impl InteropRouter for Bird {
    const ROUTER: Router = Router::Bird;
    /// `error wait time 1, 10` in the lab's config.
    const RESET_HOLD_DOWN: Duration = Duration::from_secs(10);
    const START: fn(&NetnsPair, &Setup) -> Bird = scenario::start_bird;

    /// `birdc restart <protocol>`: BIRD restarts the protocol towards us.
    fn reset_session(lab: &Lab<Bird>) -> Result<String, String> {
        lab.router.birdc(&["restart", scenario::BIRD_PROTOCOL])
    }
}

impl InteropRouter for Gobgp {
    const ROUTER: Router = Router::Gobgp;
    /// After `gobgp neighbor X reset` GoBGP 3.10 stays Idle for 30 s (its
    /// idle-hold-time-after-reset, which its TOML config did not change) and closes every
    /// connection we open meanwhile: we must keep retrying, not give up.
    const RESET_HOLD_DOWN: Duration = Duration::from_secs(30);
    const START: fn(&NetnsPair, &Setup) -> Gobgp = scenario::start_gobgp;

    /// `gobgp neighbor <our address> reset`.
    fn reset_session(lab: &Lab<Gobgp>) -> Result<String, String> {
        let ours = lab.setup.our_addr(&lab.pair).to_string();
        lab.router.gobgp(&["neighbor", &ours, "reset"])
    }
}

/// Runs `scenario` against `R` when the lab can run it; `test` names it in the message
/// when it cannot.
pub fn run<R: InteropRouter>(test: &str, scenario: impl FnOnce()) {
    if lab_available(test, &[R::ROUTER]) {
        scenario();
    }
}

/// `R` on an eBGP session over IPv4, Established: where the fixtures here start.
fn established<R: InteropRouter>() -> Lab<R> {
    let lab = Lab::new(Setup::new(true, false), R::START);
    lab.wait_established();
    lab
}

/// Runs `test` (its name in `name`) when the lab can run it, on an Established eBGP
/// session over IPv4 with 100 host routes announced and in the router's table exactly;
/// `test` gets the lab and that table, to change something and check the table again.
pub fn with_routes<R: InteropRouter>(name: &str, test: impl FnOnce(Lab<R>, Rib)) {
    run::<R>(name, || {
        let lab = established::<R>();
        let expected = lab.announce_and_wait(&scenario::host_routes(100), "the routes announced");
        test(lab, expected);
    });
}

/// A router that shows the host name its peer sends in the hostname capability
/// (draft-walton-bgp-hostname-capability).
pub trait ShowsHostname: InteropRouter {
    /// The host name the router shows for our session, and the output it was read from,
    /// for the failure message.
    fn hostname_shown(lab: &Lab<Self>) -> (Option<String>, String);
}

impl ShowsHostname for Frr {
    /// The `hostname` of FRR's neighbor, keyed by our address.
    fn hostname_shown(lab: &Lab<Frr>) -> (Option<String>, String) {
        let neighbor = lab
            .router
            .neighbor(lab.setup.our_addr(&lab.pair))
            .expect("FRR neighbor");
        let hostname = neighbor.get("hostname").and_then(|h| h.as_str());
        (hostname.map(String::from), neighbor.to_string())
    }
}

impl ShowsHostname for Bird {
    /// The `Hostname:` line of `birdc show protocols all <protocol>`.
    fn hostname_shown(lab: &Lab<Bird>) -> (Option<String>, String) {
        let out = lab
            .router
            .birdc(&["show", "protocols", "all", scenario::BIRD_PROTOCOL])
            .expect("birdc");
        let hostname = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("Hostname:"))
            .map(|h| h.trim().to_string());
        (hostname, out)
    }
}

/// The router shows the host name our speaker sends.
pub fn shows_our_hostname<R: ShowsHostname>() {
    let lab = established::<R>();
    let (hostname, output) = R::hostname_shown(&lab);
    assert_eq!(
        hostname.as_deref(),
        Some(scenario::OUR_HOSTNAME),
        "{output}"
    );
}

/// Waits until our peer's counters satisfy `done` (`what` says what that means, for the
/// failure message, which shows the counters).
pub fn wait_counters<R: LabRouter>(lab: &Lab<R>, what: &str, done: impl Fn(&PeerCounters) -> bool) {
    wait_until(what, CONVERGE, || {
        let c = lab.peer.status().counters;
        if done(&c) {
            Ok(())
        } else {
            Err(format!("counters {c:?}"))
        }
    });
}

/// What our speaker negotiated with the router; the session must be Established.
pub fn negotiated<R: LabRouter>(lab: &Lab<R>) -> Negotiated {
    lab.peer
        .status()
        .negotiated
        .expect("negotiated while Established")
}

/// The router resets the session: our speaker keeps retrying through the router's
/// hold-down, and the routes come back ([`scenario::recovers_after_router_resets_session`]).
pub fn recovers_after_the_router_resets_the_session<R: InteropRouter>(setup: Setup) {
    scenario::recovers_after_router_resets_session(
        setup,
        R::START,
        R::reset_session,
        R::RESET_HOLD_DOWN,
    );
}

/// The interop tests, one `#[test]` each, for a router type that implements
/// [`InteropRouter`], in a module named after the group:
///
/// - `every_router`: the session and its routes over eBGP and iBGP on both transports, and
///   the recoveries and TCP-MD5 cases of [`scenario`];
/// - `graceful_restart_helper`: the routers that keep our routes while we restart
///   (RFC 4724): the stale routes stay until our End-of-RIB;
/// - `hostname_capability`: the routers that show the host name we send
///   ([`ShowsHostname`]).
#[macro_export]
macro_rules! interop_suite {
    (every_router: $router:ty) => {
        $crate::interop_suite!(@tests every_router, $router;
            ebgp_over_ipv4_carries_both_families_exactly => session_and_routes(true, false),
            ebgp_over_ipv6_carries_both_families_exactly => session_and_routes(true, true),
            ibgp_over_ipv4_carries_both_families_exactly => session_and_routes(false, false),
            ibgp_over_ipv6_carries_both_families_exactly => session_and_routes(false, true),
            session_recovers_after_the_router_is_killed_and_restarted => recovers_after_router_restart(true, false),
            session_recovers_after_the_router_resets_it => recovers_after_the_router_resets_the_session(true, false),
            session_recovers_after_silent_path_loss => recovers_after_silent_path_loss(true, false),
            tcp_md5_session_with_matching_password_comes_up => md5_with_matching_password_comes_up(),
            tcp_md5_session_with_wrong_password_never_comes_up => md5_with_wrong_password_never_comes_up(),
        );
    };
    (graceful_restart_helper: $router:ty) => {
        $crate::interop_suite!(@tests graceful_restart_helper, $router;
            keeps_stale_routes_on_the_new_session_until_our_end_of_rib => stale_routes_stay_until_end_of_rib(true, false),
        );
    };
    (hostname_capability: $router:ty) => {
        $crate::interop_suite!(@tests hostname_capability, $router;
            shows_the_host_name_we_send => shows_our_hostname(),
        );
    };
    (@tests $group:ident, $router:ty; $($name:ident => $scenario:ident($($ebgp:literal, $ipv6:literal)?)),* $(,)?) => {
        mod $group {
            $(
                #[test]
                fn $name() {
                    $crate::interop::run::<$router>(
                        concat!(module_path!(), "::", stringify!($name)),
                        || $crate::interop_suite!(@call $router, $scenario($($ebgp, $ipv6)?)),
                    );
                }
            )*
        }
    };
    (@call $router:ty, recovers_after_the_router_resets_the_session($ebgp:literal, $ipv6:literal)) => {
        $crate::interop::recovers_after_the_router_resets_the_session::<$router>(
            $crate::scenario::Setup::new($ebgp, $ipv6),
        )
    };
    (@call $router:ty, shows_our_hostname()) => {
        $crate::interop::shows_our_hostname::<$router>()
    };
    (@call $router:ty, $scenario:ident($ebgp:literal, $ipv6:literal)) => {
        $crate::scenario::$scenario(
            $crate::scenario::Setup::new($ebgp, $ipv6),
            <$router as $crate::interop::InteropRouter>::START,
        )
    };
    (@call $router:ty, $scenario:ident()) => {
        $crate::scenario::$scenario(<$router as $crate::interop::InteropRouter>::START)
    };
}
