use crate::types::{Afi, Safi};
use crate::wire::notification::ErrorCode;
use crate::wire::route_refresh::RouteRefreshSubtype;

#[test]
fn every_octet_comes_back_unchanged() {
    for v in 0..=u8::MAX {
        assert_eq!(u8::from(ErrorCode::from(v)), v);
        assert_eq!(u8::from(RouteRefreshSubtype::from(v)), v);
        assert_eq!(u8::from(Safi::from(v)), v);
    }
    for v in (0..=300).chain([u16::MAX]) {
        assert_eq!(u16::from(Afi::from(v)), v);
    }
}

#[test]
fn known_values_get_their_variant_and_others_are_kept() {
    assert_eq!(Afi::from(2), Afi::Ipv6);
    assert_eq!(Safi::from(1), Safi::Unicast);
    assert_eq!(ErrorCode::from(6), ErrorCode::Cease);
    assert_eq!(ErrorCode::from(9), ErrorCode::Unknown(9));
    assert_eq!(RouteRefreshSubtype::from(0), RouteRefreshSubtype::Request);
    assert_eq!(
        RouteRefreshSubtype::from(3),
        RouteRefreshSubtype::Unknown(3)
    );
}

#[test]
fn unknown_sorts_after_the_known_values() {
    assert!(Afi::Ipv6 < Afi::Unknown(0));
    assert!(Safi::Unicast < Safi::Unknown(0));
}
