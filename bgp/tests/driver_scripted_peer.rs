//! The driver against a scripted peer that speaks raw BGP through the crate's codec:
//! next hop and AS_PATH on the wire, ROUTE-REFRESH, RFC 7606 counting, and the
//! NOTIFICATION answering a malformed message.

use bgp::driver::{PeerConfig, PeerHandle, RouteChange, ShutdownMode, Speaker};
use bgp::rib_out::RouteAttributes;
use bgp::session::{GracefulRestartConfig, SessionConfig, State};
use bgp::types::{Afi, Safi};
use bgp::wire::{
    BgpCodec, Capability, ErrorCode, GracefulRestart, Message, Notification, Open, RouteRefresh,
    RouteRefreshSubtype, SessionContext, Update,
};
use bgp::{Asn, Family, RouterId};
use futures::{SinkExt, StreamExt};
use lab::local_peer::{self, WAIT, established, listening_on, wait_for, withdraw_now};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::codec::Framed;

const OURS: Ipv4Addr = Ipv4Addr::LOCALHOST;
const PEER_ASN: u32 = 65010;
const OUR_ASN: u32 = 65001;

/// Our speaker, passive, expecting the scripted peer at `peer_ip`.
async fn speaker(peer_ip: &str) -> (Speaker, PeerHandle) {
    speaker_with(peer_ip, None).await
}

async fn speaker_with(peer_ip: &str, send_hold_time: Option<Duration>) -> (Speaker, PeerHandle) {
    let (speaker, handle) = speaker_waiting_for_initial_set(peer_ip, send_hold_time).await;
    // The initial set is empty: End-of-RIB goes as soon as a session is up.
    handle.initial_set_complete().await;
    (speaker, handle)
}

/// [`speaker_with`] whose initial route set is not marked complete yet.
async fn speaker_waiting_for_initial_set(
    peer_ip: &str,
    send_hold_time: Option<Duration>,
) -> (Speaker, PeerHandle) {
    let speaker = listening_on(OURS.into()).await;
    let handle = speaker
        .add_peer(peer_config(peer_ip, send_hold_time))
        .unwrap();
    (speaker, handle)
}

/// Our passive peer towards the scripted peer at `peer_ip`: IPv4 unicast only.
fn peer_config(peer_ip: &str, send_hold_time: Option<Duration>) -> PeerConfig {
    let session = local_peer::session(
        Asn(OUR_ASN),
        Asn(PEER_ASN),
        Ipv4Addr::new(10, 9, 9, 1),
        true,
    );
    local_peer::peer(
        "scripted",
        SocketAddr::new(peer_ip.parse().unwrap(), 179),
        None,
        SessionConfig {
            families: vec![Family::Ipv4Unicast],
            send_hold_time,
            ..session
        },
    )
}

type Peer = Framed<TcpStream, BgpCodec>;

async fn recv(p: &mut Peer) -> Message {
    tokio::time::timeout(WAIT, p.next())
        .await
        .expect("a message in time")
        .expect("connection open")
        .expect("a valid message")
}

/// Connects from `peer_ip` and completes the OPEN exchange.
async fn open_session(peer_ip: &str, to: SocketAddr) -> Peer {
    open_session_with(peer_ip, to, None).await
}

async fn open_session_with(peer_ip: &str, to: SocketAddr, recv_buffer: Option<u32>) -> Peer {
    open_session_full(peer_ip, to, recv_buffer, Vec::new())
        .await
        .0
}

/// The peer's graceful restart capability (RFC 4724), as a restarted router sends it.
fn graceful_restart_capability() -> Capability {
    Capability::GracefulRestart(GracefulRestart {
        restart_state: true,
        notification: false,
        restart_time: 120,
        families: vec![],
    })
}

/// Connects from `peer_ip` with `extra` capabilities and completes the OPEN exchange;
/// returns the session and our OPEN.
async fn open_session_full(
    peer_ip: &str,
    to: SocketAddr,
    recv_buffer: Option<u32>,
    extra: Vec<Capability>,
) -> (Peer, Open) {
    let s = TcpSocket::new_v4().unwrap();
    if let Some(size) = recv_buffer {
        s.set_recv_buffer_size(size).unwrap();
    }
    s.bind(SocketAddr::new(peer_ip.parse().unwrap(), 0))
        .unwrap();
    let stream = s.connect(to).await.unwrap();
    let mut p = Framed::new(stream, BgpCodec::new(SessionContext::default()));
    p.send(Message::Open(Open {
        version: 4,
        my_as: PEER_ASN as u16,
        hold_time: 9,
        router_id: RouterId::new("10.9.9.2".parse().unwrap()).unwrap(),
        capabilities: vec![
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
            },
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(PEER_ASN)),
        ]
        .into_iter()
        .chain(extra)
        .collect(),
    }))
    .await
    .unwrap();
    let ours = match recv(&mut p).await {
        Message::Open(open) => open,
        other => panic!("expected our OPEN, got {other:?}"),
    };
    assert_eq!(recv(&mut p).await, Message::Keepalive);
    p.send(Message::Keepalive).await.unwrap();
    p.codec_mut().set_context(SessionContext {
        four_octet_as: true,
        max_message_len: 4096,
        ebgp: true,
    });
    (p, ours)
}

