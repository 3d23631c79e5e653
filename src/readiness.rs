//! What `/readyz` answers (SPEC 7), as one pure function of what the daemon observes, so
//! each rule is a unit test: a DaemonSet rollout waits on it, and a wrong "ready" moves
//! on to the next node while this one announces nothing.

use crate::config::ReadyWhen;
use bgp::session::State;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Lowercase FSM state names, as routers print them.
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Idle => "idle",
        State::Connect => "connect",
        State::Active => "active",
        State::OpenSent => "opensent",
        State::OpenConfirm => "openconfirm",
        State::Established => "established",
    }
}

/// Every FSM state, in RFC 4271 order.
pub const STATES: [State; 6] = [
    State::Idle,
    State::Connect,
    State::Active,
    State::OpenSent,
    State::OpenConfirm,
    State::Established,
];

/// How one peer configured for this node stands. In JSON (`/status`) it is the
/// lowercase word of [`PeerCondition::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerCondition {
    /// It runs; its session is in this FSM state.
    Session(State),
    /// It could not be started (its config could not be turned into a session); it is
    /// retried at the next change, and counts as down meanwhile.
    StartFailed,
}

impl PeerCondition {
    fn is_established(self) -> bool {
        self == PeerCondition::Session(State::Established)
    }

    /// The lowercase word `/status` shows.
    pub fn name(self) -> &'static str {
        match self {
            PeerCondition::Session(state) => state_name(state),
            PeerCondition::StartFailed => "failed",
        }
    }

    /// The condition a word of [`PeerCondition::name`] stands for.
    pub fn from_name(name: &str) -> Option<PeerCondition> {
        if name == PeerCondition::StartFailed.name() {
            return Some(PeerCondition::StartFailed);
        }
        STATES
            .into_iter()
            .find(|s| state_name(*s) == name)
            .map(PeerCondition::Session)
    }
}

impl fmt::Display for PeerCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that table columns (`{:<12}`) line up.
        f.pad(self.name())
    }
}

impl Serialize for PeerCondition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for PeerCondition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PeerCondition, D::Error> {
        let name = String::deserialize(deserializer)?;
        PeerCondition::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown peer state {name:?}")))
    }
}

/// Why the node is not ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotReady {
    /// Nothing is decided before the sources' first sync (SPEC 4.7).
    NotSynced,
    /// The peers that `ready_when` needs are not Established; each as `name (state)`.
    PeersDown {
        /// The rule that was not met.
        when: ReadyWhen,
        /// The peers not Established.
        down: Vec<String>,
    },
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotReady::NotSynced => f.write_str("sources not synced"),
            NotReady::PeersDown {
                when: ReadyWhen::AllPeers,
                down,
            } => write!(f, "peers not established: {}", down.join(", ")),
            NotReady::PeersDown {
                when: ReadyWhen::AnyPeer,
                down,
            } => write!(f, "no peer established: {}", down.join(", ")),
        }
    }
}

/// Ready when the sources have synced and the peers configured for this node are
/// Established: all of them, or with `any-peer` at least one. A node with no peer
/// configured for it is ready once synced under both rules: there is nothing for it to
/// wait for, and waiting would stall a rollout forever.
pub fn readiness(
    synced: bool,
    peers: &[(&str, PeerCondition)],
    when: ReadyWhen,
) -> Result<(), NotReady> {
    if !synced {
        return Err(NotReady::NotSynced);
    }
    let down: Vec<String> = peers
        .iter()
        .filter(|(_, condition)| !condition.is_established())
        .map(|(name, condition)| format!("{name} ({condition})"))
        .collect();
    let ready = match when {
        ReadyWhen::AllPeers => down.is_empty(),
        ReadyWhen::AnyPeer => peers.is_empty() || down.len() < peers.len(),
    };
    if ready {
        Ok(())
    } else {
        Err(NotReady::PeersDown { when, down })
    }
}

#[cfg(test)]
mod tests;
