//! The `bgp` crate's driver run by a test in its own tokio runtime, on loopback addresses
//! and without a namespace: a speaker listening on one address, a session with timers
//! short enough for a test, waiting for a peer's status, and closing a peer at once.

use bgp::driver::{PeerConfig, PeerHandle, PeerStatus, ShutdownMode, Speaker, Transport};
use bgp::session::{SessionConfig, State};
use bgp::{Asn, Family, HoldTime, RouterId};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How long a test waits for a peer to reach a state: generous, as a wait and not a timing
/// assertion.
pub const WAIT: Duration = Duration::from_secs(20);

/// A speaker listening on a free port of `addr`.
pub async fn listening_on(addr: IpAddr) -> Speaker {
    Speaker::bind(Some(SocketAddr::new(addr, 0)))
        .await
        .unwrap_or_else(|e| panic!("bind a speaker on {addr}: {e}"))
}

/// A session from `local` to `peer` with identifier `router_id`: hold time 9 s and connect
/// retries from 200 ms to 1 s, so a test never waits long; both unicast families; no
/// optional capability (graceful restart, hostname, extended message) unless the test
/// sets one.
pub fn session(local: Asn, peer: Asn, router_id: Ipv4Addr, passive: bool) -> SessionConfig {
    SessionConfig {
        local_asn: local,
        peer_asn: peer,
        router_id: RouterId::new(router_id).expect("a non-zero router id"),
        hold_time: HoldTime::new(9).expect("a valid constant"),
        connect_retry: Duration::from_millis(200),
        connect_retry_max: Duration::from_secs(1),
        passive,
        families: Family::ALL.to_vec(),
        graceful_restart: None,
        hostname: None,
        extended_message: false,
        send_hold_time: None,
    }
}

/// A peer towards `remote`, from `local` when given, with no TCP-MD5 key, TTL setting or
/// configured next hop.
pub fn peer(
    name: &str,
    remote: SocketAddr,
    local: Option<IpAddr>,
    session: SessionConfig,
) -> PeerConfig {
    PeerConfig {
        name: name.into(),
        remote,
        transport: Transport {
            local_address: local,
            ..Transport::default()
        },
        next_hop_v4: None,
        next_hop_v6: None,
        session,
    }
}

/// Waits (up to [`WAIT`]) until `f` holds for the peer's status, and returns that status.
/// Panics, naming the peer and `what`, when the wait runs out or the peer's task ends first.
pub async fn wait_for(h: &PeerHandle, what: &str, f: impl Fn(&PeerStatus) -> bool) -> PeerStatus {
    let mut rx = h.watch();
    let res = tokio::time::timeout(WAIT, async {
        loop {
            {
                let s = rx.borrow_and_update();
                if f(&s) {
                    return s.clone();
                }
            }
            if rx.changed().await.is_err() {
                let s = rx.borrow().clone();
                assert!(f(&s), "{}: task ended before {what}: {s:?}", h.name());
                return s;
            }
        }
    })
    .await;
    match res {
        Ok(s) => s,
        Err(_) => panic!(
            "{}: timed out waiting for {what}: {:?}",
            h.name(),
            h.status()
        ),
    }
}

/// Waits until the peer's session is Established.
pub async fn established(h: &PeerHandle) -> PeerStatus {
    wait_for(h, "Established", |s| s.state == State::Established).await
}

/// Closes the peer at once: its routes withdrawn with no drain time, then a Cease carrying
/// `reason`.
pub async fn withdraw_now(h: &PeerHandle, reason: &str) {
    h.shutdown(
        ShutdownMode::Withdraw {
            drain: Duration::ZERO,
        },
        reason,
    )
    .await;
}
