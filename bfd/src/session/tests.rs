//! One test per rule of RFC 5880 sections 6.5 and 6.8, driven with hand-made packets from
//! a pretend peer and a clock that only moves when the test says so.

use super::*;
use crate::fuzzing::typical_packet as packet;
use crate::packet::Packet;

/// A random source that always returns the same value, so jitter is predictable.
struct Fixed(u32);

impl RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.0
    }
    fn next_u64(&mut self) -> u64 {
        u64::from(self.0)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        dst.fill(0);
    }
}

const OURS: u32 = 7;
const THEIRS: u32 = 42;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn config(tx: u64, rx: u64, mult: u8) -> SessionConfig {
    SessionConfig {
        desired_min_tx: ms(tx),
        required_min_rx: ms(rx),
        detect_mult: NonZeroU8::new(mult).unwrap(),
    }
}

/// A session with no jitter (the random source picks the top of the range).
fn session(now: Instant) -> Session {
    session_with(config(300, 300, 3), Fixed(25), now)
}

fn session_with(cfg: SessionConfig, rng: Fixed, now: Instant) -> Session {
    Session::new(cfg, NonZeroU32::new(OURS).unwrap(), Box::new(rng), now)
}

/// A packet from the peer: 300 ms x 3 unless changed.
fn from_peer(state: State) -> Packet {
    let your = if state == State::Down { 0 } else { OURS };
    packet(state, THEIRS, your)
}

/// The peer's Up packet with `edit` applied: one test changes one or two fields.
fn up_from_peer(edit: impl FnOnce(&mut Packet)) -> Packet {
    let mut p = from_peer(State::Up);
    edit(&mut p);
    p
}

/// The peer's answer to our Poll: Up with F set.
fn final_from_peer() -> Packet {
    up_from_peer(|p| p.final_ = true)
}

fn receive(s: &mut Session, at: Instant, p: Packet) -> Output {
    s.handle(at, Event::Received(p))
}

fn sent(out: &Output) -> Vec<&Packet> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(p) => Some(p),
            Action::StateChanged { .. } => None,
        })
        .collect()
}

fn changes(out: &Output) -> Vec<(State, State, Diagnostic)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::StateChanged {
                from,
                to,
                diagnostic,
            } => Some((*from, *to, *diagnostic)),
            Action::Send(_) => None,
        })
        .collect()
}

/// Brings a fresh session Up through the handshake and answers its first Poll, all at
/// the instant returned.
fn up_now() -> (Instant, Session) {
    let now = Instant::now();
    let mut s = session(now);
    receive(&mut s, now, from_peer(State::Down));
    receive(&mut s, now, from_peer(State::Up));
    assert_eq!(s.state(), State::Up);
    receive(&mut s, now, final_from_peer());
    (now, s)
}

#[test]
fn a_new_session_is_down_and_sends_at_once() {
    let now = Instant::now();
    let mut s = session(now);
    assert_eq!(s.next_deadline(), Some(now));
    let out = s.handle(now, Event::Timer);
    let p = sent(&out)[0].clone();
    assert_eq!(p.state, State::Down);
    assert_eq!(p.your_discriminator, 0);
    assert_eq!(p.my_discriminator.get(), OURS);
}

#[test]
fn three_way_handshake_goes_down_init_up() {
    let now = Instant::now();
    let mut s = session(now);
    let out = receive(&mut s, now, from_peer(State::Down));
    assert_eq!(
        changes(&out),
        [(State::Down, State::Init, Diagnostic::None)]
    );
    assert_eq!(sent(&out)[0].your_discriminator, THEIRS);
    let out = receive(&mut s, now, from_peer(State::Init));
    assert_eq!(changes(&out), [(State::Init, State::Up, Diagnostic::None)]);
}

/// RFC 5880 section 6.8.6: Init from the peer brings a Down session straight Up; Up and
/// AdminDown leave it Down.
#[test]
fn a_down_session_follows_the_state_the_peer_reports() {
    for (peer, expected, after) in [
        (
            State::Init,
            vec![(State::Down, State::Up, Diagnostic::None)],
            State::Up,
        ),
        (State::Up, vec![], State::Down),
        (State::AdminDown, vec![], State::Down),
    ] {
        let now = Instant::now();
        let mut s = session(now);
        let out = receive(&mut s, now, from_peer(peer));
        assert_eq!(changes(&out), expected, "peer {peer}");
        assert_eq!(s.state(), after, "peer {peer}");
    }
}

