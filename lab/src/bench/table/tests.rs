use super::*;
use crate::bench::originator::Kind;
use crate::bench::tor::{Export, Received};

fn run(kind: Kind, rib_ms: u64) -> Run {
    let mut r = Run::new(kind, 1000, Export::All);
    r.established = Some(Duration::from_millis(100));
    r.rib_full = Some(Duration::from_millis(rib_ms));
    r.announce = Some(Received {
        updates: 4,
        bytes: 5000,
    });
    r
}

#[test]
fn ratios_are_to_the_best_anchor() {
    let mut runs = [
        run(Kind::ManifestsA, 900),
        run(Kind::Bird, 300),
        run(Kind::Gobgp, 600),
        run(Kind::Exabgp, 100),
    ];
    runs[3].established = Some(Duration::from_micros(99_990));
    let text = render(&runs);
    let line = text
        .lines()
        .find(|l| l.starts_with("| start -> ToR RIB holds all"))
        .unwrap();
    assert_eq!(
        line,
        "| start -> ToR RIB holds all | 900 ms (9.0x) | 300 ms (3.0x) | 600 ms (6.0x) | 100 ms (1.0x) |"
    );
    assert!(text.contains("| N = 1,000 | kube-anycast manifests A | BIRD 2 | GoBGP | ExaBGP |"));
    assert!(text.contains("| bulk withdraw -> ToR RIB empty | — | — | — | — |"));
    // Established and RIB full seen in the same poll: no ratio against ~0.
    assert!(
        text.contains("| Established -> ToR RIB holds all | 800 ms | 200 ms | 500 ms | 0 ms |")
    );
}

#[test]
fn counts_and_units() {
    assert_eq!(count(100_000.0), "100,000");
    assert_eq!(count(999.0), "999");
    assert_eq!(show(Unit::Bytes, 3.0 * 1024.0 * 1024.0), "3.0 MiB");
    assert_eq!(show(Unit::Time, 1.5), "1.50 s");
}

#[test]
fn the_footer_says_what_the_tor_sent_back() {
    let all = render(&[run(Kind::Bird, 300)]);
    assert!(all.contains("advertised every route back"), "{all}");
    assert!(!all.contains("advertised nothing"), "{all}");
    let mut quiet = run(Kind::Bird, 300);
    quiet.export = Export::None;
    let none = render(&[quiet]);
    assert!(none.contains("advertised nothing"), "{none}");
    assert!(!none.contains("advertised every route back"), "{none}");
}