/// The next UPDATE, skipping KEEPALIVEs.
async fn next_update(p: &mut Peer) -> Update {
    loop {
        match recv(p).await {
            Message::Update(u) => return u,
            Message::Keepalive => continue,
            other => panic!("expected an UPDATE, got {other:?}"),
        }
    }
}

fn announce(prefixes: &[&str]) -> Vec<RouteChange> {
    prefixes
        .iter()
        .map(|p| RouteChange::Announce(p.parse().unwrap(), Arc::new(RouteAttributes::default())))
        .collect()
}

/// Our speaker and the scripted peer at `peer_ip`, their session Established.
async fn established_session(peer_ip: &str) -> (Speaker, PeerHandle, Peer) {
    let (speaker, h) = speaker(peer_ip).await;
    let p = open_session(peer_ip, speaker.local_addr().unwrap()).await;
    established(&h).await;
    (speaker, h, p)
}

/// Announces `prefix` alone; the peer's next UPDATE carries exactly it.
async fn announce_one(h: &PeerHandle, p: &mut Peer, prefix: &str) {
    h.update(announce(&[prefix])).await;
    let u = next_update(p).await;
    assert_eq!(u.nlri, vec![prefix.parse().unwrap()], "{prefix}: {u:?}");
}

/// [`established_session`] past our End-of-RIB, with `prefix` announced alone and received.
async fn one_route_announced(peer_ip: &str, prefix: &str) -> (Speaker, PeerHandle, Peer) {
    let (speaker, h, mut p) = established_session(peer_ip).await;
    assert!(next_update(&mut p).await.as_end_of_rib().is_some());
    announce_one(&h, &mut p, prefix).await;
    (speaker, h, p)
}