#[test]
fn detection_time_expiry_takes_the_session_down_with_diagnostic_1() {
    let (t0, mut s) = up_now();
    // Detection time: the peer's multiplier (3) x max(our 300 ms RX, its 300 ms TX).
    assert_eq!(s.snapshot().detection_time, ms(900));
    let out = s.handle(t0 + ms(899), Event::Timer);
    assert!(changes(&out).is_empty());
    let out = s.handle(t0 + ms(900), Event::Timer);
    assert_eq!(
        changes(&out),
        [(
            State::Up,
            State::Down,
            Diagnostic::ControlDetectionTimeExpired
        )]
    );
    let p = sent(&out)[0];
    assert_eq!(p.diagnostic, Diagnostic::ControlDetectionTimeExpired);
    assert_eq!(p.your_discriminator, 0, "RemoteDiscr is forgotten");
}

#[test]
fn a_received_packet_restarts_the_detection_timer() {
    let (t0, mut s) = up_now();
    receive(&mut s, t0 + ms(800), from_peer(State::Up));
    let out = s.handle(t0 + ms(1000), Event::Timer);
    assert!(changes(&out).is_empty());
    assert_eq!(s.state(), State::Up);
}

#[test]
fn detection_time_uses_the_slower_of_our_rx_and_their_tx() {
    let (t0, mut s) = up_now();
    let slow_tx = up_from_peer(|p| {
        p.desired_min_tx = Micros(500_000);
        p.detect_mult = NonZeroU8::new(4).unwrap();
    });
    receive(&mut s, t0, slow_tx);
    assert_eq!(s.snapshot().detection_time, ms(2000));
}

#[test]
fn transmit_interval_is_the_slower_of_our_tx_and_their_rx() {
    let (t0, mut s) = up_now();
    let slow_rx = up_from_peer(|p| p.required_min_rx = Micros(700_000));
    receive(&mut s, t0, slow_rx);
    assert_eq!(s.snapshot().tx_interval, ms(700));
}

#[test]
fn transmit_interval_is_at_least_one_second_until_up() {
    let t0 = Instant::now();
    let mut s = session(t0);
    let out = s.handle(t0, Event::Timer);
    assert_eq!(sent(&out)[0].desired_min_tx, Micros(1_000_000));
    assert_eq!(out.next_deadline, Some(t0 + ms(1000)));
}

/// How long a fresh session with multiplier `mult` waits after its first packet when
/// the random source always returns `draw` (the 1 s interval before Up, less jitter).
fn first_interval(mult: u8, draw: u32) -> Option<Duration> {
    let t0 = Instant::now();
    let mut s = session_with(config(300, 300, mult), Fixed(draw), t0);
    let out = s.handle(t0, Event::Timer);
    out.next_deadline.map(|at| at - t0)
}

#[test]
fn transmit_jitter_takes_off_up_to_a_quarter() {
    for (draw, expect) in [(0, 750), (25, 1000), (26, 750), (10, 850)] {
        assert_eq!(first_interval(3, draw), Some(ms(expect)), "draw {draw}");
    }
}

#[test]
fn transmit_jitter_is_10_to_25_percent_with_multiplier_1() {
    for (draw, expect) in [(0, 750), (15, 900), (16, 750)] {
        assert_eq!(first_interval(1, draw), Some(ms(expect)), "draw {draw}");
    }
}

#[test]
fn going_up_starts_a_poll_sequence_for_the_faster_interval() {
    let t0 = Instant::now();
    let mut s = session(t0);
    receive(&mut s, t0, from_peer(State::Down));
    let out = receive(&mut s, t0, from_peer(State::Up));
    let p = sent(&out)[0];
    assert!(p.poll);
    assert_eq!(p.desired_min_tx, Micros(300_000));
}

#[test]
fn a_timer_change_while_up_is_sent_with_poll_until_final() {
    let (t0, mut s) = up_now();
    assert!(!s.snapshot().polling);
    s.handle(t0, Event::SetConfig(config(100, 100, 3)));
    let out = s.handle(t0 + ms(300), Event::Timer);
    let p = sent(&out)[0];
    assert!(p.poll && !p.final_);
    assert_eq!(p.desired_min_tx, Micros(100_000));
    assert_eq!(p.required_min_rx, Micros(100_000));
    receive(&mut s, t0 + ms(301), final_from_peer());
    let out = s.handle(t0 + ms(600), Event::Timer);
    assert!(!sent(&out)[0].poll, "Final ends the Poll Sequence");
}

#[test]
fn a_longer_transmit_interval_waits_for_the_final() {
    let (t0, mut s) = up_now();
    s.handle(t0, Event::SetConfig(config(1000, 300, 3)));
    assert_eq!(s.snapshot().tx_interval, ms(300));
    receive(&mut s, t0, final_from_peer());
    assert_eq!(s.snapshot().tx_interval, ms(1000));
}

