//! One test per rule of the speaker, driven with inputs and instants: no socket, no
//! clock.

mod routes;
mod shutdown;

use super::*;
use crate::rib_out::RouteAttributes;
use crate::session::{GracefulRestartConfig, State};
use crate::types::{Afi, Asn, Family, HoldTime, RestartTime, RouterId, Safi};
use crate::wire::{Capability, GracefulRestart, Open, Update};
use std::net::Ipv4Addr;

const C1: ConnectionId = ConnectionId(1);

fn config() -> SessionConfig {
    SessionConfig {
        local_asn: Asn(65001),
        peer_asn: Asn(65002),
        router_id: RouterId::new(Ipv4Addr::new(10, 0, 0, 1)).unwrap(),
        hold_time: HoldTime::new(90).unwrap(),
        connect_retry: Duration::from_secs(5),
        connect_retry_max: Duration::from_secs(60),
        passive: false,
        families: vec![Family::Ipv4Unicast],
        graceful_restart: None,
        hostname: None,
        extended_message: false,
        send_hold_time: None,
    }
}

fn graceful_restart(restarting: bool) -> Option<GracefulRestartConfig> {
    Some(GracefulRestartConfig {
        restart_time: RestartTime::new(120).unwrap(),
        restarting,
    })
}

fn peer_open(with_graceful_restart: bool) -> Open {
    let mut capabilities = vec![
        Family::Ipv4Unicast.into(),
        Capability::FourOctetAs(Asn(65002)),
    ];
    if with_graceful_restart {
        capabilities.push(Capability::GracefulRestart(GracefulRestart {
            restart_state: false,
            notification: false,
            restart_time: 120,
            families: vec![],
        }));
    }
    Open {
        version: 4,
        my_as: 65002,
        hold_time: 90,
        router_id: RouterId::new(Ipv4Addr::new(10, 0, 0, 2)).unwrap(),
        capabilities,
    }
}

fn info() -> ConnectionInfo {
    ConnectionInfo {
        local: "192.0.2.1:40000".parse().unwrap(),
        remote: "192.0.2.2:179".parse().unwrap(),
        next_hops: NextHops {
            v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            ..NextHops::default()
        },
    }
}

fn attrs() -> Arc<RouteAttributes> {
    Arc::new(RouteAttributes::default())
}

fn prefix(last: u8) -> ipnet::IpNet {
    format!("203.0.113.{last}/32").parse().unwrap()
}

/// A batch announcing `prefix(last)`.
fn announce(last: u8) -> Command {
    Command::Changes {
        changes: vec![RouteChange::Announce(prefix(last), attrs())],
        since: None,
    }
}

/// A connection's output that keeps the messages and counts their encoded octets.
#[derive(Default)]
struct Sink {
    messages: Vec<Message>,
    octets: usize,
}

impl UpdateSink for Sink {
    fn queued(&self) -> usize {
        self.octets
    }

    fn queue(&mut self, message: &Message) -> Result<(), crate::wire::EncodeError> {
        let mut bytes = bytes::BytesMut::new();
        message.encode(&SessionContext::default(), &mut bytes)?;
        self.octets += bytes.len();
        self.messages.push(message.clone());
        Ok(())
    }
}

impl Sink {
    fn updates(&self) -> Vec<&Update> {
        self.messages
            .iter()
            .filter_map(|m| match m {
                Message::Update(u) => Some(u),
                _ => None,
            })
            .collect()
    }

    fn end_of_ribs(&self) -> usize {
        self.updates()
            .iter()
            .filter(|u| u.as_end_of_rib().is_some())
            .count()
    }
}

/// A speaker and the instant its test is at.
struct Harness {
    speaker: PeerSpeaker,
    now: Instant,
}

impl Harness {
    fn new(config: SessionConfig) -> Harness {
        let now = Instant::now();
        Harness {
            speaker: PeerSpeaker::new(Arc::from("tor"), config, 1, now),
            now,
        }
    }

    /// A speaker told to start, with no connection yet.
    fn started(config: SessionConfig) -> Harness {
        let mut h = Harness::new(config);
        h.handle(Input::Start);
        h
    }

    /// Our outbound connection `conn` is up; the outputs.
    fn connect(&mut self, conn: ConnectionId) -> Vec<Output> {
        self.handle(Input::Connected {
            conn,
            direction: Direction::Outbound,
            info: info(),
        })
    }

