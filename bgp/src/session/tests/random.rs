//! Random event sequences never panic and keep the machine's invariants.

use super::*;
use proptest::prelude::*;

/// Mostly the messages of a successful exchange, so that sequences reach
/// Established and collisions often; the rest are errors of every kind.
fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        6 => Just(Message::Keepalive),
        6 => Just(Message::Open(peer_open())),
        2 => Just(Message::Update(Update::default())),
        1 => (0u16..5).prop_map(|hold_time| Message::Open(Open {
            hold_time,
            ..peer_open()
        })),
        1 => Just(Message::Open(Open {
            my_as: 1,
            capabilities: vec![],
            ..peer_open()
        })),
        1 => (0u8..10).prop_map(|sub| Message::Notification(notification(ErrorCode::Cease, sub))),
        2 => (1u16..4).prop_map(|afi| refresh(Afi::from(afi), RouteRefreshSubtype::Request)),
    ]
}

fn conn() -> impl Strategy<Value = ConnectionId> {
    (1u64..4).prop_map(ConnectionId)
}

fn timer() -> impl Strategy<Value = Timer> {
    prop_oneof![
        3 => Just(Timer::ConnectRetry),
        1 => Just(Timer::BackoffReset),
        1 => conn().prop_map(Timer::Hold),
        2 => conn().prop_map(Timer::Keepalive),
        1 => conn().prop_map(Timer::SendHold),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        2 => Just(Event::Start),
        1 => Just(Event::Stop(notification(ErrorCode::Cease, 2))),
        1 => Just(Event::StopForRestart),
        6 => (conn(), any::<bool>()).prop_map(|(conn, out)| Event::Connected {
            conn,
            direction: if out {
                Direction::Outbound
            } else {
                Direction::Inbound
            }
        }),
        1 => Just(Event::ConnectFailed),
        1 => conn().prop_map(|conn| Event::LocalError {
            conn,
            notification: notification(ErrorCode::Cease, 8)
        }),
        1 => conn().prop_map(|conn| Event::Closed { conn }),
        16 => (conn(), message()).prop_map(|(conn, message)| Event::Received { conn, message }),
        1 => conn().prop_map(|conn| Event::DecodeFailed {
            conn,
            error: MessageError {
                notification: notification(ErrorCode::MessageHeader, 2),
                reason: "bad length".into()
            }
        }),
        4 => timer().prop_map(Event::TimerExpired),
        2 => (conn(), any::<bool>())
            .prop_map(|(conn, blocked)| Event::SendBlocked { conn, blocked }),
        1 => conn().prop_map(|conn| Event::SendProgress { conn }),
    ]
}

/// One step of a random run: a random event, or the event that moves connection
/// `conn` one step towards Established from wherever it is, so that runs get there
/// despite the noise.
#[derive(Clone, Debug)]
enum Step {
    Raw(Box<Event>),
    Advance(ConnectionId),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => event().prop_map(|e| Step::Raw(Box::new(e))),
        1 => conn().prop_map(Step::Advance),
    ]
}

fn advance(s: &Session, conn: ConnectionId) -> Event {
    let state = s.connections().find(|c| c.0 == conn).map(|c| c.2);
    match state {
        None => {
            let outbound_taken = s.connections().any(|c| c.1 == Direction::Outbound);
            Event::Connected {
                conn,
                direction: if outbound_taken {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                },
            }
        }
        Some(State::OpenSent) => recv(conn, Message::Open(peer_open())),
        Some(_) => recv(conn, Message::Keepalive),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn random_event_sequences_keep_invariants(
        steps in proptest::collection::vec(step(), 1..120),
        seed in any::<u64>(),
        passive in any::<bool>(),
    ) {
        let mut s = Session::new(SessionConfig { passive, ..config() }, seed);
        let mut established_now = false;
        for step in std::iter::once(Step::Raw(Box::new(Event::Start))).chain(steps) {
            let event = match step {
                Step::Raw(event) => *event,
                Step::Advance(conn) => advance(&s, conn),
            };
            let before = s.state();
            let actions = s.handle(event);
            let conns: Vec<_> = s.connections().collect();
            prop_assert!(conns.len() <= 2);
            if conns.len() == 2 {
                prop_assert_ne!(conns[0].1, conns[1].1, "one connection per direction");
            }
            prop_assert!(conns.iter().filter(|c| c.2 == State::Established).count() <= 1);
            prop_assert_eq!(s.state() == State::Established, s.negotiated().is_some());
            if !s.is_started() {
                prop_assert!(conns.is_empty());
                prop_assert_eq!(s.state(), State::Idle);
                // Stopped means stopped: no attempt, no timer.
                let restarting = actions.iter().any(|a| {
                    matches!(
                        a,
                        Action::Connect | Action::SetTimer { .. } | Action::Established { .. }
                    )
                });
                prop_assert!(!restarting);
            }
            for c in &conns {
                prop_assert!(matches!(
                    c.2,
                    State::OpenSent | State::OpenConfirm | State::Established
                ));
            }
            // Nothing is sent on a connection after it was closed.
            let mut closed_here = Vec::new();
            for a in &actions {
                match a {
                    Action::Close { conn } => closed_here.push(*conn),
                    Action::Send { conn, .. } => prop_assert!(!closed_here.contains(conn)),
                    Action::SetTimer { after, .. } => prop_assert!(*after > Duration::ZERO),
                    _ => {}
                }
            }
            for c in &closed_here {
                prop_assert!(!conns.iter().any(|x| x.0 == *c), "closed but kept");
            }
            // Established and Down alternate.
            for a in &actions {
                match a {
                    Action::Established { .. } => {
                        prop_assert!(!established_now);
                        established_now = true;
                    }
                    Action::Down { .. } => {
                        prop_assert!(established_now);
                        established_now = false;
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(established_now, s.state() == State::Established);
            let changed = actions.iter().any(|a| matches!(a, Action::StateChanged { .. }));
            prop_assert_eq!(changed, before != s.state());
        }
    }
}
