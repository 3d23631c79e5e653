use super::*;
use bgp::wire::{ErrorCode, Notification};
use std::net::Ipv4Addr;

const Q: Duration = Duration::from_secs(4);

fn identity() -> Identity {
    Identity {
        asn: 65001,
        router_id: RouterId::new(Ipv4Addr::new(10, 255, 1, 2)).unwrap(),
        hold_time: 240,
    }
}

fn established(t0: Instant) -> Script {
    let mut s = Script::new(identity(), Q, t0);
    let reply = s.on_message(&identity().open());
    assert!(matches!(
        reply.as_slice(),
        [Message::Open(_), Message::Keepalive]
    ));
    let reply = s.on_message(&Message::Keepalive);
    assert_eq!(reply.len(), 2, "our End-of-RIB for both families");
    assert_eq!(s.phase(), Phase::Established);
    s
}

#[test]
fn the_open_announces_four_octet_as_both_families_refresh_and_restart() {
    let Message::Open(open) = identity().open() else {
        panic!("an OPEN")
    };
    assert_eq!(open.asn(), Asn(65001));
    assert_eq!(open.capabilities.len(), 5);
    let big = Identity {
        asn: 4_200_000_000,
        ..identity()
    };
    let Message::Open(open) = big.open() else {
        panic!("an OPEN")
    };
    assert_eq!(open.my_as, AS_TRANS);
}

#[test]
fn refresh_follows_both_end_of_rib_markers_and_a_quiet_spell() {
    let t0 = Instant::now();
    let mut s = established(t0);
    s.on_message(&Message::Update(Update::end_of_rib(Family::Ipv4Unicast)));
    assert!(
        s.on_tick(t0 + 2 * Q).is_empty(),
        "one marker is not enough yet"
    );
    s.on_message(&Message::Update(Update::end_of_rib(Family::Ipv6Unicast)));
    s.heard(t0 + 2 * Q);
    assert!(
        s.on_tick(t0 + 2 * Q + Q / 2).is_empty(),
        "not quiet long enough"
    );
    let refresh = s.on_tick(t0 + 3 * Q + Duration::from_millis(1));
    assert_eq!(refresh.len(), 2);
    assert!(
        refresh
            .iter()
            .all(|m| matches!(m, Message::RouteRefresh(_)))
    );
    assert_eq!(s.phase(), Phase::Refresh);
    assert!(s.on_tick(t0 + 3 * Q + Q / 2).is_empty());
    s.on_tick(t0 + 4 * Q + Duration::from_millis(2));
    assert_eq!(s.phase(), Phase::Ready);
}

#[test]
fn a_router_without_end_of_rib_is_refreshed_after_a_longer_silence() {
    let t0 = Instant::now();
    let mut s = established(t0);
    assert!(s.on_tick(t0 + 2 * Q).is_empty());
    assert_eq!(s.on_tick(t0 + 3 * Q + Duration::from_millis(1)).len(), 2);
}

#[test]
fn a_notification_closes_and_out_of_order_messages_are_ignored() {
    let t0 = Instant::now();
    let mut s = Script::new(identity(), Q, t0);
    assert!(s.on_message(&Message::Keepalive).is_empty());
    assert_eq!(s.phase(), Phase::Open);
    s.on_message(&Message::Notification(Notification::new(
        ErrorCode::Cease,
        2,
        Vec::new(),
    )));
    assert!(s.closed());
}
