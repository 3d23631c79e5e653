//! BFD sessions as `/status`, `kube-anycast status` and `/metrics` show them.

use bfd::State;
use bfd::driver::Status;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The BFD states, in metric label order.
pub const STATES: [State; 4] = [State::AdminDown, State::Down, State::Init, State::Up];

/// One peer's BFD session in `/status`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BfdView {
    /// Our state: `admin_down`, `down`, `init`, `up`.
    pub state: String,
    /// The router's state as it last told us.
    pub remote_state: String,
    /// Why our state last changed (RFC 5880 section 4.1 diagnostic).
    pub diagnostic: String,
    /// The diagnostic the router last sent.
    pub remote_diagnostic: String,
    /// Configured Desired Min TX, milliseconds.
    pub min_tx_ms: u64,
    /// Configured Required Min RX, milliseconds.
    pub min_rx_ms: u64,
    /// Configured Detect Mult.
    pub multiplier: u8,
    /// The interval we send at now, before jitter (negotiated, section 6.8.2).
    pub tx_interval_ms: u64,
    /// The detection time in use (section 6.8.4); 0 before the router was heard.
    pub detection_time_ms: u64,
    /// The router's Desired Min TX, milliseconds.
    pub remote_min_tx_ms: u64,
    /// The router's Required Min RX, milliseconds.
    pub remote_min_rx_ms: u64,
    /// The router's Detect Mult (0 before it was heard).
    pub remote_multiplier: u8,
    /// State changes since the session started.
    pub transitions: u64,
    /// When not Up: why, and that BGP runs without BFD meanwhile.
    pub not_up: Option<String>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl BfdView {
    /// The view of a driver status.
    pub fn of(status: &Status) -> BfdView {
        let not_up = not_up(status);
        match &status.session {
            Some(s) => BfdView {
                state: s.state.as_str().into(),
                remote_state: s.remote_state.as_str().into(),
                diagnostic: s.local_diagnostic.as_str().into(),
                remote_diagnostic: s.remote_diagnostic.as_str().into(),
                min_tx_ms: ms(s.config.desired_min_tx),
                min_rx_ms: ms(s.config.required_min_rx),
                multiplier: s.config.detect_mult.get(),
                tx_interval_ms: ms(s.tx_interval),
                detection_time_ms: ms(s.detection_time),
                remote_min_tx_ms: ms(s.remote_desired_min_tx),
                remote_min_rx_ms: ms(s.remote_required_min_rx),
                remote_multiplier: s.remote_detect_mult,
                transitions: status.transitions,
                not_up,
            },
            None => BfdView {
                state: State::Down.as_str().into(),
                remote_state: State::Down.as_str().into(),
                diagnostic: "starting".into(),
                remote_diagnostic: String::new(),
                min_tx_ms: 0,
                min_rx_ms: 0,
                multiplier: 0,
                tx_interval_ms: 0,
                detection_time_ms: 0,
                remote_min_tx_ms: 0,
                remote_min_rx_ms: 0,
                remote_multiplier: 0,
                transitions: status.transitions,
                not_up,
            },
        }
    }
}

/// The documented rule for a BFD session that is not Up: BGP is not held back, and this
/// says why BFD does not protect it.
pub fn not_up(status: &Status) -> Option<String> {
    let session = status.session.as_ref();
    if session.is_some_and(|s| s.state == State::Up) {
        return None;
    }
    let why = if let Some(error) = &status.error {
        error.clone()
    } else {
        match session {
            None => "starting".into(),
            Some(s) if s.state == State::AdminDown => "held in AdminDown".into(),
            Some(s) if s.remote_state == State::AdminDown => {
                "the router holds its end in AdminDown".into()
            }
            Some(s) if s.remote_discriminator == 0 && !status.was_up => {
                "no BFD packet from the router yet (is BFD enabled for this neighbor on the router?)".into()
            }
            Some(s) if s.remote_discriminator == 0 => format!(
                "no BFD packet from the router within the detection time ({})",
                s.local_diagnostic.as_str()
            ),
            Some(s) => format!("handshake in progress (router says {})", s.remote_state),
        }
    };
    Some(format!("{why}; BGP runs without BFD until it is up"))
}

/// The BFD table of `kube-anycast status`, after the peers: one row per peer name and
/// its BFD session; nothing when no peer has BFD.
pub fn render_text(out: &mut String, with_bfd: &[(&str, &BfdView)]) {
    use std::fmt::Write;
    if with_bfd.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{:<16} {:<10} {:<10} {:>14} {:>10} {:>7}  DIAGNOSTIC / WHY NOT UP",
        "BFD PEER", "STATE", "REMOTE", "TX/RX x MULT", "DETECT", "CHANGES"
    );
    for (name, b) in with_bfd.iter().copied() {
        let timers = format!("{}/{}x{}", b.min_tx_ms, b.min_rx_ms, b.multiplier);
        let note = b.not_up.clone().unwrap_or_else(|| b.diagnostic.clone());
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:<10} {:>14} {:>8}ms {:>7}  {}",
            name, b.state, b.remote_state, timers, b.detection_time_ms, b.transitions, note
        );
    }
}

/// `bfd_session_state{peer,state}` (1 for the current state) and
/// `bfd_transitions_total{peer}`, for the peers with BFD enabled (by name).
pub fn encode_metrics(
    encoder: &mut prometheus_client::encoding::DescriptorEncoder,
    statuses: &[(&str, Status)],
) -> Result<(), std::fmt::Error> {
    use prometheus_client::encoding::EncodeMetric;
    use prometheus_client::metrics::MetricType;
    use prometheus_client::metrics::counter::ConstCounter;
    let mut m = encoder.encode_descriptor(
        "bfd_session_state",
        "1 for the BFD session's current state (RFC 5880), per peer with bfd.enabled",
        None,
        MetricType::Gauge,
    )?;
    let states = STATES.map(State::as_str);
    for (peer, status) in statuses {
        crate::metrics::encode_one_hot(&mut m, peer, &states, Some(status.state().as_str()))?;
    }
    let mut m = encoder.encode_descriptor(
        "bfd_transitions",
        "BFD session state changes",
        None,
        MetricType::Counter,
    )?;
    for (peer, status) in statuses {
        ConstCounter::new(status.transitions).encode(m.encode_family(&[("peer", *peer)])?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
