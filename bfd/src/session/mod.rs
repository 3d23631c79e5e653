//! The RFC 5880 asynchronous-mode session, without I/O.
//!
//! A [`Session`] holds the state variables of section 6.8.1 for one peer. The caller feeds
//! it [`Event`]s stamped with an `Instant` and gets back an [`Output`]: packets to send,
//! state changes, and the instant at which it wants [`Event::Timer`] again. No clock and
//! no socket are read here; the jitter of section 6.8.7 comes from the random source given
//! to [`Session::new`].
//!
//! Demand mode (section 6.6) is not implemented: the D bit is never set, and a remote D
//! bit is recorded but does not stop our periodic packets. Peers that want demand mode
//! therefore get packets they did not ask for, which is harmless, instead of losing the
//! detection of our failure.

use crate::packet::{Diagnostic, Micros, Packet, State};
use rand::RngCore;
use std::num::{NonZeroU8, NonZeroU32};
use std::time::{Duration, Instant};

/// The floor on bfd.DesiredMinTxInterval while the session is not Up (section 6.8.3).
pub const SLOW_TX: Duration = Duration::from_secs(1);

/// What the operator asks for: the three parameters of one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// bfd.DesiredMinTxInterval once Up.
    pub desired_min_tx: Duration,
    /// bfd.RequiredMinRxInterval.
    pub required_min_rx: Duration,
    /// bfd.DetectMult.
    pub detect_mult: NonZeroU8,
}

impl Default for SessionConfig {
    /// 300 ms x 3, the values FRR and BIRD use by default.
    fn default() -> Self {
        SessionConfig {
            desired_min_tx: Duration::from_millis(300),
            required_min_rx: Duration::from_millis(300),
            detect_mult: NonZeroU8::new(3).unwrap_or(NonZeroU8::MIN),
        }
    }
}

/// Something that happened to the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A control packet for this session passed decoding and demultiplexing.
    Received(Packet),
    /// The deadline last returned in [`Output::next_deadline`] has come.
    Timer,
    /// The operator holds the session down (section 6.8.16).
    AdminDown,
    /// The operator releases it.
    AdminUp,
    /// New timer values: applied through a Poll Sequence when Up (section 6.8.3).
    SetConfig(SessionConfig),
}

/// Something the caller must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Transmit this packet to the peer.
    Send(Packet),
    /// bfd.SessionState changed.
    StateChanged {
        /// The previous state.
        from: State,
        /// The new state.
        to: State,
        /// bfd.LocalDiag after the change: why it happened.
        diagnostic: Diagnostic,
    },
}

/// The result of one event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// What to do, in order.
    pub actions: Vec<Action>,
    /// When to deliver [`Event::Timer`] next.
    pub next_deadline: Option<Instant>,
}

/// A read-only view of the session for status output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// bfd.SessionState.
    pub state: State,
    /// bfd.RemoteSessionState.
    pub remote_state: State,
    /// bfd.LocalDiag.
    pub local_diagnostic: Diagnostic,
    /// The diagnostic in the last packet received.
    pub remote_diagnostic: Diagnostic,
    /// bfd.LocalDiscr.
    pub local_discriminator: u32,
    /// bfd.RemoteDiscr (0 when unknown).
    pub remote_discriminator: u32,
    /// The interval our periodic packets are sent at, before jitter (section 6.8.7).
    pub tx_interval: Duration,
    /// The detection time in use (section 6.8.4), zero before the peer was heard.
    pub detection_time: Duration,
    /// The peer's Desired Min TX Interval.
    pub remote_desired_min_tx: Duration,
    /// The peer's Required Min RX Interval.
    pub remote_required_min_rx: Duration,
    /// The peer's Detect Mult (0 before it was heard).
    pub remote_detect_mult: u8,
    /// The parameters asked for.
    pub config: SessionConfig,
    /// A Poll Sequence is in progress.
    pub polling: bool,
}

