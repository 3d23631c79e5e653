use super::*;

#[test]
fn versions_are_read_from_each_routers_banner() {
    assert_eq!(
        version_in("bgpd version 8.4.4\nCopyright").as_deref(),
        Some("8.4.4")
    );
    assert_eq!(version_in("BIRD version 2.0.12").as_deref(), Some("2.0.12"));
    assert_eq!(
        version_in("gobgpd version 3.10.0").as_deref(),
        Some("3.10.0")
    );
    assert_eq!(
        version_in("ExaBGP : 4.2.21\nPython : 3.11").as_deref(),
        Some("4.2.21")
    );
    assert_eq!(version_in("nothing here"), None);
}

#[test]
fn targets_are_named_after_their_files() {
    for t in Target::ALL {
        assert_eq!(Target::parse(t.name()), Some(t));
    }
    assert_eq!(Target::parse("quagga"), None);
}
