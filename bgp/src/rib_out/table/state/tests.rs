use super::*;

#[test]
fn the_queue_state_and_the_flags_of_a_prefix_change_independently() {
    let states = [
        Queued::No,
        Queued::Withdraw,
        Queued::Announce(FIRST_GROUP),
        Queued::Announce(PrefixState::QUEUED),
    ];
    for queued in states {
        for (resend, mark) in [(false, false), (true, false), (false, true), (true, true)] {
            let case = format!("{queued:?}, resend {resend}, mark {mark}");
            let mut state = PrefixState::new(mark);
            state.set_resend(resend);
            state.set_queued(queued);
            assert_eq!(state.queued(), queued, "{case}");
            assert_eq!((state.resend(), state.mark()), (resend, mark), "{case}");
            assert_eq!(state.take_queued(), queued, "{case}");
            assert_eq!(state.queued(), Queued::No, "{case}");
            assert_eq!((state.resend(), state.mark()), (resend, mark), "{case}");
        }
    }
}
