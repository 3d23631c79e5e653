//! Scenarios of a session meeting trouble and coming back: the router restarted or
//! resetting, a silent path loss, graceful restart with stale routes, TCP-MD5.

use super::*;

/// A lab whose session is up with `count` host routes of each family at the router, and
/// the RIB they make there: where every recovery starts. `before` names that moment in
/// failure messages.
fn lab_with_routes<R: LabRouter>(
    setup: Setup,
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
    count: u16,
    before: &str,
) -> (Lab<R>, Rib) {
    let lab = Lab::new(setup, start);
    lab.wait_established();
    let expected = lab.announce_and_wait(&host_routes(count), before);
    (lab, expected)
}

/// The router is SIGKILLed and started again: our session comes back by itself and the
/// router gets every route again.
pub fn recovers_after_router_restart<R: LabRouter>(
    setup: Setup,
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
) {
    let (mut lab, expected) = lab_with_routes(setup, start, 1000, "the routes before the restart");
    let flaps = lab.peer.status().counters.flaps;

    lab.router.kill();
    // The kernel closes the killed router's sockets: our session must notice.
    wait_until("our session to go down", CONVERGE, || {
        let s = lab.peer.status();
        if s.counters.flaps > flaps {
            Ok(())
        } else {
            Err(format!("still {:?}", s.state))
        }
    });
    lab.router.restart();
    lab.wait_established();
    lab.wait_rib("the routes after the restart", &expected);
}

/// The router resets the session (a Cease NOTIFICATION): our speaker keeps retrying,
/// through the `hold_down` during which the router refuses connections after a reset,
/// and the routes come back.
pub fn recovers_after_router_resets_session<R: LabRouter>(
    setup: Setup,
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
    reset: impl FnOnce(&Lab<R>) -> Result<String, String>,
    hold_down: Duration,
) {
    let (lab, expected) = lab_with_routes(setup, start, 100, "the routes before the reset");
    let before = lab.peer.status().counters;

    reset(&lab).unwrap_or_else(|e| panic!("resetting the session: {e}"));
    wait_until("our session to see the reset", CONVERGE, || {
        let c = lab.peer.status().counters;
        if c.flaps > before.flaps && c.notifications_received > before.notifications_received {
            Ok(())
        } else {
            Err(format!("counters {c:?}"))
        }
    });
    lab.wait_established_within(hold_down + CONVERGE);
    lab.wait_rib("the routes after the reset", &expected);
}

/// Every packet between the router and us is dropped with no link event (a silent
/// failure): both hold timers expire (9 s), the session is torn down on our side, and
/// once the path is back our speaker reconnects and the routes return.
pub fn recovers_after_silent_path_loss<R: LabRouter>(
    setup: Setup,
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
) {
    let (lab, expected) = lab_with_routes(setup, start, 100, "the routes before the loss");
    let flaps = lab.peer.status().counters.flaps;

    lab.pair.partition();
    wait_until("both hold timers to expire", CONVERGE, || {
        let ours = lab.peer.status();
        let theirs = lab.router.session_state()?;
        if ours.counters.flaps > flaps && theirs != "Established" {
            Ok(())
        } else {
            Err(format!(
                "ours {:?} ({} flaps), router {theirs}",
                ours.state, ours.counters.flaps
            ))
        }
    });
    lab.pair.heal();
    lab.wait_established();
    lab.wait_rib("the routes after the path is back", &expected);
}

/// Our peer configuration with graceful restart (RFC 4724): restart time 120 s, and the
/// Restart State bit when `restarting`.
pub fn with_graceful_restart(restarting: bool) -> impl Fn(&mut PeerConfig) {
    move |c: &mut PeerConfig| {
        c.session.graceful_restart = Some(bgp::session::GracefulRestartConfig {
            restart_time: bgp::RestartTime::new(120).expect("a valid constant"),
            restarting,
        });
    }
}

/// Closes our session with `KeepRoutes`, as a rolling upgrade does, and waits until the
/// router sees it go.
fn leave_keeping_routes<R: LabRouter>(lab: &Lab<R>) {
    lab.speaker.shutdown(
        &lab.peer,
        bgp::driver::ShutdownMode::KeepRoutes,
        "rolling upgrade",
    );
    wait_until("the router to see the session go", CONVERGE, || {
        match lab.router.session_state()? {
            s if s == "Established" => Err(s),
            _ => Ok(()),
        }
    });
}

