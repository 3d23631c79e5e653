//! Two speakers of this crate peer with each other over loopback.

use bgp::Asn;
use bgp::driver::{PeerConfig, PeerHandle, RouteChange, ShutdownMode, Speaker};
use bgp::rib_out::RouteAttributes;
use bgp::session::{GracefulRestartConfig, SessionConfig, State};
use lab::local_peer::{self, WAIT, established, listening_on, wait_for, withdraw_now};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

const A_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const B_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A loopback session that also sends the hostname and extended message capabilities.
fn session(local: u32, peer: u32, id: &str, passive: bool) -> SessionConfig {
    SessionConfig {
        hostname: Some("loopback".into()),
        extended_message: true,
        ..local_peer::session(Asn(local), Asn(peer), id.parse().unwrap(), passive)
    }
}

fn peer(name: &str, remote: SocketAddr, local: IpAddr, session: SessionConfig) -> PeerConfig {
    local_peer::peer(name, remote, Some(local), session)
}

fn ip(addr: &str) -> IpAddr {
    addr.parse().unwrap()
}

/// Waits until both peers are Established.
async fn both_established(ha: &PeerHandle, hb: &PeerHandle) {
    established(ha).await;
    established(hb).await;
}

/// A's peer towards B and B's towards A, each from its own address: each side is its
/// speaker, where it reaches the other, and its session.
fn peers_to_each_other(
    (a, to_b, a_session): (&Speaker, SocketAddr, SessionConfig),
    (b, to_a, b_session): (&Speaker, SocketAddr, SessionConfig),
) -> (PeerHandle, PeerHandle) {
    let hb = b.add_peer(peer("b-to-a", to_a, B_ADDR, b_session)).unwrap();
    let ha = a.add_peer(peer("a-to-b", to_b, A_ADDR, a_session)).unwrap();
    (ha, hb)
}

/// The sessions of [`pair`]: A in AS `a` opens towards B in AS `b`, which waits; their
/// router ids are `.1` and `.2` of the /24 `net` ("10.0.N").
fn sessions(a: u32, b: u32, net: &str) -> (SessionConfig, SessionConfig) {
    (
        session(a, b, &format!("{net}.1"), false),
        session(b, a, &format!("{net}.2"), true),
    )
}

/// B listens passively on 127.0.0.1; A connects from 127.0.0.2 to B's port.
async fn pair(
    sessions: (SessionConfig, SessionConfig),
) -> (Speaker, Speaker, PeerHandle, PeerHandle) {
    pair_from(Speaker::bind(None).await.unwrap(), sessions).await
}

/// [`pair`] with A's speaker made by the test.
async fn pair_from(
    a: Speaker,
    (a_session, b_session): (SessionConfig, SessionConfig),
) -> (Speaker, Speaker, PeerHandle, PeerHandle) {
    let b = listening_on(B_ADDR).await;
    let to_b = SocketAddr::new(B_ADDR, b.local_addr().unwrap().port());
    let to_a = SocketAddr::new(A_ADDR, 179);
    let (ha, hb) = peers_to_each_other((&a, to_b, a_session), (&b, to_a, b_session));
    // Both initial sets are empty: End-of-RIB goes as soon as the session is up.
    ha.initial_set_complete().await;
    hb.initial_set_complete().await;
    both_established(&ha, &hb).await;
    (a, b, ha, hb)
}

fn routes(n: u8) -> Vec<RouteChange> {
    (0..n)
        .map(|i| {
            // Distinct MEDs: one UPDATE per route, so the count is exact.
            let attrs = RouteAttributes {
                med: Some(u32::from(i)),
                ..RouteAttributes::default()
            };
            RouteChange::Announce(format!("192.0.2.{i}/32").parse().unwrap(), Arc::new(attrs))
        })
        .collect()
}

