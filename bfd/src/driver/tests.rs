//! Demultiplexing (RFC 5880 section 6.8.6) and the single-hop TTL check (RFC 5881
//! section 5), without sockets.

use super::*;
use crate::fuzzing::typical_packet as packet;
use rand::SeedableRng;
use std::net::Ipv4Addr;

const PEER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn entry(discr: u32, peer: Ipv4Addr, hop: Hop) -> (NonZeroU32, Entry) {
    let discr = NonZeroU32::new(discr).unwrap();
    let spec = PeerSpec {
        peer: peer.into(),
        local: None,
        hop,
        config: SessionConfig::default(),
    };
    let rng = Box::new(rand::rngs::StdRng::seed_from_u64(0));
    let session = Session::new(spec.config, discr, rng, Instant::now());
    let (status, _) = watch::channel(Status::default());
    (
        discr,
        Entry {
            session,
            spec,
            sender: None,
            status,
        },
    )
}

fn datagram(from: Ipv4Addr, your: u32, ttl: Option<u8>, hop: Hop) -> Received {
    let state = if your == 0 { State::Down } else { State::Up };
    Received {
        hop,
        datagram: socket::Datagram {
            bytes: packet(state, 99, your).encode().to_vec(),
            from: SocketAddr::new(from.into(), 49152),
            ttl,
        },
    }
}

fn sessions() -> HashMap<NonZeroU32, Entry> {
    [
        entry(1, PEER, Hop::Single),
        entry(2, Ipv4Addr::new(192, 0, 2, 2), Hop::Single),
        entry(3, PEER, Hop::Multi),
    ]
    .into_iter()
    .collect()
}

fn picked(received: &Received) -> Option<u32> {
    let mut all = sessions();
    demultiplex(&mut all, received).map(|e| e.session.local_discriminator().get())
}

#[test]
fn your_discriminator_selects_the_session() {
    assert_eq!(picked(&datagram(PEER, 1, Some(255), Hop::Single)), Some(1));
}

#[test]
fn a_zero_your_discriminator_is_matched_on_source_and_hop_kind() {
    assert_eq!(picked(&datagram(PEER, 0, Some(255), Hop::Single)), Some(1));
    assert_eq!(picked(&datagram(PEER, 0, Some(64), Hop::Multi)), Some(3));
}

#[test]
fn a_discriminator_from_the_wrong_source_is_dropped() {
    assert_eq!(
        picked(&datagram(
            Ipv4Addr::new(192, 0, 2, 9),
            1,
            Some(255),
            Hop::Single
        )),
        None
    );
}

#[test]
fn an_unknown_discriminator_is_dropped() {
    assert_eq!(picked(&datagram(PEER, 77, Some(255), Hop::Single)), None);
}

#[test]
fn single_hop_packets_without_ttl_255_are_dropped() {
    assert_eq!(picked(&datagram(PEER, 1, Some(254), Hop::Single)), None);
    assert_eq!(picked(&datagram(PEER, 1, None, Hop::Single)), None);
}

#[test]
fn multihop_packets_are_not_ttl_checked() {
    assert_eq!(picked(&datagram(PEER, 3, Some(250), Hop::Multi)), Some(3));
}
