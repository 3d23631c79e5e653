use super::Rfc7606Action::*;
use super::type_code::*;
use super::*;

#[test]
fn table_rows_follow_rfc_7606_section_7() {
    let rows = [
        (ORIGIN, TreatAsWithdraw),
        (AS_PATH, TreatAsWithdraw),
        (NEXT_HOP, TreatAsWithdraw),
        (MULTI_EXIT_DISC, TreatAsWithdraw),
        (LOCAL_PREF, TreatAsWithdraw),
        (ATOMIC_AGGREGATE, AttributeDiscard),
        (AGGREGATOR, AttributeDiscard),
        (COMMUNITIES, TreatAsWithdraw),
        (ORIGINATOR_ID, TreatAsWithdraw),
        (CLUSTER_LIST, TreatAsWithdraw),
        (MP_REACH_NLRI, SessionReset),
        (MP_UNREACH_NLRI, SessionReset),
        (EXTENDED_COMMUNITIES, TreatAsWithdraw),
        (AS4_PATH, AttributeDiscard),
        (AS4_AGGREGATOR, AttributeDiscard),
        (LARGE_COMMUNITY, TreatAsWithdraw),
    ];
    for (code, action) in rows {
        assert_eq!(
            malformed_attribute_action(code, false),
            action,
            "type {code}"
        );
    }
}

#[test]
fn attributes_internal_to_an_as_are_discarded_from_external_peers() {
    for code in [LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST] {
        assert!(discarded_from_external_peer(code));
        assert_eq!(malformed_attribute_action(code, true), AttributeDiscard);
    }
    for code in [ORIGIN, AS_PATH, NEXT_HOP, MULTI_EXIT_DISC, COMMUNITIES] {
        assert!(!discarded_from_external_peer(code));
        assert_eq!(malformed_attribute_action(code, true), TreatAsWithdraw);
    }
}

#[test]
fn session_reset_is_not_an_attribute_action() {
    assert_eq!(SessionReset.as_attribute_action(), None);
    assert_eq!(
        TreatAsWithdraw.as_attribute_action(),
        Some(AttributeAction::TreatAsWithdraw)
    );
    assert_eq!(
        AttributeDiscard.as_attribute_action(),
        Some(AttributeAction::Discard)
    );
}
