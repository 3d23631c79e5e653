use super::*;
use std::net::{Ipv4Addr, SocketAddrV4};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const SHORT: Duration = Duration::from_millis(700);

fn opts(remote: SocketAddr, key: Option<&[u8]>, ttl: TtlPolicy) -> ConnectOptions {
    ConnectOptions {
        remote,
        local_address: Some(LOOPBACK),
        md5_key: key.map(<[u8]>::to_vec),
        ttl,
        timeout: SHORT,
    }
}

fn plain() -> TtlPolicy {
    TtlPolicy::new(None, false)
}

async fn listener_with_key(key: Option<&[u8]>) -> TcpListener {
    let l = listen(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))).unwrap();
    if let Some(key) = key {
        set_md5_key(&l, LOOPBACK, key).unwrap();
    }
    l
}

/// Connects and proves the connection carries data, accepting on `l`.
async fn exchange(l: &TcpListener, o: &ConnectOptions) -> io::Result<()> {
    let accept = async {
        let (mut s, _) = l.accept().await?;
        let mut b = [0u8; 4];
        s.read_exact(&mut b).await?;
        Ok::<_, io::Error>(b)
    };
    let client = async {
        let mut c = connect(o).await?;
        c.write_all(b"ping").await?;
        Ok::<_, io::Error>(c)
    };
    let (c, a) = tokio::try_join!(client, async {
        tokio::time::timeout(SHORT * 2, accept)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
    })?;
    drop(c);
    assert_eq!(&a, b"ping");
    Ok(())
}

#[test]
fn gtsm_sends_255_and_accepts_255_minus_hops_minus_one() {
    assert_eq!(
        TtlPolicy::new(None, true),
        TtlPolicy {
            send_ttl: Some(255),
            min_ttl: Some(255)
        }
    );
    assert_eq!(TtlPolicy::new(Some(3), true).min_ttl, Some(253));
    assert_eq!(TtlPolicy::new(Some(0), true).min_ttl, Some(255));
    assert_eq!(TtlPolicy::new(Some(255), true).min_ttl, Some(1));
}

#[test]
fn listener_sends_255_when_any_peer_uses_gtsm_and_filters_only_when_all_do() {
    let gtsm = |hops| TtlPolicy::new(hops, true);
    let plain = |hops| TtlPolicy::new(hops, false);
    // (case, the peers' policies, send TTL, minimum TTL)
    for (case, peers, send_ttl, min_ttl) in [
        ("no peer", vec![], None, 0),
        (
            "all use GTSM",
            vec![gtsm(None), gtsm(Some(2))],
            Some(255),
            254,
        ),
        // A multihop peer without GTSM shares the socket: its SYNs must still get in.
        (
            "one does not",
            vec![gtsm(None), plain(Some(3))],
            Some(255),
            0,
        ),
    ] {
        let expected = ListenerTtl { send_ttl, min_ttl };
        assert_eq!(ListenerTtl::for_peers(peers), expected, "{case}");
    }
}

#[tokio::test]
async fn listener_ttl_settings_apply_to_both_families_and_reset() {
    let l = listen("[::]:0".parse().unwrap()).unwrap();
    let gtsm = ListenerTtl::for_peers([TtlPolicy::new(None, true)]);
    apply_listener_ttl(&l, gtsm).unwrap();
    assert_eq!(SockRef::from(&l).ttl_v4().unwrap(), 255);
    assert_eq!(SockRef::from(&l).unicast_hops_v6().unwrap(), 255);
    assert_eq!(min_ttl(&l, LOOPBACK).unwrap(), 255);
    assert_eq!(min_ttl(&l, IpAddr::V6(Ipv6Addr::LOCALHOST)).unwrap(), 255);
    apply_listener_ttl(&l, ListenerTtl::for_peers([])).unwrap();
    assert_ne!(SockRef::from(&l).ttl_v4().unwrap(), 255);
    assert_eq!(min_ttl(&l, LOOPBACK).unwrap(), 0);
}

#[test]
fn multihop_without_gtsm_only_sets_the_send_ttl() {
    assert_eq!(
        TtlPolicy::new(Some(2), false),
        TtlPolicy {
            send_ttl: Some(2),
            min_ttl: None
        }
    );
    assert_eq!(TtlPolicy::new(None, false).send_ttl, None);
}

#[test]
fn ipv4_mapped_addresses_normalise_to_ipv4() {
    let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
    assert_eq!(normalize_ip(mapped), "10.1.2.3".parse::<IpAddr>().unwrap());
    let v6: IpAddr = "fd00::1".parse().unwrap();
    assert_eq!(normalize_ip(v6), v6);
    assert!(is_link_local_v6(&"fe80::1".parse().unwrap()));
    assert!(!is_link_local_v6(&"fd00::1".parse().unwrap()));
}