/// One BFD session in asynchronous mode.
pub struct Session {
    config: SessionConfig,
    state: State,
    remote_state: State,
    local_discr: NonZeroU32,
    remote_discr: u32,
    local_diag: Diagnostic,
    remote_diag: Diagnostic,
    /// bfd.DesiredMinTxInterval as advertised (the 1 s floor applied while not Up).
    desired_min_tx: Micros,
    /// bfd.RequiredMinRxInterval as advertised.
    required_min_rx: Micros,
    /// The desired TX interval the transmit rate is computed from; lags an increase
    /// until the Poll Sequence ends (section 6.8.3).
    tx_in_effect: Micros,
    /// The RX interval the detection time is computed from; lags a decrease until the
    /// Poll Sequence ends (section 6.8.3).
    rx_in_effect: Micros,
    /// bfd.RemoteMinRxInterval, 1 microsecond until heard (section 6.8.1).
    remote_min_rx: Micros,
    remote_desired_tx: Micros,
    remote_detect_mult: u8,
    polling: bool,
    poll_again: bool,
    next_tx: Option<Instant>,
    detect_deadline: Option<Instant>,
    rng: Box<dyn RngCore + Send>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("snapshot", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session in state Down that sends its first packet at `now`. `local_discr` must be
    /// unique among the caller's sessions; `rng` draws the transmit jitter.
    pub fn new(
        config: SessionConfig,
        local_discr: NonZeroU32,
        rng: Box<dyn RngCore + Send>,
        now: Instant,
    ) -> Session {
        let desired = Micros::saturating_from(config.desired_min_tx.max(SLOW_TX));
        let required = Micros::saturating_from(config.required_min_rx);
        Session {
            config,
            state: State::Down,
            remote_state: State::Down,
            local_discr,
            remote_discr: 0,
            local_diag: Diagnostic::None,
            remote_diag: Diagnostic::None,
            desired_min_tx: desired,
            required_min_rx: required,
            tx_in_effect: desired,
            rx_in_effect: required,
            remote_min_rx: Micros(1),
            remote_desired_tx: Micros(0),
            remote_detect_mult: 0,
            polling: false,
            poll_again: false,
            next_tx: Some(now),
            detect_deadline: None,
            rng,
        }
    }

    /// bfd.SessionState.
    pub fn state(&self) -> State {
        self.state
    }

    /// bfd.LocalDiscr.
    pub fn local_discriminator(&self) -> NonZeroU32 {
        self.local_discr
    }

    /// When the session wants [`Event::Timer`].
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.next_tx, self.detect_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The variables worth showing to an operator.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.state,
            remote_state: self.remote_state,
            local_diagnostic: self.local_diag,
            remote_diagnostic: self.remote_diag,
            local_discriminator: self.local_discr.get(),
            remote_discriminator: self.remote_discr,
            tx_interval: self.tx_interval().duration(),
            detection_time: self.detection_time(),
            remote_desired_min_tx: self.remote_desired_tx.duration(),
            remote_required_min_rx: self.remote_min_rx.duration(),
            remote_detect_mult: self.remote_detect_mult,
            config: self.config,
            polling: self.polling,
        }
    }

    /// Applies one event at `now`.
    pub fn handle(&mut self, now: Instant, event: Event) -> Output {
        let mut actions = Vec::new();
        match event {
            Event::Received(packet) => self.receive(now, packet, &mut actions),
            Event::Timer => self.timer(now, &mut actions),
            Event::AdminDown => {
                if self.state != State::AdminDown {
                    self.set_state(
                        State::AdminDown,
                        Diagnostic::AdministrativelyDown,
                        &mut actions,
                    );
                    self.detect_deadline = None;
                    self.apply_intervals();
                    self.send_now(now, false, &mut actions);
                }
            }
            Event::AdminUp => {
                if self.state == State::AdminDown {
                    self.set_state(State::Down, Diagnostic::None, &mut actions);
                    self.send_now(now, false, &mut actions);
                }
            }
            Event::SetConfig(config) => {
                self.config = config;
                self.apply_intervals();
            }
        }
        Output {
            actions,
            next_deadline: self.next_deadline(),
        }
    }

    /// Reception of a control packet, section 6.8.6 from "Set bfd.RemoteDiscr" on (the
    /// checks before it are done by `Packet::decode` and the demultiplexer).
    fn receive(&mut self, now: Instant, p: Packet, actions: &mut Vec<Action>) {
        if p.your_discriminator != 0 && p.your_discriminator != self.local_discr.get() {
            return;
        }
        self.remote_discr = p.my_discriminator.get();
        self.remote_state = p.state;
        self.remote_diag = p.diagnostic;
        self.remote_min_rx = p.required_min_rx;
        self.remote_desired_tx = p.desired_min_tx;
        self.remote_detect_mult = p.detect_mult.get();
        // "If the Final (F) bit is set and the local system is sending packets with the
        // Poll (P) bit set, the Poll (P) bit MUST be cleared" (section 6.5): the new
        // intervals are now in effect on both ends.
        if p.final_ && self.polling {
            self.polling = false;
            self.tx_in_effect = self.desired_min_tx;
            self.rx_in_effect = self.required_min_rx;
            if std::mem::take(&mut self.poll_again) {
                self.polling = true;
            }
        }
        if self.state == State::AdminDown {
            return;
        }
        let before = self.state;
        if p.state == State::AdminDown {
            if self.state != State::Down {
                self.set_state(
                    State::Down,
                    Diagnostic::NeighborSignaledSessionDown,
                    actions,
                );
            }
        } else {
            match (self.state, p.state) {
                (State::Down, State::Down) => {
                    self.set_state(State::Init, Diagnostic::None, actions)
                }
                (State::Down, State::Init) | (State::Init, State::Init | State::Up) => {
                    self.set_state(State::Up, Diagnostic::None, actions)
                }
                (State::Up, State::Down) => self.set_state(
                    State::Down,
                    Diagnostic::NeighborSignaledSessionDown,
                    actions,
                ),
                _ => {}
            }
        }
        // Section 6.8.4: a valid packet restarts the detection timer, which only matters
        // in Init and Up.
        self.detect_deadline = match self.state {
            State::Init | State::Up => Some(now + self.detection_time()),
            _ => None,
        };
        if self.state != before {
            self.apply_intervals();
            self.send_now(now, false, actions);
        }
        // "If the Poll (P) bit is set, send a BFD Control packet to the remote system with
        // the Poll (P) bit clear, and the Final (F) bit set" (section 6.8.6).
        if p.poll {
            self.send_now(now, true, actions);
        }
    }

    fn timer(&mut self, now: Instant, actions: &mut Vec<Action>) {
        if self.detect_deadline.is_some_and(|d| d <= now) {
            self.detect_deadline = None;
            // Section 6.8.4: "the session has gone down -- the local system MUST set
            // bfd.SessionState to Down and bfd.LocalDiag to 1"; section 6.8.1: RemoteDiscr
            // is forgotten with it.
            self.remote_discr = 0;
            if matches!(self.state, State::Init | State::Up) {
                self.set_state(
                    State::Down,
                    Diagnostic::ControlDetectionTimeExpired,
                    actions,
                );
                self.apply_intervals();
                self.send_now(now, false, actions);
            }
        }
        if self.next_tx.is_some_and(|t| t <= now) {
            self.send_now(now, false, actions);
        }
    }

    /// Recomputes bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval from the config
    /// and the state, starting a Poll Sequence when they change while Up (section 6.8.3).
    fn apply_intervals(&mut self) {
        let tx = if self.state == State::Up {
            self.config.desired_min_tx
        } else {
            self.config.desired_min_tx.max(SLOW_TX)
        };
        let desired = Micros::saturating_from(tx);
        let required = Micros::saturating_from(self.config.required_min_rx);
        if desired == self.desired_min_tx && required == self.required_min_rx {
            return;
        }
        self.desired_min_tx = desired;
        self.required_min_rx = required;
        if self.state == State::Up {
            // Until the Final: the old transmit interval if the new one is longer, the old
            // detection basis if the new one is shorter.
            self.tx_in_effect = self.tx_in_effect.min(desired);
            self.rx_in_effect = self.rx_in_effect.max(required);
            if self.polling {
                self.poll_again = true;
            } else {
                self.polling = true;
            }
        } else {
            self.polling = false;
            self.poll_again = false;
            self.tx_in_effect = desired;
            self.rx_in_effect = required;
        }
    }

    fn set_state(&mut self, to: State, diagnostic: Diagnostic, actions: &mut Vec<Action>) {
        let from = self.state;
        self.state = to;
        self.local_diag = diagnostic;
        actions.push(Action::StateChanged {
            from,
            to,
            diagnostic,
        });
    }

    /// The transmit interval before jitter: the larger of what we want and what the peer
    /// can take (section 6.8.2).
    fn tx_interval(&self) -> Micros {
        self.tx_in_effect.max(self.remote_min_rx)
    }

    /// Section 6.8.4, asynchronous mode: the remote Detect Mult times the larger of our
    /// RequiredMinRxInterval and the peer's last Desired Min TX Interval.
    fn detection_time(&self) -> Duration {
        let basis = self.rx_in_effect.max(self.remote_desired_tx).duration();
        basis * u32::from(self.remote_detect_mult)
    }

    /// Sends a packet now and schedules the next periodic one. `final_` answers a Poll and
    /// never carries P with it (section 4.1: "A system MUST NOT set both").
    fn send_now(&mut self, now: Instant, final_: bool, actions: &mut Vec<Action>) {
        actions.push(Action::Send(self.packet(final_)));
        // Section 6.8.7: "A system MUST NOT periodically transmit BFD Control packets if
        // bfd.RemoteMinRxInterval is zero."
        self.next_tx = if self.remote_min_rx.0 == 0 {
            None
        } else {
            Some(now + self.jittered(self.tx_interval().duration()))
        };
    }

    /// Section 6.8.7: each interval is reduced by a random 0-25 %, or 10-25 % when
    /// bfd.DetectMult is 1.
    fn jittered(&mut self, interval: Duration) -> Duration {
        let (low, high) = if self.config.detect_mult.get() == 1 {
            (75, 90)
        } else {
            (75, 100)
        };
        let percent = low + self.rng.next_u32() % (high - low + 1);
        interval * percent / 100
    }

    /// The packet of section 6.8.7 for the current variables.
    fn packet(&self, final_: bool) -> Packet {
        Packet {
            diagnostic: self.local_diag,
            state: self.state,
            poll: self.polling && !final_,
            final_,
            control_plane_independent: false,
            demand: false,
            detect_mult: self.config.detect_mult,
            my_discriminator: self.local_discr,
            your_discriminator: self.remote_discr,
            desired_min_tx: self.desired_min_tx,
            required_min_rx: self.required_min_rx,
            required_min_echo_rx: Micros(0),
        }
    }
}

#[cfg(test)]
mod tests;
