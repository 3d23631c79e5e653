use super::*;
use crate::wire::{ErrorCode, Update};

#[test]
fn counters_split_messages_by_type() {
    let mut c = PeerCounters::default();
    c.count_sent(&Message::Keepalive);
    c.count_sent(&Message::Update(Update::default()));
    c.count_sent(&Message::Notification(Notification::new(
        ErrorCode::Cease,
        2,
        Vec::new(),
    )));
    assert_eq!(
        (c.messages_sent, c.updates_sent, c.notifications_sent),
        (3, 1, 1)
    );
    assert_eq!(c.messages_received, 0);
}

#[test]
fn rfc7606_issues_of_received_updates_are_counted() {
    let mut c = PeerCounters::default();
    let u = Update {
        issues: vec![crate::wire::AttributeIssue {
            type_code: 4,
            action: crate::wire::AttributeAction::Discard,
            reason: "MED length 3".into(),
        }],
        ..Update::default()
    };
    c.count_received(&Message::Update(u));
    c.count_received(&Message::Keepalive);
    assert_eq!(
        (
            c.messages_received,
            c.updates_received,
            c.update_attribute_errors
        ),
        (2, 1, 1)
    );
}
