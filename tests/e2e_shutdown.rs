//! A speaker going away, end to end: the real `kube-anycast run` on three nodes of a rack
//! (`lab::e2e`) and a real ToR (FRR, BIRD 2, GoBGP).
//!
//! - SIGTERM (`shutdown.mode: withdraw`): the node's routes leave the ToR while its session
//!   is still Established; on the wire, decoded from a capture in the ToR's namespace
//!   (`lab::wiretap`), the UPDATEs withdrawing every route of the node come before the
//!   NOTIFICATION Cease, in the node -> ToR direction, and the FIN after it; the speaker
//!   exits 0, and started again it announces again.
//! - SIGKILL: the routes leave within the hold time (the kernel closes the socket, so
//!   usually at once); started again, it announces again.
//! - A frozen speaker (SIGSTOP) sends nothing, not even a FIN: its routes leave when the
//!   ToR's hold timer expires; resumed (SIGCONT), it announces again.
//!
//! The times are printed, not asserted: the hold time plus a margin is a deadline of the
//! wait. No speaker log shows a panic.

use ipnet::IpNet;
use lab::CONVERGE;
use lab::e2e::{E2eRack, HOLD_TIME_SECS, Service, left_without, node_address};
use lab::prereq::{Router, lab_available};
use lab::wiretap::{WireEvent, sent_by, tcpdump_available, withdrawn_before_cease};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_kube-anycast");
/// node3: the node each scenario stops (node1 is 0).
const NODE3: usize = 2;

fn rack(router: Router, test: &str) -> Option<E2eRack> {
    lab_available(test, &[router]).then(|| E2eRack::start(router, "ks", Path::new(BINARY), false))
}

/// Both Services' routes without node `i`, the other nodes' still there.
fn routes_left(rack: &E2eRack, i: usize) -> Result<(), String> {
    let routes = rack.routes()?;
    left_without(&routes, Service::Web, i)?;
    left_without(&routes, Service::Api, i)
}

/// Sends node3's speaker `signal` (named `name`) and waits, up to the hold time and a
/// margin for a loaded machine, until node3's routes have left the ToR; prints how long
/// that took.
fn routes_leave_within_the_hold_time_after(rack: &E2eRack, signal: libc::c_int, name: &str) {
    rack.signal_speaker(NODE3, signal);
    let deadline = Duration::from_secs(HOLD_TIME_SECS + 3);
    let gone = rack
        .poll(deadline, |rack| routes_left(rack, NODE3))
        .unwrap_or_else(|e| panic!("{}: after {name}: {e}", rack.tor_name()));
    eprintln!(
        "{}: node3's routes gone {gone:?} after {name} (hold time {HOLD_TIME_SECS} s)",
        rack.tor_name()
    );
}

/// Starts node `i`'s speaker again and waits for the whole rack's routes.
fn restart_announces_again(rack: &mut E2eRack, i: usize) {
    rack.start_speaker(i);
    announces_again(rack);
}

/// Waits until the whole rack's routes are back: web from every node, api from node2 and
/// node3.
fn announces_again(rack: &E2eRack) {
    rack.wait_next_hops("web from every node again", Service::Web, &[0, 1, 2]);
    rack.wait_next_hops("api from node2 and node3 again", Service::Api, &[1, 2]);
}

