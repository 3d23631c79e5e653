use super::*;

fn allowed() -> Vec<IpNet> {
    vec![
        "203.0.113.0/24".parse().unwrap(),
        "2001:db8:100::/64".parse().unwrap(),
    ]
}

/// Checks that every one of `spellings` is refused for `refusal`; the message names the
/// spelling.
fn assert_refused(spellings: &[&str], allowed: &[IpNet], refusal: AddressRefusal) {
    for ip in spellings {
        assert_eq!(check(ip, allowed), Err(refusal.clone()), "{ip}");
    }
}

#[test]
fn addresses_inside_allowed_cidrs_become_host_routes() {
    for (ip, route) in [
        ("203.0.113.10", "203.0.113.10/32"),
        ("2001:db8:100::10", "2001:db8:100::10/128"),
    ] {
        assert_eq!(check(ip, &allowed()), Ok(route.parse().unwrap()), "{ip}");
    }
}

#[test]
fn addresses_outside_allowed_cidrs_are_refused() {
    assert_refused(
        &["8.8.8.8", "2001:db8:101::1"],
        &allowed(),
        AddressRefusal::OutsideAllowedCidrs,
    );
}

#[test]
fn empty_allowed_cidrs_announce_nothing() {
    assert_refused(&["203.0.113.10"], &[], AddressRefusal::OutsideAllowedCidrs);
}

#[test]
fn unparsable_and_ambiguous_spellings_are_refused() {
    assert_refused(
        &["not-an-ip", "203.0.113.010", "203.0.113.0/24"],
        &allowed(),
        AddressRefusal::Unparsable,
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
