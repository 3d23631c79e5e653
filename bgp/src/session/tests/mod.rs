//! One test per protocol rule, driving [`Session`] with events and checking its actions.

mod collision;
mod errors;
mod graceful_restart;
mod lifecycle;
mod negotiation;
mod open;
mod random;
mod reset;
mod route_refresh;
mod send_hold;
mod timers;

use super::*;
use crate::types::{Afi, HoldTime, RestartTime, Safi};
use crate::wire::notification::{cease_subcode, fsm_subcode, open_subcode};
use crate::wire::{
    Capability, ErrorCode, GracefulRestart, GracefulRestartFamily, MessageError, Open,
    RouteRefresh, RouteRefreshSubtype, Update,
};
use std::net::Ipv4Addr;

const OUT: ConnectionId = ConnectionId(1);
const IN: ConnectionId = ConnectionId(2);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn rid(a: u8, b: u8, c: u8, d: u8) -> RouterId {
    RouterId::new(Ipv4Addr::new(a, b, c, d)).unwrap()
}

fn config() -> SessionConfig {
    SessionConfig {
        local_asn: Asn(65001),
        peer_asn: Asn(65002),
        router_id: rid(10, 0, 0, 1),
        hold_time: HoldTime::new(90).unwrap(),
        connect_retry: secs(5),
        connect_retry_max: secs(60),
        passive: false,
        families: vec![Family::Ipv4Unicast, Family::Ipv6Unicast],
        graceful_restart: None,
        hostname: None,
        extended_message: false,
        send_hold_time: None,
    }
}

/// Our configuration towards a peer in `peer_asn`.
fn config_for_peer(peer_asn: Asn) -> SessionConfig {
    SessionConfig {
        peer_asn,
        ..config()
    }
}

/// The peer's OPEN with `my_as` in its header and, when given, `four_octet_as` as its
/// only capability.
fn open_from_as(my_as: u16, four_octet_as: Option<Asn>) -> Open {
    Open {
        my_as,
        capabilities: four_octet_as
            .map(Capability::FourOctetAs)
            .into_iter()
            .collect(),
        ..peer_open()
    }
}

/// An OPEN the peer of [`config`] would send.
fn peer_open() -> Open {
    Open {
        version: 4,
        my_as: 65002,
        hold_time: 90,
        router_id: rid(10, 0, 0, 2),
        capabilities: vec![
            Family::Ipv4Unicast.into(),
            Family::Ipv6Unicast.into(),
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn(65002)),
        ],
    }
}

fn recv(conn: ConnectionId, message: Message) -> Event {
    Event::Received { conn, message }
}

fn connected(conn: ConnectionId, direction: Direction) -> Event {
    Event::Connected { conn, direction }
}

fn notification(code: ErrorCode, subcode: u8) -> Notification {
    Notification::new(code, subcode, Vec::new())
}

/// A started machine with `conn` in OpenSent.
fn open_sent(cfg: SessionConfig, conn: ConnectionId, direction: Direction) -> Session {
    let mut s = Session::new(cfg, 1);
    s.handle(Event::Start);
    s.handle(connected(conn, direction));
    assert_eq!(s.state(), State::OpenSent);
    s
}

/// A machine Established on `OUT` with the peer OPEN given.
fn established_with(cfg: SessionConfig, open: Open) -> Session {
    let mut s = open_sent(cfg, OUT, Direction::Outbound);
    s.handle(recv(OUT, Message::Open(open)));
    assert_eq!(s.state(), State::OpenConfirm);
    s.handle(recv(OUT, Message::Keepalive));
    assert_eq!(s.state(), State::Established);
    s
}

fn established() -> Session {
    established_with(config(), peer_open())
}

/// What the peer's OPEN leads to: the negotiation, or the NOTIFICATION we sent.
fn negotiate_open(cfg: SessionConfig, open: Open) -> Result<Negotiated, Notification> {
    let mut s = open_sent(cfg, OUT, Direction::Outbound);
    let actions = s.handle(recv(OUT, Message::Open(open)));
    if let Some(n) = notification_sent(&actions, OUT) {
        assert!(
            closed(&actions, OUT),
            "a refused OPEN closes the connection"
        );
        assert_eq!(s.state(), State::Idle);
        return Err(n.clone());
    }
    s.handle(recv(OUT, Message::Keepalive));
    Ok(s.negotiated().expect("established").clone())
}

fn sent(actions: &[Action], conn: ConnectionId) -> Vec<&Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { conn: c, message } if *c == conn => Some(message),
            _ => None,
        })
        .collect()
}

fn notification_sent(actions: &[Action], conn: ConnectionId) -> Option<&Notification> {
    sent(actions, conn).into_iter().find_map(|m| match m {
        Message::Notification(n) => Some(n),
        _ => None,
    })
}

fn closed(actions: &[Action], conn: ConnectionId) -> bool {
    actions.contains(&Action::Close { conn })
}

/// Asserts that `conn` was sent a Cease with `subcode` and closed: how the machine
/// refuses a connection it will not keep (RFC 4271 6.8, RFC 4486).
fn assert_ceased(actions: &[Action], conn: ConnectionId, subcode: u8) {
    assert_eq!(
        notification_sent(actions, conn),
        Some(&notification(ErrorCode::Cease, subcode)),
        "{actions:?}"
    );
    assert!(closed(actions, conn), "{actions:?}");
}

fn timer_set(actions: &[Action], timer: Timer) -> Option<Duration> {
    actions.iter().find_map(|a| match a {
        Action::SetTimer { timer: t, after } if *t == timer => Some(*after),
        _ => None,
    })
}

fn down_reason(actions: &[Action]) -> Option<&DownReason> {
    actions.iter().find_map(|a| match a {
        Action::Down { reason } => Some(reason),
        _ => None,
    })
}

fn fsm_error(subcode: u8) -> Notification {
    notification(ErrorCode::Fsm, subcode)
}

fn refresh(afi: Afi, subtype: RouteRefreshSubtype) -> Message {
    Message::RouteRefresh(RouteRefresh {
        afi,
        safi: Safi::Unicast,
        subtype,
    })
}