fn sigterm_withdraws_while_the_session_is_up_then_notifies_and_closes(router: Router, test: &str) {
    let Some(mut rack) = rack(router, test) else {
        return;
    };
    assert!(
        tcpdump_available(),
        "{test}: tcpdump is missing: run testbed/install-deps.sh"
    );
    let capture = rack.capture(NODE3);
    rack.signal_speaker(NODE3, libc::SIGTERM);
    // The routes leave while the session is still Established: checked on the same poll,
    // routes first, then the session.
    let gone = rack
        .poll(CONVERGE, |rack| {
            routes_left(rack, NODE3)?;
            match rack.session_state(NODE3)?.as_str() {
                "Established" => Ok(()),
                other => panic!("node3's routes left only with its session ({other})"),
            }
        })
        .unwrap_or_else(|e| panic!("{}: node3's routes never left: {e}", rack.tor_name()));
    let down = rack
        .poll(CONVERGE, |rack| match rack.session_state(NODE3)?.as_str() {
            "Established" => Err("still Established".to_string()),
            _ => Ok(()),
        })
        .unwrap_or_else(|e| panic!("{}: the session never closed: {e}", rack.tor_name()));
    eprintln!(
        "{}: node3's routes gone {gone:?} after SIGTERM, session still Established; the session left Established {down:?} after them",
        rack.tor_name()
    );
    let code = rack.wait_speaker_exit(NODE3);
    let log = rack.speaker_log_text(NODE3);
    assert_eq!(code, Some(0), "node3's exit code\n{log}");
    assert!(log.contains("stopped"), "node3 says it stopped:\n{log}");

    let node3 = node_address(NODE3, false);
    let streams = capture
        .finish_when("node3's FIN", |streams| {
            sent_by(streams, node3).contains(&WireEvent::Fin)
        })
        .expect("the capture decodes");
    let sent = sent_by(&streams, node3);
    let prefixes: BTreeSet<IpNet> = Service::ALL.iter().flat_map(|s| s.prefixes()).collect();
    let order = withdrawn_before_cease(&sent, &prefixes)
        .unwrap_or_else(|e| panic!("{}: node3 -> ToR: {e}", rack.tor_name()));
    eprintln!("{}: node3 -> ToR {order}", rack.tor_name());

    restart_announces_again(&mut rack, NODE3);
    rack.assert_no_panic();
}

/// How a scenario stops node3's speaker without a SIGTERM, and how the speaker returns.
#[derive(Clone, Copy)]
enum Stop {
    /// SIGKILL: the process is gone (no exit code) and is started again.
    Kill,
    /// SIGSTOP: the process is frozen; SIGCONT resumes the same one.
    Freeze,
}

/// node3's speaker stopped by `stop`: its routes leave within the hold time, and come back
/// with the speaker.
fn routes_leave_within_the_hold_time_and_return(router: Router, test: &str, stop: Stop) {
    let Some(mut rack) = rack(router, test) else {
        return;
    };
    match stop {
        Stop::Kill => {
            routes_leave_within_the_hold_time_after(&rack, libc::SIGKILL, "SIGKILL");
            assert_eq!(rack.wait_speaker_exit(NODE3), None, "killed, no exit code");
            restart_announces_again(&mut rack, NODE3);
        }
        Stop::Freeze => {
            routes_leave_within_the_hold_time_after(&rack, libc::SIGSTOP, "SIGSTOP");
            rack.signal_speaker(NODE3, libc::SIGCONT);
            let back = rack
                .poll(CONVERGE, |rack| {
                    let hops = rack.next_hops_of(Service::Web.prefix(false))?;
                    match hops.contains(&node_address(NODE3, false)) {
                        true => Ok(()),
                        false => Err(format!("web via {hops:?}")),
                    }
                })
                .unwrap_or_else(|e| panic!("{}: after SIGCONT: {e}", rack.tor_name()));
            eprintln!(
                "{}: node3 announces again {back:?} after SIGCONT",
                rack.tor_name()
            );
            announces_again(&rack);
            assert!(
                rack.speaker_running(NODE3),
                "the same speaker resumed, not a new one"
            );
        }
    }
    rack.assert_no_panic();
}

fn sigkill_routes_leave_within_the_hold_time_and_a_restart_announces_again(
    router: Router,
    test: &str,
) {
    routes_leave_within_the_hold_time_and_return(router, test, Stop::Kill);
}

fn frozen_speaker_routes_leave_within_the_hold_time_and_return_after_sigcont(
    router: Router,
    test: &str,
) {
    routes_leave_within_the_hold_time_and_return(router, test, Stop::Freeze);
}

lab::for_routers!(sigterm_withdraws_while_the_session_is_up_then_notifies_and_closes);
lab::for_routers!(sigkill_routes_leave_within_the_hold_time_and_a_restart_announces_again);
lab::for_routers!(frozen_speaker_routes_leave_within_the_hold_time_and_return_after_sigcont);
