use super::*;
use bfd::session::{Session, SessionConfig};
use std::num::NonZeroU32;
use std::time::Instant;

fn status(state: State, remote: State) -> Status {
    let session = Session::new(
        SessionConfig::default(),
        NonZeroU32::MIN,
        Box::new(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1)),
        Instant::now(),
    );
    let mut snapshot = session.snapshot();
    snapshot.state = state;
    snapshot.remote_state = remote;
    Status {
        session: Some(snapshot),
        transitions: 0,
        was_up: true,
        error: None,
        received: 0,
        sent: 0,
    }
}

#[test]
fn bfd_up_to_down_takes_bgp_down() {
    assert!(path_failed(
        &status(State::Up, State::Up),
        &status(State::Down, State::Down)
    ));
}

#[test]
fn bfd_down_from_router_admin_down_leaves_bgp_alone() {
    assert!(!path_failed(
        &status(State::Up, State::Up),
        &status(State::Down, State::AdminDown)
    ));
}

#[test]
fn bfd_that_was_never_up_leaves_bgp_alone() {
    assert!(!path_failed(
        &status(State::Init, State::Down),
        &status(State::Down, State::Down)
    ));
}

#[test]
fn our_own_admin_down_leaves_bgp_alone() {
    assert!(!path_failed(
        &status(State::Up, State::Up),
        &status(State::AdminDown, State::Up)
    ));
}

#[test]
fn the_notification_is_cease_bfd_down() {
    let n = bfd_down_notification();
    assert_eq!((n.code, n.subcode), (ErrorCode::Cease, 10));
}
