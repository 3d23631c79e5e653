use super::*;
use crate::status::tests::{failed_peer, row};
use bfd::session::{Session, SessionConfig};
use std::num::NonZeroU32;
use std::time::Instant;

fn fresh() -> Status {
    let session = Session::new(
        SessionConfig::default(),
        NonZeroU32::MIN,
        Box::new(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1)),
        Instant::now(),
    );
    Status {
        session: Some(session.snapshot()),
        ..Status::default()
    }
}

#[test]
fn a_session_never_heard_from_says_to_check_the_router_and_that_bgp_runs() {
    let why = not_up(&fresh()).expect("not up");
    assert!(why.contains("no BFD packet from the router yet"), "{why}");
    assert!(
        why.ends_with("BGP runs without BFD until it is up"),
        "{why}"
    );
}

#[test]
fn a_socket_error_is_the_reason_shown() {
    let mut s = fresh();
    s.error = Some("cannot bind UDP port 3784: address in use".into());
    assert!(
        not_up(&s)
            .expect("not up")
            .starts_with("cannot bind UDP port 3784")
    );
}

#[test]
fn an_up_session_has_no_reason() {
    let mut s = fresh();
    if let Some(snapshot) = &mut s.session {
        snapshot.state = State::Up;
    }
    assert_eq!(not_up(&s), None);
    assert_eq!(BfdView::of(&s).state, "up");
}

#[test]
fn the_view_shows_configured_timers_in_milliseconds() {
    let v = BfdView::of(&fresh());
    assert_eq!((v.min_tx_ms, v.min_rx_ms, v.multiplier), (300, 300, 3));
    assert_eq!(
        v.tx_interval_ms, 1000,
        "1 s until Up (RFC 5880 section 6.8.3)"
    );
}

#[test]
fn metrics_show_the_state_and_the_transitions_per_peer() {
    let mut status = fresh();
    status.transitions = 4;
    if let Some(snapshot) = &mut status.session {
        snapshot.state = State::Up;
    }
    let (_tx, rx) = tokio::sync::watch::channel(status);
    let observed = std::sync::Arc::new(crate::status::Observed::default());
    *observed.peers.lock().unwrap() = vec![crate::status::ObservedPeer {
        bfd: Some(rx),
        ..failed_peer("tor", "not relevant here")
    }];
    let metrics = std::sync::Arc::new(crate::metrics::Metrics::default());
    let text = crate::metrics::encode(&crate::metrics::registry(&metrics, &observed));
    for line in [
        "kube_anycast_bfd_session_state{peer=\"tor\",state=\"up\"} 1",
        "kube_anycast_bfd_session_state{peer=\"tor\",state=\"down\"} 0",
        "kube_anycast_bfd_transitions_total{peer=\"tor\"} 4",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing in:\n{text}"
        );
    }
}

#[test]
fn status_text_has_a_bfd_row_saying_why_it_is_not_up() {
    let peer = crate::status::PeerView {
        state: crate::readiness::PeerCondition::Session(bgp::session::State::Established),
        uptime_seconds: Some(5),
        last_error: None,
        bfd: Some(BfdView::of(&fresh())),
        ..crate::status::PeerView::of(&failed_peer("tor", "not relevant here"))
    };
    let mut text = String::new();
    crate::status::render_text_bfd(&mut text, std::slice::from_ref(&peer));
    let row = row(&text, "tor");
    assert!(row.contains("300/300x3"), "{row}");
    assert!(row.contains("no BFD packet from the router yet"), "{row}");
    let mut none = String::new();
    crate::status::render_text_bfd(&mut none, &[crate::status::PeerView { bfd: None, ..peer }]);
    assert!(none.is_empty(), "no table without BFD peers: {none}");
}
