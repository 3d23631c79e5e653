use super::*;

#[test]
fn each_mode_is_named_on_the_command_line() {
    for (name, mode) in [
        ("300", Mode::Bfd300),
        ("50", Mode::Bfd50),
        ("off", Mode::Off),
    ] {
        assert_eq!(Mode::parse(name), Some(mode));
    }
    assert_eq!(Mode::parse("100"), None);
}

#[test]
fn only_bfd_modes_have_timers_and_goals() {
    assert_eq!(Mode::Bfd50.timers().map(|t| t.tx_ms), Some(50));
    assert_eq!(Mode::Off.timers(), None);
    assert_eq!(Mode::Off.goal(), None);
    assert_eq!(Mode::Bfd300.title(), "BFD 300 ms x 3");
    assert_eq!(Mode::Off.title(), "BFD off (hold 9 s)");
}
