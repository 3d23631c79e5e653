//! Our BFD against FRR's bfdd and BIRD 2's `protocol bfd` in network namespaces, over
//! IPv4 and IPv6: the session comes Up, each router's own view agrees with ours on state
//! and intervals, and a timer change made at runtime on either side is taken by the other
//! (a Poll Sequence answered with Final) without the session going down.
//!
//! Needs root and the routers; without root each test prints `skipped: ...` and passes.
//! The detection time after a link cut is printed, never asserted.

use bfd::State;
use bfd::driver::{Bfd, Hop, PeerSpec, SessionHandle, Status};
use bfd::session::SessionConfig;
use lab::bfd_routers::{BirdBfd, RouterView, Timers};
use lab::netns::NetnsPair;
use lab::prereq::{Router, lab_available, tools_available};
use lab::speaker::NsRuntime;
use lab::{CONVERGE, wait_until};
use std::num::NonZeroU8;
use std::time::{Duration, Instant};

/// The router's timers as the session comes up: the same as ours (see [`ours`]), so that
/// both views agree at 300 ms x 3 before either side changes them.
const START: Timers = Timers {
    tx_ms: 300,
    rx_ms: 300,
    multiplier: 3,
};

fn lab(test: &str, router: Router) -> bool {
    lab_available(test, &[router]) && (router != Router::Frr || tools_available(test, &["bfdd"]))
}

fn config(tx: u64, rx: u64, mult: u8) -> SessionConfig {
    SessionConfig {
        desired_min_tx: Duration::from_millis(tx),
        required_min_rx: Duration::from_millis(rx),
        detect_mult: NonZeroU8::new(mult).expect("nonzero"),
    }
}

