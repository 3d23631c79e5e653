use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn plain() -> Transport {
    Transport::default()
}

#[test]
fn inbound_connections_match_peers_by_address_with_ipv4_mapped_normalised() {
    let r = Registry::default();
    let (tx, _rx) = mpsc::channel(1);
    r.register(ip("10.0.0.1"), &plain(), tx).unwrap();
    assert_eq!(
        r.dispatch(ip("::ffff:10.0.0.1"), ip("::ffff:10.0.0.2")),
        Dispatch::ToPeer(ip("10.0.0.1"))
    );
    assert_eq!(
        r.dispatch(ip("10.0.0.9"), ip("10.0.0.2")),
        Dispatch::UnknownPeer
    );
}

#[test]
fn inbound_connection_to_another_local_address_is_refused() {
    let r = Registry::default();
    let (tx, _rx) = mpsc::channel(1);
    let local = Transport {
        local_address: Some(ip("fd00::2")),
        ..plain()
    };
    r.register(ip("fd00::1"), &local, tx).unwrap();
    assert_eq!(
        r.dispatch(ip("fd00::1"), ip("fd00::3")),
        Dispatch::WrongLocalAddress {
            expected: ip("fd00::2")
        }
    );
    assert_eq!(
        r.dispatch(ip("fd00::1"), ip("fd00::2")),
        Dispatch::ToPeer(ip("fd00::1"))
    );
}

#[test]
fn two_peers_with_one_address_are_refused_and_unregister_frees_it() {
    let r = Registry::default();
    let (tx, _rx) = mpsc::channel(1);
    let token = r.register(ip("10.0.0.1"), &plain(), tx.clone()).unwrap();
    let err = r
        .register(ip("::ffff:10.0.0.1"), &plain(), tx.clone())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    r.unregister(ip("10.0.0.1"), token + 1);
    assert!(r.register(ip("10.0.0.1"), &plain(), tx.clone()).is_err());
    r.unregister(ip("10.0.0.1"), token);
    assert!(r.register(ip("10.0.0.1"), &plain(), tx).is_ok());
}