#[tokio::test]
async fn two_speakers_establish_announce_and_shut_down_with_a_cease() {
    let (_a, _b, ha, hb) = pair(sessions(65001, 65002, "10.0.0")).await;
    let neg = ha
        .status()
        .negotiated
        .expect("negotiated while Established");
    assert_eq!(neg.peer_asn, Asn(65002));
    assert_eq!(neg.peer_hostname.as_deref(), Some("loopback"));

    // Only the End-of-RIB markers so far (one per negotiated family).
    let eor = neg.families.len() as u64;
    wait_for(&hb, "End-of-RIB", |s| s.counters.updates_received == eor).await;

    ha.update(routes(10)).await;
    let sa = wait_for(&ha, "10 prefixes sent", |s| s.prefixes_sent == 10).await;
    assert_eq!(sa.counters.updates_sent, eor + 10);
    let sb = wait_for(&hb, "10 UPDATEs", |s| {
        s.counters.updates_received == eor + 10
    })
    .await;
    assert_eq!(sb.counters.update_attribute_errors, 0);

    ha.shutdown(
        ShutdownMode::Withdraw {
            drain: Duration::from_millis(50),
        },
        "maintenance",
    )
    .await;
    let sa = ha.status();
    assert_eq!(sa.state, State::Idle);
    assert_eq!(sa.counters.notifications_sent, 1);
    assert!(ha.is_finished());

    let sb = wait_for(&hb, "the Cease", |s| s.counters.notifications_received == 1).await;
    let err = sb.last_error.unwrap_or_default();
    assert!(err.contains("Cease"), "{err}");
    assert!(err.contains("maintenance"), "{err}");
    // The withdrawals came before the Cease (10 prefixes with one packed withdraw).
    assert!(sb.counters.updates_received > eor + 10, "{:?}", sb.counters);
    wait_for(&hb, "session down", |s| s.state != State::Established).await;
    assert_eq!(hb.status().counters.flaps, 1);
    withdraw_now(&hb, "done").await;
}

#[tokio::test]
async fn keep_routes_closes_without_a_notification_when_graceful_restart_was_negotiated() {
    let gr = Some(GracefulRestartConfig {
        restart_time: bgp::RestartTime::new(120).unwrap(),
        restarting: false,
    });
    let (mut sa, mut sb) = sessions(65101, 65102, "10.0.1");
    sa.graceful_restart = gr;
    sb.graceful_restart = gr;
    let (_a, _b, ha, hb) = pair((sa, sb)).await;
    ha.update(routes(3)).await;
    wait_for(&ha, "3 prefixes sent", |s| s.prefixes_sent == 3).await;
    let before = wait_for(&hb, "3 UPDATEs", |s| s.counters.updates_received >= 5).await;

    ha.shutdown(ShutdownMode::KeepRoutes, "upgrade").await;
    assert_eq!(ha.status().counters.notifications_sent, 0);

    let after = wait_for(&hb, "session down", |s| s.state != State::Established).await;
    assert_eq!(after.counters.notifications_received, 0);
    // Nothing was withdrawn.
    assert_eq!(
        after.counters.updates_received,
        before.counters.updates_received
    );
    withdraw_now(&hb, "done").await;
}

#[tokio::test]
async fn keep_routes_without_graceful_restart_falls_back_to_withdraw_and_cease() {
    let (_a, _b, ha, hb) = pair(sessions(65201, 65202, "10.0.2")).await;
    ha.shutdown(ShutdownMode::KeepRoutes, "no gr").await;
    assert_eq!(ha.status().counters.notifications_sent, 1);
    let sb = wait_for(&hb, "the Cease", |s| s.counters.notifications_received == 1).await;
    assert!(sb.last_error.unwrap_or_default().contains("no gr"));
    withdraw_now(&hb, "done").await;
}

#[tokio::test]
async fn both_sides_active_resolve_the_collision_to_one_session() {
    // Both listen and both connect: RFC 4271 6.8 keeps one connection.
    let a = listening_on(A_ADDR).await;
    let b = listening_on(B_ADDR).await;
    let (ha, hb) = peers_to_each_other(
        (
            &a,
            b.local_addr().unwrap(),
            session(65301, 65302, "10.0.3.1", false),
        ),
        (
            &b,
            a.local_addr().unwrap(),
            session(65302, 65301, "10.0.3.2", false),
        ),
    );
    both_established(&ha, &hb).await;
    ha.update(routes(2)).await;
    ha.initial_set_complete().await;
    wait_for(&hb, "2 UPDATEs and 2 End-of-RIB", |s| {
        s.counters.updates_received >= 4
    })
    .await;
    withdraw_now(&ha, "bye").await;
    withdraw_now(&hb, "bye").await;
}