/// Replaces our speaker by a new one whose peer sets the Restart State bit, as the
/// upgraded process does after [`leave_keeping_routes`].
fn come_back_restarting<R: LabRouter>(lab: &mut Lab<R>) {
    let mut config = our_peer_config(&lab.pair, &lab.setup);
    with_graceful_restart(true)(&mut config);
    lab.restart_speaker(config);
}

/// We close with `KeepRoutes` after graceful restart was negotiated: the router keeps our
/// routes while we are away (RFC 4724 section 4.2), and a new speaker that announces
/// them again takes over without the router ever losing one. `kept` checks extra
/// router-specific facts while we are away (e.g. that the paths are marked stale).
pub fn keeps_routes_through_graceful_restart<R: LabRouter>(
    setup: Setup,
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
    kept: impl Fn(&Lab<R>, &[IpNet]) -> Result<(), String>,
) -> Lab<R> {
    let mut lab = Lab::with_peer_config(setup, start, with_graceful_restart(false));
    lab.wait_established();
    let negotiated = lab
        .peer
        .status()
        .negotiated
        .expect("negotiated while Established");
    assert!(
        negotiated.peer_graceful_restart.is_some(),
        "{} sends no graceful restart capability",
        lab.router.describe()
    );
    let routes = host_routes(100);
    let expected = lab.announce_and_wait(&routes, "routes before the restart");

    leave_keeping_routes(&lab);
    crate::holds_for(
        "the router keeping our routes",
        Duration::from_secs(2),
        || {
            rib::compare(&expected, &lab.router.rib()?)?;
            kept(&lab, &routes)
        },
    );

    come_back_restarting(&mut lab);
    lab.announce(&routes);
    lab.wait_established();
    lab.wait_rib("routes after the restart", &expected);
    lab
}

/// After a graceful restart the new session comes up with the Forwarding State bit set,
/// so the router keeps our stale routes (RFC 4724 section 4.2) while the new speaker has
/// not handed over its first decision; only End-of-RIB, sent once the initial set is
/// marked complete, removes the stale routes that were not announced again.
pub fn stale_routes_stay_until_end_of_rib<R: LabRouter>(
    setup: Setup,
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
) {
    let mut lab = Lab::with_peer_config(setup, start, with_graceful_restart(false));
    lab.wait_established();
    let routes = host_routes(100);
    let expected = lab.announce_and_wait(&routes, "routes before the restart");

    leave_keeping_routes(&lab);
    come_back_restarting(&mut lab);
    lab.wait_established();
    crate::holds_for(
        "the router keeping the stale routes on the new session before End-of-RIB",
        Duration::from_secs(3),
        || rib::compare(&expected, &lab.router.rib()?),
    );

    // The first decision keeps half of the routes: End-of-RIB drops the other half.
    let (kept, _gone) = split_half(&routes);
    lab.announce(&kept);
    lab.wait_rib(
        "only the re-announced routes after End-of-RIB",
        &lab.expected(&kept),
    );
}

/// The TCP-MD5 key (RFC 2385) both sides use when they agree.
pub const MD5_PASSWORD: &str = "kube-anycast-md5";

/// With the same TCP-MD5 password on both sides the session comes up and routes flow.
pub fn md5_with_matching_password_comes_up<R: LabRouter>(
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
) {
    let setup = Setup {
        router_password: Some(MD5_PASSWORD.to_string()),
        our_password: Some(MD5_PASSWORD.to_string()),
        ..Setup::new(true, false)
    };
    let lab = Lab::new(setup, start);
    lab.wait_established();
    let routes = host_routes(10);
    lab.announce_and_wait(&routes, "routes over the TCP-MD5 session");
}

/// With different passwords every segment is dropped by the kernel: the session never
/// comes up, observed over several connect retries of both sides (1 s each).
pub fn md5_with_wrong_password_never_comes_up<R: LabRouter>(
    start: impl FnOnce(&NetnsPair, &Setup) -> R,
) {
    let setup = Setup {
        router_password: Some(MD5_PASSWORD.to_string()),
        our_password: Some("not-the-password".to_string()),
        ..Setup::new(true, false)
    };
    let lab = Lab::new(setup, start);
    crate::holds_for(
        "no session with a wrong TCP-MD5 password",
        Duration::from_secs(5),
        || {
            let theirs = lab.router.session_state()?;
            let ours = lab.peer.status();
            if theirs == "Established" || ours.state == State::Established {
                Err(format!(
                    "{} {theirs}, ours {:?}",
                    lab.router.describe(),
                    ours.state
                ))
            } else {
                Ok(())
            }
        },
    );
    let counters = lab.peer.status().counters;
    assert_eq!(counters.messages_received, 0, "{counters:?}");
}
