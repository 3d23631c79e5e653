use super::*;

fn allowed() -> Vec<IpNet> {
    vec![
        "203.0.113.0/24".parse().unwrap(),
        "2001:db8:100::/64".parse().unwrap(),
    ]
}

#[test]
fn addresses_inside_allowed_cidrs_become_host_routes() {
    assert_eq!(
        check("203.0.113.10", &allowed()),
        Ok("203.0.113.10/32".parse().unwrap())
    );
    assert_eq!(
        check("2001:db8:100::10", &allowed()),
        Ok("2001:db8:100::10/128".parse().unwrap())
    );
}

#[test]
fn addresses_outside_allowed_cidrs_are_refused() {
    assert_eq!(
        check("8.8.8.8", &allowed()),
        Err(AddressRefusal::OutsideAllowedCidrs)
    );
    assert_eq!(
        check("2001:db8:101::1", &allowed()),
        Err(AddressRefusal::OutsideAllowedCidrs)
    );
}

#[test]
fn empty_allowed_cidrs_announce_nothing() {
    assert_eq!(
        check("203.0.113.10", &[]),
        Err(AddressRefusal::OutsideAllowedCidrs)
    );
}

#[test]
fn unparsable_and_ambiguous_spellings_are_refused() {
    assert_eq!(
        check("not-an-ip", &allowed()),
        Err(AddressRefusal::Unparsable)
    );
    assert_eq!(
        check("203.0.113.010", &allowed()),
        Err(AddressRefusal::Unparsable)
    );
    assert_eq!(
        check("203.0.113.0/24", &allowed()),
        Err(AddressRefusal::Unparsable)
    );
}

#[test]
fn special_ranges_are_refused_even_when_allowed() {
    let everything: Vec<IpNet> = vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()];
    for ip in [
        "0.0.0.0",
        "0.1.2.3",
        "127.0.0.1",
        "169.254.1.1",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "::",
        "::1",
        "fe80::1",
        "ff02::1",
        "fec0::1",
        "::ffff:203.0.113.1",
        "::203.0.113.1",
    ] {
        assert!(
            matches!(check(ip, &everything), Err(AddressRefusal::SpecialRange(_))),
            "{ip} must be refused as special"
        );
    }
    assert!(check("203.0.113.1", &everything).is_ok());
    assert!(check("2001:db8::1", &everything).is_ok());
}