/// The next NOTIFICATION, passing over the messages `skip` accepts.
async fn next_notification(p: &mut Peer, skip: impl Fn(&Message) -> bool) -> Notification {
    loop {
        match recv(p).await {
            Message::Notification(n) => return n,
            m if skip(&m) => continue,
            other => panic!("expected a NOTIFICATION, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn ebgp_updates_carry_our_asn_and_the_session_address_as_next_hop() {
    let (_speaker, h, mut p) = established_session("127.0.0.3").await;
    let eor = next_update(&mut p).await;
    assert_eq!(eor.as_end_of_rib(), Some(Family::Ipv4Unicast));

    h.update(announce(&["192.0.2.1/32", "192.0.2.2/32"])).await;
    let u = next_update(&mut p).await;
    let mut nlri: Vec<String> = u.nlri.iter().map(|n| n.to_string()).collect();
    nlri.sort();
    assert_eq!(nlri, ["192.0.2.1/32", "192.0.2.2/32"]);
    assert_eq!(u.attributes.next_hop, Some(OURS));
    let path = format!("{:?}", u.attributes.as_path);
    assert!(path.contains(&OUR_ASN.to_string()), "{path}");

    h.update(vec![RouteChange::Withdraw("192.0.2.1/32".parse().unwrap())])
        .await;
    let w = next_update(&mut p).await;
    assert_eq!(w.withdrawn, vec!["192.0.2.1/32".parse().unwrap()]);
    assert!(w.nlri.is_empty());
    wait_for(&h, "1 prefix sent", |s| s.prefixes_sent == 1).await;

    withdraw_now(&h, "bye").await;
    let w = next_update(&mut p).await;
    assert_eq!(w.withdrawn, vec!["192.0.2.2/32".parse().unwrap()]);
    let n = next_notification(&mut p, |m| *m == Message::Keepalive).await;
    assert_eq!(n.code, ErrorCode::Cease);
    assert_eq!(n.subcode, 2);
    assert_eq!(n.shutdown_communication().as_deref(), Some("bye"));
}

#[tokio::test]
async fn end_of_rib_follows_the_routes_only_once_the_initial_set_is_complete() {
    let (speaker, h) = speaker_waiting_for_initial_set("127.0.0.9", None).await;
    let mut p = open_session("127.0.0.9", speaker.local_addr().unwrap()).await;
    established(&h).await;
    h.update(announce(&["198.51.100.1/32"])).await;
    let first = next_update(&mut p).await;
    assert_eq!(first.nlri.len(), 1, "{first:?}");
    h.update(announce(&["198.51.100.2/32"])).await;
    // Had an End-of-RIB been sent after the first route, it would come before this one.
    let second = next_update(&mut p).await;
    assert_eq!(second.nlri.len(), 1, "{second:?}");
    h.initial_set_complete().await;
    let eor = next_update(&mut p).await;
    assert_eq!(eor.as_end_of_rib(), Some(Family::Ipv4Unicast));
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn a_graceful_restart_peer_reconnecting_while_established_takes_over_at_once() {
    // RFC 4724 section 4.2: the router restarted its control plane; our old session still
    // looks Established. The new connection replaces it without waiting for the hold timer.
    let (speaker, h) = speaker("127.0.0.10").await;
    let to = speaker.local_addr().unwrap();
    let (mut old, _) =
        open_session_full("127.0.0.10", to, None, vec![graceful_restart_capability()]).await;
    established(&h).await;
    assert!(next_update(&mut old).await.as_end_of_rib().is_some());
    announce_one(&h, &mut old, "198.51.100.9/32").await;

    let (mut new, _) =
        open_session_full("127.0.0.10", to, None, vec![graceful_restart_capability()]).await;
    // The routes and End-of-RIB again, on the new session.
    let again = next_update(&mut new).await;
    assert_eq!(again.nlri.len(), 1, "{again:?}");
    assert!(next_update(&mut new).await.as_end_of_rib().is_some());
    // The old connection was closed by us, with no NOTIFICATION on it.
    let rest = tokio::time::timeout(WAIT, async {
        let mut seen = Vec::new();
        while let Some(Ok(m)) = old.next().await {
            seen.push(m);
        }
        seen
    })
    .await
    .expect("the old connection is closed");
    assert!(
        rest.iter().all(|m| matches!(m, Message::Keepalive)),
        "{rest:?}"
    );
    let s = wait_for(&h, "Established again", |s| s.state == State::Established).await;
    assert_eq!(s.counters.flaps, 1);
    assert_eq!(s.counters.notifications_sent, 0);
    assert!(
        s.last_error
            .unwrap_or_default()
            .contains("graceful restart")
    );
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

/// The Restart State bit of our OPEN, and whether every family has the F bit.
fn restart_bits(open: &Open) -> (bool, bool) {
    let gr = open
        .capabilities
        .iter()
        .find_map(|c| match c {
            Capability::GracefulRestart(gr) => Some(gr),
            _ => None,
        })
        .expect("our OPEN has the graceful restart capability");
    (
        gr.restart_state,
        !gr.families.is_empty() && gr.families.iter().all(|f| f.forwarding_preserved),
    )
}

#[tokio::test]
async fn the_restart_state_bit_is_sent_only_until_the_peers_first_session_in_this_speaker() {
    let speaker = listening_on(OURS.into()).await;
    let to = speaker.local_addr().unwrap();
    let mut config = peer_config("127.0.0.11", None);
    config.session.graceful_restart = Some(GracefulRestartConfig {
        restart_time: bgp::RestartTime::new(120).unwrap(),
        restarting: true,
    });
    let h = speaker.add_peer(config.clone()).unwrap();
    let (first, ours) = open_session_full("127.0.0.11", to, None, Vec::new()).await;
    assert_eq!(
        restart_bits(&ours),
        (true, true),
        "first session after start"
    );
    established(&h).await;
    drop(first);
    wait_for(&h, "the session down", |s| s.counters.flaps == 1).await;
    let (second, ours) = open_session_full("127.0.0.11", to, None, Vec::new()).await;
    assert_eq!(
        restart_bits(&ours),
        (false, true),
        "a reconnect is no restart"
    );
    drop(second);
    h.shutdown(ShutdownMode::KeepRoutes, "").await;

    // The same peer removed and added again (a config reload) in the same process.
    let h = speaker.add_peer(config).unwrap();
    let (_third, ours) = open_session_full("127.0.0.11", to, None, Vec::new()).await;
    assert_eq!(
        restart_bits(&ours),
        (false, true),
        "the process did not restart"
    );
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn route_refresh_from_the_peer_resends_the_family() {
    let (_speaker, h, mut p) = one_route_announced("127.0.0.4", "198.51.100.7/32").await;

    p.send(Message::RouteRefresh(RouteRefresh {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
        subtype: RouteRefreshSubtype::Request,
    }))
    .await
    .unwrap();
    let again = next_update(&mut p).await;
    assert_eq!(again.nlri, vec!["198.51.100.7/32".parse().unwrap()]);
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn rfc7606_errors_in_received_updates_are_counted_without_a_reset() {
    let (_speaker, h, mut p) = established_session("127.0.0.5").await;

    // ORIGIN, AS_PATH [65010], NEXT_HOP, and a MULTI_EXIT_DISC of 3 octets (must be 4):
    // RFC 7606 section 7.4 says treat-as-withdraw.
    #[rustfmt::skip]
    let body: &[u8] = &[
        0, 0, // no withdrawn routes
        0, 26, // path attributes length
        0x40, 1, 1, 0,
        0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xf2,
        0x40, 3, 4, 127, 0, 0, 5,
        0x80, 4, 3, 0, 0, 1,
        24, 198, 51, 100,
    ];
    let mut raw = vec![0xffu8; 16];
    raw.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    raw.push(2);
    raw.extend_from_slice(body);
    p.get_mut().write_all(&raw).await.unwrap();

    let s = wait_for(&h, "the UPDATE counted", |s| {
        s.counters.updates_received == 1
    })
    .await;
    assert_eq!(s.counters.update_attribute_errors, 1);
    assert_eq!(s.state, State::Established);
    assert_eq!(s.counters.notifications_sent, 0);
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn a_malformed_header_is_answered_with_its_notification() {
    let (_speaker, h, mut p) = established_session("127.0.0.6").await;
    // A header whose marker is not all ones: Connection Not Synchronized.
    let mut raw = vec![0u8; 16];
    raw.extend_from_slice(&[0, 19, 4]);
    p.get_mut().write_all(&raw).await.unwrap();
    let n = next_notification(&mut p, |m| {
        matches!(m, Message::Update(_) | Message::Keepalive)
    })
    .await;
    assert_eq!(n.code, ErrorCode::MessageHeader);
    assert_eq!(n.subcode, 1);
    let s = wait_for(&h, "session down", |s| s.state != State::Established).await;
    assert_eq!(s.counters.notifications_sent, 1);
    assert_eq!(s.counters.flaps, 1);
    assert!(s.last_error.unwrap_or_default().contains("MessageHeader"));
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn a_peer_that_stops_reading_is_dropped_by_the_send_hold_timer() {
    // RFC 9687: our output stays blocked for the send hold time: close without a
    // NOTIFICATION (it could not be delivered anyway).
    let (speaker, h) = speaker_with("127.0.0.7", Some(Duration::from_secs(1))).await;
    let p = open_session_with("127.0.0.7", speaker.local_addr().unwrap(), Some(4096)).await;
    established(&h).await;
    // Distinct MEDs: one UPDATE each, megabytes in all, which the peer never reads.
    let changes: Vec<RouteChange> = (0..60_000u32)
        .map(|i| {
            let prefix = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            RouteChange::Announce(
                ipnet::IpNet::from(ipnet::Ipv4Net::new(prefix, 32).unwrap()),
                Arc::new(RouteAttributes {
                    med: Some(i),
                    ..RouteAttributes::default()
                }),
            )
        })
        .collect();
    h.update(changes).await;
    let s = wait_for(&h, "send hold timer expiry", |s| s.counters.flaps == 1).await;
    let err = s.last_error.unwrap_or_default();
    assert!(err.contains("SendHoldTimerExpired"), "{err}");
    assert_eq!(s.counters.notifications_sent, 0);
    // Far fewer UPDATEs were encoded than announced: the Adj-RIB-Out kept the rest.
    assert!(s.counters.updates_sent < 60_000, "{:?}", s.counters);
    drop(p);
    h.shutdown(ShutdownMode::KeepRoutes, "").await;
}

#[tokio::test]
async fn dropping_every_handle_withdraws_and_ends_the_session() {
    let (_speaker, h, mut p) = one_route_announced("127.0.0.8", "203.0.113.5/32").await;
    drop(h);
    let w = next_update(&mut p).await;
    assert_eq!(w.withdrawn, vec!["203.0.113.5/32".parse().unwrap()]);
    let n = next_notification(&mut p, |m| *m == Message::Keepalive).await;
    assert_eq!((n.code, n.subcode), (ErrorCode::Cease, 2));
    assert_eq!(n.shutdown_communication().as_deref(), Some("peer removed"));
}
