use super::*;

#[test]
fn hold_time_is_zero_or_at_least_three_seconds() {
    assert_eq!(HoldTime::new(0), Ok(HoldTime::NONE));
    assert_eq!(HoldTime::new(1), Err(ValueError::HoldTime));
    assert_eq!(HoldTime::new(2), Err(ValueError::HoldTime));
    assert_eq!(HoldTime::new(3).map(HoldTime::seconds), Ok(3));
    assert_eq!(HoldTime::new(u16::MAX).map(HoldTime::keepalive), Ok(21845));
}

#[test]
fn a_hold_time_duration_is_whole_seconds_within_sixteen_bits() {
    let d = Duration::from_millis(1500);
    assert_eq!(
        HoldTime::from_duration(d),
        Err(ValueError::FractionalSeconds(d))
    );
    assert_eq!(
        HoldTime::from_duration(Duration::from_secs(65_536)),
        Err(ValueError::TooLong {
            secs: 65_536,
            max: 65_535
        })
    );
    assert_eq!(
        HoldTime::from_duration(Duration::from_secs(2)),
        Err(ValueError::HoldTime)
    );
    assert_eq!(
        HoldTime::from_duration(Duration::from_secs(9)).map(HoldTime::as_duration),
        Ok(Duration::from_secs(9))
    );
}

#[test]
fn restart_time_fits_twelve_bits() {
    assert_eq!(RestartTime::new(4095).map(RestartTime::seconds), Ok(4095));
    assert_eq!(
        RestartTime::new(4096),
        Err(ValueError::TooLong {
            secs: 4096,
            max: 4095
        })
    );
    assert!(RestartTime::from_duration(Duration::from_secs(4096)).is_err());
    assert_eq!(
        RestartTime::from_duration(Duration::ZERO).map(RestartTime::seconds),
        Ok(0)
    );
}

#[test]
fn seconds_fields_print_as_seconds() {
    assert_eq!(HoldTime::DEFAULT.to_string(), "90s");
    assert_eq!(RestartTime::new(120).unwrap().to_string(), "120s");
}

#[test]
fn router_id_is_never_zero() {
    assert_eq!(
        RouterId::new(Ipv4Addr::UNSPECIFIED),
        Err(ValueError::ZeroRouterId)
    );
    let id = RouterId::new(Ipv4Addr::new(10, 0, 0, 1)).unwrap();
    assert_eq!(id.addr(), Ipv4Addr::new(10, 0, 0, 1));
    assert_eq!(id.as_u32(), 0x0a00_0001);
}

#[test]
fn the_peer_kind_follows_the_two_asns() {
    assert_eq!(PeerKind::of(Asn(65000), Asn(65000)), PeerKind::Internal);
    assert_eq!(PeerKind::of(Asn(65000), Asn(65001)), PeerKind::External);
    assert!(PeerKind::of(Asn(65000), Asn(65001)).is_external());
}
