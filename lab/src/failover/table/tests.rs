use super::*;
use crate::failover::client::Tally;
use crate::failover::fault::Fault;
use crate::failover::mode::Mode;

fn run(mode: Mode, detect_ms: Option<u64>) -> Measurement {
    Measurement {
        mode,
        fault: Fault::LinkCut,
        detect: detect_ms.map(Duration::from_millis),
        during: Tally {
            sent: 190,
            failed: 31,
        },
        readd: Some(Duration::from_millis(1460)),
        back_at: None,
        after: Tally {
            sent: 250,
            failed: 1,
        },
        tor_bfd_down_and_up: mode.timers().map(|_| true),
        notes: Vec::new(),
    }
}

#[test]
fn each_row_shows_the_numbers_and_the_goal() {
    let table = render(&[
        run(Mode::Bfd300, Some(871)),
        run(Mode::Bfd50, Some(260)),
        run(Mode::Off, Some(7950)),
    ]);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(
        rows[2],
        "| link cut | BFD 300 ms x 3 | 871 | < 1000 ms | yes | 31 (190) | 1.46 | 1 | yes |"
    );
    assert!(rows[3].contains("| 260 | < 250 ms | NO |"), "{}", rows[3]);
    assert!(
        rows[4].contains("| BFD off (hold 9 s) | 7950 |  |  |"),
        "{}",
        rows[4]
    );
}

#[test]
fn a_missing_detection_misses_the_goal_and_its_notes_follow() {
    let mut m = run(Mode::Bfd300, None);
    m.notes.push("the next hop did not leave".into());
    let table = render(&[m]);
    assert!(table.contains("| - | < 1000 ms | NO |"), "{table}");
    assert!(table.contains("link cut, BFD 300 ms x 3: the next hop did not leave"));
}
