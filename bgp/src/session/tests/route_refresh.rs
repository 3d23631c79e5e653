//! ROUTE-REFRESH requests (RFC 2918).

use super::*;

#[test]
fn route_refresh_for_negotiated_family_is_reported() {
    let mut s = established();
    let a = s.handle(recv(OUT, refresh(Afi::Ipv6, RouteRefreshSubtype::Request)));
    assert_eq!(a, vec![Action::RouteRefreshRequested(Family::Ipv6Unicast)]);
}

#[test]
fn route_refresh_for_other_family_or_subtype_is_ignored() {
    let open = Open {
        capabilities: vec![
            Family::Ipv4Unicast.into(),
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(65002)),
        ],
        ..peer_open()
    };
    let mut s = established_with(config(), open);
    for m in [
        refresh(Afi::Ipv6, RouteRefreshSubtype::Request),
        refresh(Afi::Unknown(25), RouteRefreshSubtype::Request),
        refresh(Afi::Ipv4, RouteRefreshSubtype::Begin),
        refresh(Afi::Ipv4, RouteRefreshSubtype::Unknown(9)),
    ] {
        assert_eq!(s.handle(recv(OUT, m)), vec![]);
    }
    assert_eq!(s.state(), State::Established);
}

#[test]
fn route_refresh_before_established_is_fsm_error() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    let a = s.handle(recv(OUT, refresh(Afi::Ipv4, RouteRefreshSubtype::Request)));
    assert_eq!(
        notification_sent(&a, OUT),
        Some(&fsm_error(fsm_subcode::UNEXPECTED_IN_OPEN_SENT))
    );
}