#[tokio::test]
async fn connections_from_unknown_addresses_are_closed() {
    use tokio::io::AsyncReadExt;
    let b = listening_on(B_ADDR).await;
    let mut s = tokio::net::TcpStream::connect(b.local_addr().unwrap())
        .await
        .unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .expect("closed")
        .unwrap_or(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_second_peer_with_the_same_address_is_refused() {
    let b = listening_on(B_ADDR).await;
    let remote = SocketAddr::new(IpAddr::from([127, 0, 0, 9]), 179);
    let h = b
        .add_peer(peer("one", remote, B_ADDR, session(1, 2, "10.0.4.1", true)))
        .unwrap();
    let err = b
        .add_peer(peer("two", remote, B_ADDR, session(1, 2, "10.0.4.1", true)))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    withdraw_now(&h, "").await;
    // The address is free again once the task ended.
    let h2 = b
        .add_peer(peer("two", remote, B_ADDR, session(1, 2, "10.0.4.1", true)))
        .unwrap();
    withdraw_now(&h2, "").await;
}

#[tokio::test]
async fn dual_stack_listener_takes_ipv4_peers_and_md5_keys_must_match() {
    let b = listening_on(IpAddr::V6(Ipv6Addr::UNSPECIFIED)).await;
    let port = b.local_addr().unwrap().port();
    let a = Speaker::bind(None).await.unwrap();
    let with_key = |mut c: PeerConfig, key: &[u8]| {
        c.transport.md5_password = Some(key.to_vec().into());
        c
    };
    let hb = b
        .add_peer(with_key(
            peer(
                "b",
                SocketAddr::new(ip("127.0.0.12"), 179),
                B_ADDR,
                session(65402, 65401, "10.0.5.2", true),
            ),
            b"k3y",
        ))
        .unwrap();
    let a_to_b = peer(
        "a",
        SocketAddr::new(B_ADDR, port),
        ip("127.0.0.12"),
        session(65401, 65402, "10.0.5.1", false),
    );
    // A first tries with the wrong key: its SYNs are dropped, nothing is established.
    let wrong_key = PeerConfig {
        name: "a-wrong".into(),
        ..a_to_b.clone()
    };
    let wrong = a.add_peer(with_key(wrong_key, b"nope")).unwrap();
    let mut rx = wrong.watch();
    let reached = tokio::time::timeout(Duration::from_secs(2), async {
        while rx.changed().await.is_ok() {
            if rx.borrow().state == State::OpenSent {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        reached.is_err() || reached == Ok(false),
        "{:?}",
        wrong.status()
    );
    let err = wrong.status().last_error.unwrap_or_default();
    assert!(err.contains("connect to"), "{err}");
    withdraw_now(&wrong, "").await;

    let ha = a.add_peer(with_key(a_to_b, b"k3y")).unwrap();
    both_established(&ha, &hb).await;
    withdraw_now(&ha, "").await;
    withdraw_now(&hb, "").await;
}

#[tokio::test]
async fn ipv6_session_uses_its_local_address_as_the_ipv6_next_hop() {
    let b = listening_on(IpAddr::V6(Ipv6Addr::LOCALHOST)).await;
    let a = Speaker::bind(None).await.unwrap();
    let hb = b
        .add_peer(local_peer::peer(
            "b6",
            "[::1]:179".parse().unwrap(),
            None,
            session(65502, 65501, "10.0.6.2", true),
        ))
        .unwrap();
    let ha = a
        .add_peer(peer(
            "a6",
            b.local_addr().unwrap(),
            ip("::1"),
            session(65501, 65502, "10.0.6.1", false),
        ))
        .unwrap();
    established(&ha).await;
    ha.update(vec![
        RouteChange::Announce(
            "2001:db8::1/128".parse().unwrap(),
            Arc::new(RouteAttributes::default()),
        ),
        // No IPv4 next hop on an IPv6 session: held back.
        RouteChange::Announce(
            "192.0.2.1/32".parse().unwrap(),
            Arc::new(RouteAttributes::default()),
        ),
    ])
    .await;
    ha.initial_set_complete().await;
    let s = wait_for(&ha, "the IPv6 prefix sent", |s| s.prefixes_sent >= 1).await;
    assert_eq!(s.prefixes_sent, 1);
    wait_for(&hb, "End-of-RIB and the UPDATE", |s| {
        s.counters.updates_received >= 3
    })
    .await;
    withdraw_now(&ha, "").await;
    withdraw_now(&hb, "").await;
}

/// Connects from `from` to `to` as a GTSM router does (`ttl-security hops 1`): sends with
/// TTL 255 and accepts only packets that arrive with 255, so the handshake completes only
/// if our SYN-ACK leaves with TTL 255 (loopback does not decrement the TTL).
async fn gtsm_router_connect(from: &str, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    use bgp::driver::socket::{TtlPolicy, apply_ttl};
    let s = tokio::net::TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(from.parse().unwrap(), 0))?;
    apply_ttl(&s, to.ip(), TtlPolicy::new(None, true))?;
    match tokio::time::timeout(Duration::from_secs(2), s.connect(to)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

#[tokio::test]
async fn a_passive_gtsm_peer_gets_our_syn_ack_with_ttl_255() {
    use tokio::io::AsyncReadExt;
    const ROUTER: &str = "127.0.0.30";
    let speaker = listening_on(B_ADDR).await;
    let to = speaker.local_addr().unwrap();
    // No GTSM peer yet: the SYN-ACK leaves with the default TTL and the router drops it.
    let err = gtsm_router_connect(ROUTER, to).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");

    let mut config = peer(
        "gtsm",
        SocketAddr::new(ROUTER.parse().unwrap(), 179),
        B_ADDR,
        session(65401, 65402, "10.0.4.1", true),
    );
    config.transport.ttl_security = true;
    let h = speaker.add_peer(config).unwrap();
    let mut router = gtsm_router_connect(ROUTER, to)
        .await
        .expect("the SYN-ACK leaves with TTL 255");
    // The accepted connection keeps TTL 255: our OPEN reaches the router.
    let mut header = [0u8; 19];
    tokio::time::timeout(WAIT, router.read_exact(&mut header))
        .await
        .expect("our OPEN in time")
        .unwrap();
    assert_eq!(header[18], 1, "an OPEN");
    drop(router);
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

/// A TCP-MD5 key the test changes while the speaker runs, and how often it was read.
#[derive(Clone)]
struct RotatingKey {
    key: Arc<std::sync::Mutex<Result<Vec<u8>, String>>>,
    reads: Arc<std::sync::atomic::AtomicUsize>,
}

impl RotatingKey {
    fn new(initial: Result<&[u8], &str>) -> RotatingKey {
        RotatingKey {
            key: Arc::new(std::sync::Mutex::new(
                initial.map(<[u8]>::to_vec).map_err(str::to_string),
            )),
            reads: Arc::default(),
        }
    }

    fn set(&self, key: Result<&[u8], &str>) {
        *self.key.lock().unwrap() = key.map(<[u8]>::to_vec).map_err(str::to_string);
    }

    fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn source(&self) -> bgp::driver::Md5Key {
        let this = self.clone();
        bgp::driver::Md5Key::from_fn(move || {
            this.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            this.key.lock().unwrap().clone()
        })
    }
}

/// Waits (up to [`WAIT`]) until `f` holds.
async fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_md5_key_is_read_at_each_connection_attempt() {
    use bgp::driver::socket::{listen, set_md5_key};
    const FROM: &str = "127.0.0.40";
    let router = listen("127.0.0.1:0".parse().unwrap()).unwrap();
    set_md5_key(&router, FROM.parse().unwrap(), b"first").unwrap();
    let key = RotatingKey::new(Err("cannot read /secrets/tor: No such file"));
    let speaker = Speaker::bind(None).await.unwrap();
    let mut config = peer(
        "md5",
        router.local_addr().unwrap(),
        ip(FROM),
        session(65501, 65502, "10.0.5.1", false),
    );
    config.transport.md5_password = Some(key.source());
    let h = speaker.add_peer(config).unwrap();

    // Unreadable: each attempt fails with the reason in the status, and is retried.
    let s = wait_for(&h, "the key error in the status", |s| {
        s.last_error
            .as_deref()
            .unwrap_or("")
            .contains("No such file")
    })
    .await;
    assert!(s.last_error.unwrap().contains("TCP-MD5 key"));
    eventually("a retry", || key.reads() >= 3).await;
    assert!(!h.is_finished(), "the peer keeps trying");

    // Readable: the next attempt signs its SYN with it and gets through.
    key.set(Ok(b"first"));
    let (conn, _) = tokio::time::timeout(WAIT, router.accept())
        .await
        .expect("a signed connection once the key can be read")
        .unwrap();

    // Rotated on both sides: after the session fails, the next attempt uses the new key.
    set_md5_key(&router, FROM.parse().unwrap(), b"second").unwrap();
    key.set(Ok(b"second"));
    drop(conn);
    let (_conn, _) = tokio::time::timeout(WAIT, router.accept())
        .await
        .expect("a connection signed with the rotated key")
        .unwrap();
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn a_passive_peer_installs_a_rotated_key_on_the_listener() {
    use bgp::driver::socket::{ConnectOptions, TtlPolicy, connect};
    const ROUTER: &str = "127.0.0.41";
    let key = RotatingKey::new(Ok(b"first"));
    let speaker = listening_on(B_ADDR).await;
    let mut config = peer(
        "md5-passive",
        SocketAddr::new(ROUTER.parse().unwrap(), 179),
        B_ADDR,
        session(65601, 65602, "10.0.6.1", true),
    );
    config.transport.md5_password = Some(key.source());
    let h = speaker.add_peer(config).unwrap();
    let router = |k: &[u8]| ConnectOptions {
        remote: speaker.local_addr().unwrap(),
        local_address: Some(ROUTER.parse().unwrap()),
        md5_key: Some(k.to_vec()),
        ttl: TtlPolicy::new(None, false),
        timeout: Duration::from_millis(500),
    };
    let first = connect(&router(b"first"))
        .await
        .expect("the first key works");
    drop(first);

    key.set(Ok(b"second"));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match connect(&router(b"second")).await {
            Ok(_) => break,
            Err(e) => assert!(
                tokio::time::Instant::now() < deadline,
                "the rotated key never reached the listener: {e}"
            ),
        }
    }
    // The old key no longer gets in.
    assert!(connect(&router(b"first")).await.is_err());
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

/// The event-to-wire latency is reported once per change batch, from the origin the
/// caller gave to the moment the UPDATE was written; changes without an origin are not.
#[tokio::test]
async fn a_change_is_timed_from_its_origin_until_written() {
    use bgp::driver::WriteObserver;
    use std::sync::Mutex;
    let seen: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut a = Speaker::bind(None).await.unwrap();
    let record = seen.clone();
    a.observe_writes(WriteObserver(Arc::new(move |d| {
        record.lock().unwrap().push(d)
    })));
    let (_a, _b, ha, hb) = pair_from(a, sessions(65001, 65002, "10.0.0")).await;
    let received = hb.status().counters.messages_received;

    let origin = std::time::Instant::now() - Duration::from_millis(50);
    ha.update_since(
        vec![RouteChange::Announce(
            "203.0.113.1/32".parse().unwrap(),
            Arc::new(RouteAttributes::default()),
        )],
        origin,
    )
    .await;
    wait_for(&hb, "the UPDATE", |s| {
        s.counters.messages_received > received
    })
    .await;
    eventually("the observation", || !seen.lock().unwrap().is_empty()).await;
    let first = seen.lock().unwrap().clone();
    assert_eq!(first.len(), 1, "one observation for one batch");
    assert!(
        first[0] >= Duration::from_millis(50),
        "measured from the origin"
    );

    let received = hb.status().counters.messages_received;
    ha.update(vec![RouteChange::Withdraw(
        "203.0.113.1/32".parse().unwrap(),
    )])
    .await;
    wait_for(&hb, "the withdraw", |s| {
        s.counters.messages_received > received
    })
    .await;
    assert_eq!(seen.lock().unwrap().len(), 1, "no origin, no observation");
}

#[tokio::test]
async fn try_update_hands_the_changes_back_while_the_queue_is_full() {
    let (_a, _b, ha, _hb) = pair(sessions(65001, 65002, "10.0.5")).await;
    let announced = routes(10);
    ha.update(announced.clone()).await;
    wait_for(&ha, "10 prefixes sent", |s| s.prefixes_sent == 10).await;

    // The test's runtime has one thread: the peer task takes nothing from the queue
    // until this test waits, so it fills.
    let mut queued = 0;
    while ha.try_update(Vec::new(), None).is_ok() {
        queued += 1;
        assert!(queued < 10_000, "the command queue is bounded");
    }
    let withdrawals: Vec<RouteChange> = announced
        .iter()
        .map(|change| match change {
            RouteChange::Announce(prefix, _) => RouteChange::Withdraw(*prefix),
            RouteChange::Withdraw(prefix) => RouteChange::Withdraw(*prefix),
        })
        .collect();
    let back = ha
        .try_update(withdrawals.clone(), None)
        .expect_err("a full queue hands the changes back");
    assert_eq!(back, withdrawals);
    ha.update(back).await;
    wait_for(&ha, "every prefix withdrawn", |s| s.prefixes_sent == 0).await;
}