/// Starts our session in side B of `pair`, to side A.
fn ours(rt: &NsRuntime, pair: &NetnsPair, ipv6: bool) -> SessionHandle {
    let spec = PeerSpec {
        peer: pair.a.addr(ipv6),
        local: Some(pair.b.addr(ipv6)),
        hop: Hop::Single,
        config: config(300, 300, 3),
    };
    rt.run(async move { Bfd::spawn().add(spec) })
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Our state, our view of the router's timers, or why it is not there yet.
fn our_view(h: &SessionHandle) -> Result<(Status, bfd::session::Snapshot), String> {
    let status = h.status();
    if let Some(e) = &status.error {
        return Err(format!("driver error: {e}"));
    }
    let snapshot = status.session.clone().ok_or("not started")?;
    Ok((status, snapshot))
}

fn both_up(h: &SessionHandle, router: impl Fn() -> Result<RouterView, String>) -> u64 {
    wait_until("both ends Up", CONVERGE, || {
        let (status, s) = our_view(h)?;
        let r = router()?;
        if s.state != State::Up || r.state != "up" {
            return Err(format!("ours {}, router {}", s.state, r.state));
        }
        if s.polling {
            return Err("our Poll Sequence still running".into());
        }
        Ok(status.transitions)
    })
}

/// Cuts B's link and prints how long the router took to see the session down.
fn print_failover(pair: &NetnsPair, what: &str, router: impl Fn() -> Result<RouterView, String>) {
    let start = Instant::now();
    lab::process::must(
        "ip",
        &["-n", &pair.b.ns, "link", "set", &pair.b.ifname, "down"],
    );
    let ok = wait_until("the router to see BFD down", CONVERGE, || {
        let r = router()?;
        if r.state == "up" {
            Err("still up".into())
        } else {
            Ok(r.state)
        }
    });
    eprintln!(
        "{what}: link cut -> router's BFD {ok} after {} ms (polled every 200 ms by the test)",
        start.elapsed().as_millis()
    );
}

fn frr_interop(test: &str, ipv6: bool) {
    if !lab(test, Router::Frr) {
        return;
    }
    let pair = NetnsPair::new();
    let frr =
        lab::bfd_routers::FrrBfd::start(&pair.a.ns, pair.b.addr(ipv6), pair.a.addr(ipv6), START);
    let rt = NsRuntime::new(&pair.b.ns);
    let mut handle = ours(&rt, &pair, ipv6);
    let router = || frr.view();
    let transitions = both_up(&handle, router);

    // The router's view agrees with ours, both ways.
    wait_until("views to agree at 300 ms x 3", CONVERGE, || {
        let (_, s) = our_view(&handle)?;
        let r = frr.view()?;
        let want = (Some(300), Some(300));
        let got = (r.remote_tx_ms, r.remote_rx_ms);
        let ours = (
            ms(s.remote_desired_min_tx),
            ms(s.remote_required_min_rx),
            s.remote_detect_mult,
        );
        if got == want && ours == (300, 300, 3) && ms(s.detection_time) == 900 {
            Ok(())
        } else {
            Err(format!(
                "router heard {got:?}, we heard {ours:?}, detection {:?}: {}",
                s.detection_time,
                frr.log_tail()
            ))
        }
    });

    // Our runtime change reaches bfdd through Poll/Final.
    takes_our_new_timers("bfdd", &mut handle, router, |r, s| {
        (r.remote_tx_ms, r.remote_rx_ms) == (Some(500), Some(500)) && ms(s.tx_interval) == 500
    });

    // bfdd's runtime change reaches us the same way.
    takes_the_routers_new_timers(&handle, transitions, |t| {
        frr.set_timers(t).expect("vtysh accepts the new timers");
    });

    print_failover(&pair, test, || frr.view());
    drop(handle);
}

/// We change our timers at runtime to 500 ms x 3: `router` (named `name`) shows it took
/// them (`took`, given its view and ours) once our Poll Sequence has ended.
fn takes_our_new_timers(
    name: &str,
    handle: &mut SessionHandle,
    router: impl Fn() -> Result<RouterView, String>,
    took: impl Fn(&RouterView, &bfd::session::Snapshot) -> bool,
) {
    handle.set_config(config(500, 500, 3));
    wait_until(&format!("{name} to take our new timers"), CONVERGE, || {
        let (_, s) = our_view(handle)?;
        let r = router()?;
        if took(&r, &s) && !s.polling {
            Ok(())
        } else {
            Err(format!("{name} shows {r:?}, polling {}", s.polling))
        }
    });
}

/// The router changes its timers at runtime to 200 ms / 400 ms x 5 (`set` does it): we
/// take them through its Poll Sequence, with detection = its multiplier x max(our 500 ms
/// RX, its 200 ms TX), and the session never went down (`transitions` as it came Up).
fn takes_the_routers_new_timers(
    handle: &SessionHandle,
    transitions: u64,
    set: impl FnOnce(Timers),
) {
    set(Timers {
        tx_ms: 200,
        rx_ms: 400,
        multiplier: 5,
    });
    wait_until("us to take the router's new timers", CONVERGE, || {
        let (_, s) = our_view(handle)?;
        let got = (
            ms(s.remote_desired_min_tx),
            ms(s.remote_required_min_rx),
            s.remote_detect_mult,
        );
        if got == (200, 400, 5) && ms(s.detection_time) == 2500 {
            Ok(())
        } else {
            Err(format!(
                "we heard {got:?}, detection {:?}",
                s.detection_time
            ))
        }
    });
    let (status, s) = our_view(handle).expect("running");
    assert_eq!(s.state, State::Up);
    assert_eq!(
        status.transitions, transitions,
        "timer changes never took the session down"
    );
}

fn bird_interop(test: &str, ipv6: bool) {
    if !lab(test, Router::Bird) {
        return;
    }
    let pair = NetnsPair::new();
    let bird = BirdBfd::start(
        &pair.a.ns,
        pair.a.v4,
        pair.b.addr(ipv6),
        pair.a.addr(ipv6),
        START,
    );
    let rt = NsRuntime::new(&pair.b.ns);
    let mut handle = ours(&rt, &pair, ipv6);
    let transitions = both_up(&handle, || bird.view());

    // BIRD's interval is max(its TX, our RX), its timeout our multiplier x max(its RX,
    // our TX): 300 ms and 900 ms; ours mirror them.
    wait_until("views to agree at 300 ms x 3", CONVERGE, || {
        let (_, s) = our_view(&handle)?;
        let r = bird.view()?;
        let ours = (ms(s.tx_interval), ms(s.detection_time));
        if (r.tx_ms, r.detect_ms) == (Some(300), Some(900)) && ours == (300, 900) {
            Ok(())
        } else {
            Err(format!(
                "BIRD {:?}/{:?}, ours {ours:?}: {}",
                r.tx_ms,
                r.detect_ms,
                bird.log_tail()
            ))
        }
    });

    takes_our_new_timers(
        "BIRD",
        &mut handle,
        || bird.view(),
        |r, _| (r.tx_ms, r.detect_ms) == (Some(500), Some(1500)),
    );

    takes_the_routers_new_timers(&handle, transitions, |t| {
        bird.set_timers(t).expect("birdc configure");
    });

    print_failover(&pair, test, || bird.view());
    drop(handle);
}

#[test]
fn frr_bfdd_agrees_over_ipv4() {
    frr_interop("frr_bfdd_agrees_over_ipv4", false);
}

#[test]
fn frr_bfdd_agrees_over_ipv6() {
    frr_interop("frr_bfdd_agrees_over_ipv6", true);
}

#[test]
fn bird_bfd_agrees_over_ipv4() {
    bird_interop("bird_bfd_agrees_over_ipv4", false);
}

#[test]
fn bird_bfd_agrees_over_ipv6() {
    bird_interop("bird_bfd_agrees_over_ipv6", true);
}
