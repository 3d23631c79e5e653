//! How a dead node is detected: BFD at one of two speeds, or BGP's hold timer alone.

use crate::bfd_routers::Timers;
use std::time::Duration;

/// The BGP hold time of the failover lab, on the ToR and on every node (keepalive 3 s).
/// Without BFD, a silent node is noticed when it runs out: 6-9 s after the node's last
/// KEEPALIVE.
pub const HOLD_TIME: Duration = Duration::from_secs(9);

/// How the ToR and the nodes detect a dead node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// BFD at 300 ms x 3 (kube-anycast's default timers): 900 ms detection time.
    Bfd300,
    /// BFD at 50 ms x 3: 150 ms detection time.
    Bfd50,
    /// No BFD: the BGP hold timer ([`HOLD_TIME`]).
    Off,
}

impl Mode {
    /// Every mode, in the order of the table.
    pub const ALL: [Mode; 3] = [Mode::Bfd300, Mode::Bfd50, Mode::Off];

    /// The BFD timers of both ends, `None` without BFD.
    pub fn timers(self) -> Option<Timers> {
        let ms = match self {
            Mode::Bfd300 => 300,
            Mode::Bfd50 => 50,
            Mode::Off => return None,
        };
        Some(Timers {
            tx_ms: ms,
            rx_ms: ms,
            multiplier: 3,
        })
    }

    /// What the table calls it.
    pub fn title(self) -> String {
        match self.timers() {
            Some(t) => format!("BFD {} ms x {}", t.tx_ms, t.multiplier),
            None => format!("BFD off (hold {} s)", HOLD_TIME.as_secs()),
        }
    }

    /// The detection goal: under 1 s at 300 ms x 3, under 250 ms at 50 ms x 3.
    pub fn goal(self) -> Option<Duration> {
        match self {
            Mode::Bfd300 => Some(Duration::from_secs(1)),
            Mode::Bfd50 => Some(Duration::from_millis(250)),
            Mode::Off => None,
        }
    }

    /// The mode a command line names: `300`, `50` or `off`.
    pub fn parse(name: &str) -> Option<Mode> {
        match name {
            "300" => Some(Mode::Bfd300),
            "50" => Some(Mode::Bfd50),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
