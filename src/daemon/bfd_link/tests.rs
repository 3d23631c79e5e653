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
        was_up: true,
        ..Status::default()
    }
}

/// BGP goes down with a BFD session that was Up and is Up no more, unless an AdminDown on
/// either end explains it.
#[test]
fn only_a_failed_path_takes_bgp_down() {
    use State::{AdminDown, Down, Init, Up};
    // (case, (local, remote) before, (local, remote) now, BGP taken down)
    let cases = [
        (
            "bfd up to down takes bgp down",
            (Up, Up),
            (Down, Down),
            true,
        ),
        (
            "bfd down from router admin down leaves bgp alone",
            (Up, Up),
            (Down, AdminDown),
            false,
        ),
        (
            "bfd that was never up leaves bgp alone",
            (Init, Down),
            (Down, Down),
            false,
        ),
        (
            "our own admin down leaves bgp alone",
            (Up, Up),
            (AdminDown, Up),
            false,
        ),
    ];
    for (case, before, now, taken_down) in cases {
        assert_eq!(
            path_failed(&status(before.0, before.1), &status(now.0, now.1)),
            taken_down,
            "{case}"
        );
    }
}

#[test]
fn the_notification_is_cease_bfd_down() {
    let n = bfd_down_notification();
    assert_eq!((n.code, n.subcode), (ErrorCode::Cease, 10));
}
