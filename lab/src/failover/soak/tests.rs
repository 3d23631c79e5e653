use super::*;

fn reading(state: &str, transitions: u64, ups: u64, downs: u64) -> Reading {
    Reading {
        ours: OurBfd {
            state: state.into(),
            transitions,
        },
        tor: TorBfd {
            status: state.into(),
            ups,
            downs,
        },
    }
}

fn report(before: Reading, after: Reading, not_up: Vec<String>) -> SoakReport {
    SoakReport {
        mode: Mode::Bfd300,
        duration: Duration::from_secs(300),
        busy_loops: 2,
        before,
        after,
        samples: 300,
        not_up,
        load: ("2.0".into(), "4.1".into()),
    }
}

#[test]
fn a_quiet_soak_stayed_up() {
    let r = report(reading("up", 2, 1, 0), reading("up", 2, 1, 0), vec![]);
    assert!(r.stayed_up());
    assert!(render(&r).contains("no false positive"));
}

#[test]
fn any_change_on_either_end_is_a_false_positive() {
    let ours = report(reading("up", 2, 1, 0), reading("up", 4, 1, 0), vec![]);
    let tors = report(reading("up", 2, 1, 0), reading("up", 2, 2, 1), vec![]);
    let sampled = report(
        reading("up", 2, 1, 0),
        reading("up", 2, 1, 0),
        vec!["7 s: ours down".into()],
    );
    for r in [ours, tors, sampled] {
        assert!(!r.stayed_up(), "{r:?}");
        assert!(render(&r).contains("did NOT stay Up"));
    }
}