    /// Handles `input` and returns the outputs.
    fn handle(&mut self, input: Input) -> Vec<Output> {
        self.speaker.handle(input, self.now);
        self.drain()
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.speaker.poll_output()).collect()
    }

    /// Moves time on by `by` and runs what is due.
    fn advance(&mut self, by: Duration) -> Vec<Output> {
        self.now += by;
        self.speaker.on_deadline(self.now);
        self.drain()
    }

    fn commands(&mut self, commands: Vec<Command>) -> Vec<Output> {
        let mut out = Vec::new();
        for command in commands {
            out.extend(self.handle(Input::Command(command)));
        }
        out.extend(self.handle(Input::CommandsDone));
        out
    }

    /// Connects on [`C1`] and exchanges OPENs with `peer`; the outputs of the last step.
    fn open_session(&mut self, peer: Open) -> Vec<Output> {
        self.open_session_on(C1, peer)
    }

    /// Connects on `conn` and exchanges OPENs with `peer`; the outputs of the last step.
    fn open_session_on(&mut self, conn: ConnectionId, peer: Open) -> Vec<Output> {
        self.connect(conn);
        self.handle(Input::Received {
            conn,
            message: Box::new(Message::Open(peer)),
        });
        self.handle(Input::Received {
            conn,
            message: Box::new(Message::Keepalive),
        })
    }

    /// Started, connected on [`C1`], OPENs exchanged: Established.
    fn established(config: SessionConfig, peer: Open) -> Harness {
        let mut h = Harness::started(config);
        let out = h.open_session(peer);
        assert!(out.iter().any(|o| matches!(o, Output::Established { .. })));
        assert_eq!(h.speaker.status().state, State::Established);
        h
    }

    /// Carries out every [`Output::SendUpdates`] of `outputs` into `sink`.
    fn fill_from(&mut self, outputs: &[Output], sink: &mut Sink) -> bool {
        let mut more = false;
        for o in outputs {
            if let Output::SendUpdates { conn } = o {
                more = self.speaker.fill(*conn, sink);
            }
        }
        more
    }
}

fn asks_for_updates(outputs: &[Output]) -> bool {
    outputs
        .iter()
        .any(|o| matches!(o, Output::SendUpdates { conn } if *conn == C1))
}

fn cease_sent(outputs: &[Output]) -> bool {
    outputs.iter().any(|o| {
        matches!(o, Output::Send { message: Message::Notification(n), .. }
            if n.code == crate::wire::ErrorCode::Cease)
    })
}

fn closes(outputs: &[Output]) -> bool {
    outputs
        .iter()
        .any(|o| matches!(o, Output::Close { conn } if *conn == C1))
}

#[test]
fn the_open_carries_the_restart_state_bit_only_while_restarting() {
    for restarting in [true, false] {
        let mut h = Harness::started(SessionConfig {
            graceful_restart: graceful_restart(restarting),
            ..config()
        });
        let out = h.connect(C1);
        let open = out.iter().find_map(|o| match o {
            Output::Send {
                message: Message::Open(open),
                ..
            } => Some(open),
            _ => None,
        });
        let gr = open
            .expect("an OPEN")
            .capabilities
            .iter()
            .find_map(|c| match c {
                Capability::GracefulRestart(gr) => Some(gr.clone()),
                _ => None,
            })
            .expect("the graceful restart capability");
        assert_eq!(gr.restart_state, restarting);
        assert_eq!(gr.restart_time, 120);
    }
}

#[test]
fn session_timers_are_deadlines_from_the_instant_given() {
    let mut h = Harness::started(config());
    let out = h.connect(C1);
    let hold = out.iter().find_map(|o| match o {
        Output::SetTimer {
            timer: Timer::Hold(C1),
            at,
        } => Some(*at),
        _ => None,
    });
    // RFC 4271 section 8.2.2: a large hold timer (4 minutes) while waiting for the OPEN.
    assert_eq!(hold, Some(h.now + Duration::from_secs(240)));
}

#[test]
fn a_notification_received_is_the_last_error() {
    let mut h = Harness::established(config(), peer_open(false));
    let cease = crate::wire::Notification::cease_with_reason(2, "maintenance");
    h.handle(Input::Received {
        conn: C1,
        message: Box::new(Message::Notification(cease)),
    });
    let status = h.speaker.status();
    assert_eq!(status.state, State::Idle);
    assert_eq!(status.counters.flaps, 1);
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("received") && e.contains("maintenance")),
        "{:?}",
        status.last_error
    );
}
