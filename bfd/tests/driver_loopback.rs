//! The driver against itself over loopback: a session to 127.0.0.1 (or ::1) receives its
//! own packets, which exercises the sockets, the TTL 255 check on receipt and the
//! discriminator demultiplexing without a namespace. A looped session comes Up (Down ->
//! Init on its own Down, then Init -> Up on its own Init), as RFC 5880 allows.

use bfd::State;
use bfd::driver::{Bfd, Hop, PeerSpec};
use bfd::session::SessionConfig;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

async fn wait_up(handle: &bfd::driver::SessionHandle) -> bfd::driver::Status {
    let mut rx = handle.subscribe();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let status = rx.borrow_and_update().clone();
            if status.state() == State::Up {
                return status;
            }
            assert!(status.error.is_none(), "driver error: {:?}", status.error);
            if rx.changed().await.is_err() {
                panic!("driver ended");
            }
        }
    })
    .await
    .expect("session comes Up within the wait")
}

/// One test for both families: the well-known port can be bound once per family.
#[tokio::test]
async fn a_looped_single_hop_session_comes_up_over_ipv4_and_ipv6() {
    let bfd = Bfd::spawn();
    for peer in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        let handle = bfd.add(PeerSpec {
            peer,
            local: None,
            hop: Hop::Single,
            config: SessionConfig::default(),
        });
        let status = wait_up(&handle).await;
        let snapshot = status.session.clone().expect("started");
        assert_eq!(
            snapshot.remote_discriminator, snapshot.local_discriminator,
            "{peer}: its own packets"
        );
        assert!(
            status.was_up && status.transitions >= 2,
            "{peer}: {status:?}"
        );
    }
}
