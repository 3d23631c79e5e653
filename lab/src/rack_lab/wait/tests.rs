use super::*;

#[test]
fn poll_returns_at_once_when_the_condition_already_holds() {
    let mut calls = 0;
    assert!(poll(Duration::ZERO, || {
        calls += 1;
        true
    }));
    assert_eq!(calls, 1);
    assert!(!poll(Duration::ZERO, || false));
}