#[tokio::test]
async fn ttl_and_min_ttl_are_set_per_peer_family() {
    let s = TcpSocket::new_v4().unwrap();
    apply_ttl(&s, LOOPBACK, TtlPolicy::new(Some(2), true)).unwrap();
    assert_eq!(SockRef::from(&s).ttl_v4().unwrap(), 255);
    assert_eq!(min_ttl(&s, LOOPBACK).unwrap(), 254);

    let s6 = TcpSocket::new_v6().unwrap();
    let peer6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    apply_ttl(&s6, peer6, TtlPolicy::new(Some(5), false)).unwrap();
    assert_eq!(SockRef::from(&s6).unicast_hops_v6().unwrap(), 5);
    assert_eq!(min_ttl(&s6, peer6).unwrap(), 0);
    apply_ttl(&s6, peer6, TtlPolicy::new(Some(1), true)).unwrap();
    assert_eq!(min_ttl(&s6, peer6).unwrap(), 255);
}

#[tokio::test]
async fn accepted_connections_get_nodelay_and_the_peers_ttl_settings() {
    let l = listen("[::]:0".parse().unwrap()).unwrap();
    let remote = SocketAddr::new(LOOPBACK, l.local_addr().unwrap().port());
    let o = opts(remote, None, plain());
    let (c, accepted) = tokio::join!(connect(&o), l.accept());
    let _c = c.unwrap();
    let (s, from) = accepted.unwrap();
    // A dual-stack listener sees the IPv4 peer as IPv4-mapped; the IPv4 options apply.
    assert!(from.ip().is_ipv6());
    prepare_accepted(&s, TtlPolicy::new(Some(2), true)).unwrap();
    assert!(s.nodelay().unwrap());
    assert_eq!(min_ttl(&s, LOOPBACK).unwrap(), 254);
    assert_eq!(SockRef::from(&s).ttl_v4().unwrap(), 255);
}

#[tokio::test]
async fn connect_sets_tcp_nodelay() {
    let l = listener_with_key(None).await;
    let c = connect(&opts(l.local_addr().unwrap(), None, plain()))
        .await
        .unwrap();
    assert!(c.nodelay().unwrap());
}

#[tokio::test]
async fn md5_with_the_same_key_on_both_sides_connects() {
    let l = listener_with_key(Some(b"s3cret")).await;
    let o = opts(l.local_addr().unwrap(), Some(b"s3cret"), plain());
    exchange(&l, &o).await.unwrap();
}

#[tokio::test]
async fn md5_with_a_different_key_never_connects() {
    let l = listener_with_key(Some(b"s3cret")).await;
    let o = opts(l.local_addr().unwrap(), Some(b"other"), plain());
    let err = exchange(&l, &o).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[tokio::test]
async fn md5_key_on_the_listener_refuses_unsigned_connections() {
    let l = listener_with_key(Some(b"s3cret")).await;
    let o = opts(l.local_addr().unwrap(), None, plain());
    let err = exchange(&l, &o).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[tokio::test]
async fn md5_key_on_a_dual_stack_listener_covers_ipv4_peers() {
    let l = listen("[::]:0".parse().unwrap()).unwrap();
    set_md5_key(&l, LOOPBACK, b"k").unwrap();
    let port = l.local_addr().unwrap().port();
    let remote = SocketAddr::new(LOOPBACK, port);
    exchange(&l, &opts(remote, Some(b"k"), plain()))
        .await
        .unwrap();
    let err = exchange(&l, &opts(remote, Some(b"x"), plain()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[tokio::test]
async fn md5_key_removed_from_the_listener_accepts_unsigned_again() {
    let l = listener_with_key(Some(b"s3cret")).await;
    set_md5_key(&l, LOOPBACK, b"").unwrap();
    exchange(&l, &opts(l.local_addr().unwrap(), None, plain()))
        .await
        .unwrap();
}

#[test]
fn md5_key_longer_than_80_octets_is_refused() {
    let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = set_md5_key(&s, LOOPBACK, &[1u8; 81]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn gtsm_min_ttl_drops_packets_sent_with_a_lower_ttl() {
    // Loopback does not decrement the TTL: packets arrive with the sender's TTL.
    let l = listener_with_key(None).await;
    apply_ttl(&l, LOOPBACK, TtlPolicy::new(Some(1), true)).unwrap();
    let remote = l.local_addr().unwrap();
    exchange(&l, &opts(remote, None, TtlPolicy::new(Some(1), true)))
        .await
        .unwrap();
    let err = exchange(&l, &opts(remote, None, TtlPolicy::new(Some(64), false)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}
