use super::*;

fn addresses(from: u32, n: u32) -> Vec<IpNet> {
    (from..from + n)
        .map(|i| IpNet::from(std::net::IpAddr::V4((0x0a00_0000 + i).into())))
        .collect()
}

/// A case: its name, whether per-route lines are on, the chunks handed over as (first,
/// count), and the addresses listed and counted after them.
type Case = (&'static str, bool, &'static [(u32, u32)], Vec<IpNet>, usize);

#[test]
fn early_withdrawals_are_listed_while_they_can_have_their_own_lines() {
    let cases: [Case; 3] = [
        ("a few", false, &[(0, 40), (40, 60)], addresses(0, 100), 0),
        // A small chunk after the bulk is counted too: the list never restarts.
        (
            "a bulk",
            false,
            &[(0, 60), (60, 4096), (5000, 3)],
            vec![],
            60 + 4096 + 3,
        ),
        (
            "a bulk with debug on",
            true,
            &[(0, 4096), (4096, 10)],
            addresses(0, 4106),
            0,
        ),
    ];
    for (case, list_all, chunks, listed, counted) in cases {
        let mut early = WithdrawnEarly::new(list_all);
        for &(first, count) in chunks {
            early.add(&addresses(first, count));
        }
        assert_eq!(early.into_parts(), (listed, counted), "{case}");
    }
}
