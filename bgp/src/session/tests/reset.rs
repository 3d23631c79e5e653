//! Reset: an outside failure detector (BFD, RFC 9384) takes the session down.

use super::*;

fn bfd_down() -> Notification {
    notification(ErrorCode::Cease, cease_subcode::BFD_DOWN)
}

#[test]
fn reset_sends_the_notification_closes_and_goes_down() {
    let mut s = established();
    let a = s.handle(Event::Reset(bfd_down()));
    assert_eq!(notification_sent(&a, OUT), Some(&bfd_down()));
    assert!(closed(&a, OUT));
    assert!(a.iter().any(|x| matches!(x, Action::Down { .. })));
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn reset_restarts_automatically_after_the_backoff() {
    let mut s = established();
    let a = s.handle(Event::Reset(bfd_down()));
    assert!(timer_set(&a, Timer::ConnectRetry).is_some());
    let a = s.handle(Event::TimerExpired(Timer::ConnectRetry));
    assert_eq!(a.first(), Some(&Action::Connect));
}

#[test]
fn reset_closes_every_connection_of_a_collision() {
    let mut s = open_sent(config(), OUT, Direction::Outbound);
    s.handle(connected(IN, Direction::Inbound));
    let a = s.handle(Event::Reset(bfd_down()));
    assert!(closed(&a, OUT) && closed(&a, IN));
}

#[test]
fn reset_without_a_connection_does_nothing() {
    let mut s = Session::new(config(), 1);
    s.handle(Event::Start);
    s.handle(Event::ConnectFailed);
    let before = s.state();
    let a = s.handle(Event::Reset(bfd_down()));
    assert!(a.is_empty(), "{a:?}");
    assert_eq!(s.state(), before);
}
