use super::*;
use bytes::BytesMut;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

async fn pair() -> (Connection, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    (
        Connection::new(ConnectionId(7), Direction::Outbound, c).unwrap(),
        s,
    )
}

async fn next(c: &mut Connection) -> IoEvent {
    tokio::time::timeout(
        Duration::from_secs(10),
        std::future::poll_fn(|cx| c.poll_io(cx)),
    )
    .await
    .expect("an I/O event")
}

#[tokio::test]
async fn messages_read_from_the_socket_come_out_whole() {
    let (mut c, mut peer) = pair().await;
    let mut bytes = BytesMut::new();
    Message::Keepalive
        .encode(&SessionContext::default(), &mut bytes)
        .unwrap();
    peer.write_all(&bytes).await.unwrap();
    match next(&mut c).await {
        IoEvent::Received(ConnectionId(7), m) => assert_eq!(*m, Message::Keepalive),
        other => panic!("unexpected {other:?}"),
    }
    drop(peer);
    assert!(matches!(next(&mut c).await, IoEvent::Closed(_, None)));
}

#[tokio::test]
async fn garbage_on_the_socket_is_a_decode_failure_with_a_notification() {
    let (mut c, mut peer) = pair().await;
    peer.write_all(&[0u8; 19]).await.unwrap();
    match next(&mut c).await {
        IoEvent::DecodeFailed(_, e) => {
            assert_eq!(e.notification.code, crate::wire::ErrorCode::MessageHeader)
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_peer_that_stops_reading_blocks_sending_until_it_drains() {
    let (mut c, mut peer) = pair().await;
    // Far more than the socket buffers of both ends hold.
    let n = 1_000_000;
    for _ in 0..n {
        c.queue(&Message::Keepalive).unwrap();
    }
    let total = c.queued();
    assert!(matches!(
        next(&mut c).await,
        IoEvent::SendBlocked(ConnectionId(7), true)
    ));
    assert!(c.queued() > 0);
    let reader = tokio::spawn(async move {
        let mut got = 0usize;
        let mut buf = vec![0u8; 65536];
        while got < total {
            let k = peer.read(&mut buf).await.unwrap();
            assert!(k > 0);
            got += k;
        }
        got
    });
    // Megabytes more than the socket buffers hold: they leave in several writes,
    // each reported as progress while output is still blocked.
    let mut progress = 0;
    loop {
        match next(&mut c).await {
            IoEvent::SendProgress(ConnectionId(7)) => progress += 1,
            IoEvent::SendBlocked(ConnectionId(7), false) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(progress > 0);
    assert_eq!(c.queued(), 0);
    assert_eq!(reader.await.unwrap(), total);
}

#[tokio::test]
async fn room_is_reported_once_the_buffer_falls_below_the_low_water_mark() {
    let (mut c, _peer) = pair().await;
    c.queue(&Message::Keepalive).unwrap();
    c.want_room = true;
    assert!(matches!(next(&mut c).await, IoEvent::Drained(_)));
    assert!(!c.want_room);
}

#[tokio::test]
async fn flushed_is_reported_once_everything_queued_is_written() {
    let (mut c, _peer) = pair().await;
    c.queue(&Message::Keepalive).unwrap();
    c.want_flushed = true;
    assert!(matches!(
        next(&mut c).await,
        IoEvent::Flushed(ConnectionId(7))
    ));
    assert_eq!(c.queued(), 0);
    assert!(!c.want_flushed);
}
