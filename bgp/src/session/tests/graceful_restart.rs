//! Graceful restart as a restarting speaker (RFC 4724 section 3), checked on the OPEN
//! bytes that go on the wire.

use super::*;

fn gr_config(restarting: bool) -> SessionConfig {
    SessionConfig {
        graceful_restart: Some(GracefulRestartConfig {
            restart_time: RestartTime::new(120).unwrap(),
            restarting,
        }),
        ..config()
    }
}

/// The value of the graceful restart capability in the encoded form of `open`, found by
/// walking the optional parameters (RFC 5492) of the bytes, not the typed message.
fn gr_value_on_the_wire(open: &Open) -> Vec<u8> {
    let mut buf = bytes::BytesMut::new();
    Message::Open(open.clone())
        .encode(&SessionContext::default(), &mut buf)
        .expect("encodes");
    // Header (19), version (1), my AS (2), hold time (2), identifier (4), params length.
    let params_len = usize::from(buf[28]);
    let mut params = &buf[29..29 + params_len];
    while let [kind, len, rest @ ..] = params {
        let (value, tail) = rest.split_at(usize::from(*len));
        if *kind == 2 {
            let mut caps = value;
            while let [code, clen, crest @ ..] = caps {
                let (cvalue, ctail) = crest.split_at(usize::from(*clen));
                if *code == 64 {
                    return cvalue.to_vec();
                }
                caps = ctail;
            }
        }
        params = tail;
    }
    panic!("no graceful restart capability in {open:?}");
}

/// (R bit, F bit of each family) as encoded.
fn bits(open: &Open) -> (bool, Vec<bool>) {
    let v = gr_value_on_the_wire(open);
    let r = v[0] & 0x80 != 0;
    let f = v[2..]
        .chunks(4)
        .map(|family| family[3] & 0x80 != 0)
        .collect();
    (r, f)
}

/// The OPEN sent on a new connection `conn`.
fn open_sent_on(actions: &[Action], conn: ConnectionId) -> Open {
    sent(actions, conn)
        .into_iter()
        .find_map(|m| match m {
            Message::Open(o) => Some(o.clone()),
            _ => None,
        })
        .expect("an OPEN on the new connection")
}

#[test]
fn forwarding_state_bit_is_set_for_every_family() {
    for restarting in [true, false] {
        let mut s = Session::new(gr_config(restarting), 1);
        s.handle(Event::Start);
        let a = s.handle(connected(OUT, Direction::Outbound));
        let (_, f) = bits(&open_sent_on(&a, OUT));
        assert_eq!(f, vec![true, true], "restarting={restarting}");
    }
}

#[test]
fn restart_state_bit_is_set_in_the_first_sessions_open_after_start() {
    let mut s = Session::new(gr_config(true), 1);
    s.handle(Event::Start);
    let a = s.handle(connected(OUT, Direction::Outbound));
    assert!(bits(&open_sent_on(&a, OUT)).0);
}

#[test]
fn restart_state_bit_stays_set_until_a_session_is_established() {
    // The first connection fails before Established: the next OPEN still announces the
    // restart, since the peer has not yet seen one from this process.
    let mut s = Session::new(gr_config(true), 1);
    s.handle(Event::Start);
    s.handle(connected(OUT, Direction::Outbound));
    s.handle(Event::Closed { conn: OUT });
    s.handle(Event::TimerExpired(Timer::ConnectRetry));
    let a = s.handle(connected(ConnectionId(3), Direction::Outbound));
    assert!(bits(&open_sent_on(&a, ConnectionId(3))).0);
}

#[test]
fn restart_state_bit_is_clear_on_reconnects_after_the_first_session() {
    let mut s = established_with(gr_config(true), peer_open());
    s.handle(Event::Closed { conn: OUT });
    s.handle(Event::TimerExpired(Timer::ConnectRetry));
    let a = s.handle(connected(ConnectionId(3), Direction::Outbound));
    let (r, f) = bits(&open_sent_on(&a, ConnectionId(3)));
    assert!(!r, "a reconnect is not a restart of the speaker");
    assert_eq!(f, vec![true, true], "forwarding is still preserved");
    assert!(!s.local_open().capabilities.iter().any(|c| matches!(
        c,
        Capability::GracefulRestart(GracefulRestart {
            restart_state: true,
            ..
        })
    )));
}

#[test]
fn restart_state_bit_is_never_set_when_not_restarting() {
    let mut s = Session::new(gr_config(false), 1);
    s.handle(Event::Start);
    let a = s.handle(connected(OUT, Direction::Outbound));
    assert_eq!(bits(&open_sent_on(&a, OUT)), (false, vec![true, true]));
}
