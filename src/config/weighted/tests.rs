use super::*;

#[test]
fn bandwidth_units_are_decimal_bits_per_second() {
    assert_eq!(parse_bandwidth("1Mbps"), Ok(BitsPerSecond(1_000_000)));
    assert_eq!(parse_bandwidth("10Gbps"), Ok(BitsPerSecond(10_000_000_000)));
    assert_eq!(parse_bandwidth("500kbps"), Ok(BitsPerSecond(500_000)));
    assert_eq!(parse_bandwidth("64bps"), Ok(BitsPerSecond(64)));
    assert_eq!(BitsPerSecond(1_000_000).bytes_per_second(), 125_000.0);
    assert_eq!(BitsPerSecond(10_000_000_000).to_string(), "10Gbps");
}

#[test]
fn bad_bandwidths_are_refused() {
    for bad in [
        "", "1", "Mbps", "1.5Mbps", "-1Mbps", "0Mbps", "1MB", "4bps", "2Tbps",
    ] {
        assert!(parse_bandwidth(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn problems_name_the_field() {
    let raw = RawWeighted {
        enabled: Some(Scalar("yes".into())),
        bandwidth_per_endpoint: Some(Scalar("fast".into())),
        transitive: Some(Scalar("1".into())),
    };
    let mut fields = Vec::new();
    assert_eq!(validate(Some(raw), |f, _| fields.push(f.to_string())), None);
    assert_eq!(
        fields,
        [
            "announce.weighted.enabled",
            "announce.weighted.transitive",
            "announce.weighted.bandwidth_per_endpoint"
        ]
    );
    assert_eq!(
        validate(None, |_, _| panic!("no problem")),
        Some(WeightedConfig::default())
    );
}