#[test]
fn a_shorter_receive_interval_keeps_the_old_detection_time_until_the_final() {
    let (t0, mut s) = up_now();
    let fast_tx = up_from_peer(|p| p.desired_min_tx = Micros(50_000));
    receive(&mut s, t0, fast_tx.clone());
    s.handle(t0, Event::SetConfig(config(300, 50, 3)));
    assert_eq!(s.snapshot().detection_time, ms(900));
    let fin = Packet {
        final_: true,
        ..fast_tx
    };
    receive(&mut s, t0, fin);
    assert_eq!(s.snapshot().detection_time, ms(150));
}

#[test]
fn a_change_during_a_poll_sequence_starts_another_after_the_final() {
    let (t0, mut s) = up_now();
    s.handle(t0, Event::SetConfig(config(200, 300, 3)));
    s.handle(t0, Event::SetConfig(config(100, 300, 3)));
    receive(&mut s, t0, final_from_peer());
    assert!(s.snapshot().polling, "the second change needs its own Poll");
    receive(&mut s, t0, final_from_peer());
    assert!(!s.snapshot().polling);
}

#[test]
fn a_timer_change_while_down_needs_no_poll() {
    let t0 = Instant::now();
    let mut s = session(t0);
    s.handle(t0, Event::SetConfig(config(100, 100, 3)));
    let out = s.handle(t0, Event::Timer);
    let p = sent(&out)[0];
    assert!(!p.poll);
    assert_eq!(p.required_min_rx, Micros(100_000));
}

#[test]
fn a_poll_is_answered_at_once_with_final_and_without_poll() {
    let (t0, mut s) = up_now();
    s.handle(t0, Event::SetConfig(config(100, 100, 3)));
    let out = receive(&mut s, t0 + ms(10), up_from_peer(|p| p.poll = true));
    let p = sent(&out);
    assert_eq!(p.len(), 1);
    assert!(p[0].final_ && !p[0].poll);
}

#[test]
fn admin_down_or_down_received_while_up_takes_the_session_down_with_diagnostic_3() {
    for peer in [State::AdminDown, State::Down] {
        let (t0, mut s) = up_now();
        let out = receive(&mut s, t0, from_peer(peer));
        assert_eq!(
            changes(&out),
            [(
                State::Up,
                State::Down,
                Diagnostic::NeighborSignaledSessionDown
            )],
            "peer {peer}"
        );
    }
}

#[test]
fn local_admin_down_signals_diagnostic_7_and_ignores_the_peer() {
    let (t0, mut s) = up_now();
    let out = s.handle(t0, Event::AdminDown);
    assert_eq!(
        changes(&out),
        [(
            State::Up,
            State::AdminDown,
            Diagnostic::AdministrativelyDown
        )]
    );
    assert_eq!(sent(&out)[0].state, State::AdminDown);
    receive(&mut s, t0, from_peer(State::Down));
    assert_eq!(s.state(), State::AdminDown);
    let out = s.handle(t0, Event::AdminUp);
    assert_eq!(
        changes(&out),
        [(State::AdminDown, State::Down, Diagnostic::None)]
    );
}

#[test]
fn admin_down_has_no_detection_timeout() {
    let (t0, mut s) = up_now();
    s.handle(t0, Event::AdminDown);
    let out = s.handle(t0 + ms(10_000), Event::Timer);
    assert!(changes(&out).is_empty());
}

#[test]
fn a_remote_demand_bit_does_not_stop_our_packets() {
    let (t0, mut s) = up_now();
    receive(&mut s, t0, up_from_peer(|p| p.demand = true));
    let deadline = s.next_deadline().unwrap();
    let out = s.handle(deadline, Event::Timer);
    let p = sent(&out);
    assert_eq!(p.len(), 1);
    assert!(!p[0].demand, "we never ask for demand mode");
}

#[test]
fn no_periodic_packets_when_the_peer_requires_rx_zero() {
    let (t0, mut s) = up_now();
    let silent = up_from_peer(|p| {
        p.required_min_rx = Micros(0);
        p.poll = true;
    });
    let out = receive(&mut s, t0, silent);
    assert_eq!(sent(&out).len(), 1, "the Final is still sent");
    assert_eq!(
        out.next_deadline,
        Some(t0 + ms(900)),
        "only the detection timer is left"
    );
}

#[test]
fn a_packet_for_another_discriminator_is_ignored() {
    let t0 = Instant::now();
    let mut s = session(t0);
    let out = s.handle(
        t0,
        Event::Received(Packet {
            your_discriminator: OURS + 1,
            ..from_peer(State::Init)
        }),
    );
    assert!(out.actions.is_empty());
    assert_eq!(s.state(), State::Down);
}
