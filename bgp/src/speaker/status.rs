//! The status a peer publishes, and how its events read in logs and status.

use crate::session::{DownReason, Negotiated, State};
use crate::wire::{Message, Notification};
use std::time::SystemTime;

/// Counters of one peer, monotonic over the life of the handle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerCounters {
    /// Messages sent, by any type.
    pub messages_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// UPDATEs sent.
    pub updates_sent: u64,
    /// UPDATEs received (never installed; counted).
    pub updates_received: u64,
    /// NOTIFICATIONs sent.
    pub notifications_sent: u64,
    /// NOTIFICATIONs received.
    pub notifications_received: u64,
    /// Times the session left Established.
    pub flaps: u64,
    /// Malformed attributes in received UPDATEs that RFC 7606 let us handle without a
    /// session reset (attribute discard or treat-as-withdraw).
    pub update_attribute_errors: u64,
}

/// A snapshot of one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerStatus {
    /// FSM state.
    pub state: State,
    /// When the session last reached Established, if it is now.
    pub established_since: Option<SystemTime>,
    /// Negotiation results while Established.
    pub negotiated: Option<Negotiated>,
    /// Prefixes the peer has from us now.
    pub prefixes_sent: usize,
    /// The last error, human readable.
    pub last_error: Option<String>,
    /// Counters.
    pub counters: PeerCounters,
}

impl PeerStatus {
    /// The status of a peer that has not started.
    pub fn idle() -> PeerStatus {
        PeerStatus {
            state: State::Idle,
            established_since: None,
            negotiated: None,
            prefixes_sent: 0,
            last_error: None,
            counters: PeerCounters::default(),
        }
    }
}

impl PeerCounters {
    /// Counts a message we sent.
    pub fn count_sent(&mut self, message: &Message) {
        self.messages_sent += 1;
        match message {
            Message::Update(_) => self.updates_sent += 1,
            Message::Notification(_) => self.notifications_sent += 1,
            _ => {}
        }
    }

    /// Counts a message we received, and the RFC 7606 issues an UPDATE carried.
    pub fn count_received(&mut self, message: &Message) {
        self.messages_received += 1;
        match message {
            Message::Update(u) => {
                self.updates_received += 1;
                self.update_attribute_errors += u.issues.len() as u64;
            }
            Message::Notification(_) => self.notifications_received += 1,
            _ => {}
        }
    }
}

/// A NOTIFICATION for humans: code, subcode and the RFC 9003 shutdown communication.
pub fn describe_notification(n: &Notification) -> String {
    match n.shutdown_communication() {
        Some(text) if !text.is_empty() => format!("{n}: \"{text}\""),
        _ => n.to_string(),
    }
}

/// Why a session went down, for logs and `last_error`.
pub fn describe_down(reason: &DownReason) -> String {
    match reason {
        DownReason::NotificationSent(n) => format!("sent {}", describe_notification(n)),
        DownReason::NotificationReceived(n) => format!("received {}", describe_notification(n)),
        DownReason::ConnectionClosed => "connection closed".to_string(),
        DownReason::Stopped => "stopped".to_string(),
        DownReason::ReplacedByPeerRestart => {
            "replaced by a new session from the restarted peer (graceful restart)".to_string()
        }
        DownReason::NotSent(n) => format!("closed without sending {}", describe_notification(n)),
    }
}

#[cfg(test)]
mod tests;
