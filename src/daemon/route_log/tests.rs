use super::*;

fn addresses(from: u32, n: u32) -> Vec<IpNet> {
    (from..from + n)
        .map(|i| IpNet::from(std::net::IpAddr::V4((0x0a00_0000 + i).into())))
        .collect()
}

#[test]
fn a_few_early_withdrawals_are_listed_for_their_own_lines() {
    let mut early = WithdrawnEarly::new(false);
    early.add(&addresses(0, 40));
    early.add(&addresses(40, 60));
    let (listed, unlisted) = early.into_parts();
    assert_eq!(listed, addresses(0, 100));
    assert_eq!(unlisted, 0);
}

#[test]
fn a_bulk_of_early_withdrawals_is_counted_not_copied() {
    let mut early = WithdrawnEarly::new(false);
    early.add(&addresses(0, 60));
    early.add(&addresses(60, 4096));
    // A small chunk after the bulk is counted too: the list never restarts.
    early.add(&addresses(5000, 3));
    let (listed, unlisted) = early.into_parts();
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(unlisted, 60 + 4096 + 3);
}

#[test]
fn with_per_route_lines_on_every_early_withdrawal_is_listed() {
    let mut early = WithdrawnEarly::new(true);
    early.add(&addresses(0, 4096));
    early.add(&addresses(4096, 10));
    let (listed, unlisted) = early.into_parts();
    assert_eq!(listed, addresses(0, 4106));
    assert_eq!(unlisted, 0);
}
