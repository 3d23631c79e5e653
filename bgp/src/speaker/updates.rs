//! Route changes in, UPDATEs out: command batches, the coalescing window, filling a
//! connection's output up to the high water mark, and hearing when changes are written.

use super::command::{Command, RouteChange};
use super::{ANNOUNCE_COALESCE, OUT_HIGH_WATER, Output, PeerSpeaker};
use crate::session::ConnectionId;
use crate::types::Family;
use crate::wire::{EncodeError, Message};

/// A connection's output, as [`PeerSpeaker::fill`] sees it.
pub trait UpdateSink {
    /// Octets queued and not yet taken by the socket.
    fn queued(&self) -> usize;
    /// Encodes `message` into the output.
    fn queue(&mut self, message: &Message) -> Result<(), EncodeError>;
}

impl PeerSpeaker {
    pub(super) fn on_command(&mut self, command: Command) {
        // Commands that arrive during a shutdown are dropped: the routes are going.
        if self.shutdown.is_some() {
            return;
        }
        match command {
            Command::Changes { changes, since } => {
                self.unwritten.extend(since);
                for change in changes {
                    match change {
                        RouteChange::Announce(prefix, attrs) => self.rib.announce(prefix, attrs),
                        RouteChange::Withdraw(prefix) => {
                            self.urgent = true;
                            self.rib.withdraw(prefix)
                        }
                    }
                }
            }
            Command::Replace(routes) => {
                self.urgent = true;
                self.rib.replace(routes)
            }
            Command::InitialSetComplete => {
                // The End-of-RIB it releases is what lets a graceful restart helper clean
                // up: no reason to wait for the coalescing window.
                self.urgent = true;
                self.rib.initial_set_complete();
            }
            Command::Reset(notification) => {
                tracing::info!(peer = %self.name, %notification, "session reset from outside BGP");
                self.feed(crate::session::Event::Reset(notification));
            }
            Command::Shutdown { mode, reason } => {
                self.urgent = false;
                self.pump();
                self.begin_shutdown(mode, reason);
            }
        }
    }

    /// The end of a batch: withdrawals go at once, and so do announcements after a quiet
    /// spell; announcements within [`ANNOUNCE_COALESCE`] of the last send of
    /// announcements wait for the window's end so that a trickle of them is packed into
    /// few UPDATEs.
    pub(super) fn on_commands_done(&mut self) {
        if self.shutdown.is_some() {
            return;
        }
        if std::mem::take(&mut self.urgent) {
            self.pump();
        } else if self.flush_at.is_none() {
            match self.quiet_from.filter(|&at| at > self.now) {
                Some(window_end) => self.flush_at = Some(window_end),
                None => self.pump(),
            }
        }
    }

    /// Asks for the pending UPDATEs to be pulled into the established connection; a send
    /// that carries announcements opens the coalescing window.
    pub(super) fn pump(&mut self) {
        self.flush_at = None;
        if Family::ALL
            .into_iter()
            .any(|family| self.rib.pending_announcements(family) > 0)
        {
            self.quiet_from = Some(self.now + ANNOUNCE_COALESCE);
        }
        match self.established {
            Some(conn) => self.output.push_back(Output::SendUpdates { conn }),
            None => {
                self.update_prefixes_sent();
                // Changes made with no session go out with the next session's full
                // table, which is not an event-to-wire latency.
                self.unwritten.clear();
            }
        }
    }

    /// Encodes pending UPDATEs into `sink` (the output of `conn`) until it holds
    /// [`OUT_HIGH_WATER`] octets. Returns true when it stopped there with more to send:
    /// report [`Input::Room`](super::Input::Room) once the output drained.
    pub fn fill(&mut self, conn: ConnectionId, sink: &mut dyn UpdateSink) -> bool {
        if self.established != Some(conn) {
            return false;
        }
        while sink.queued() < OUT_HIGH_WATER {
            let Some(update) = self.rib.next_update() else {
                break;
            };
            let message = Message::Update(update);
            match sink.queue(&message) {
                Ok(()) => self.status.counters.count_sent(&message),
                Err(e) => tracing::error!(peer = %self.name, error = %e,
                    "UPDATE could not be encoded; dropped"),
            }
        }
        self.update_prefixes_sent();
        // Once everything pending is encoded, hear when the buffer is written.
        if !self.unwritten.is_empty() && !self.rib.has_pending() {
            self.watching_flush = true;
            self.output.push_back(Output::WatchFlushed { conn });
        }
        sink.queued() >= OUT_HIGH_WATER
    }

    fn update_prefixes_sent(&mut self) {
        self.status.prefixes_sent = Family::ALL.iter().map(|f| self.rib.sent_len(*f)).sum();
    }

    /// The output of `conn` is empty: report the changes now written, and let a
    /// withdrawal move on to its drain.
    pub(super) fn on_flushed(&mut self, conn: ConnectionId) {
        self.watching_flush = false;
        if self.established != Some(conn) || self.rib.has_pending() {
            return;
        }
        if !self.unwritten.is_empty() {
            self.output
                .push_back(Output::Written(std::mem::take(&mut self.unwritten)));
        }
        if let Some(shutdown) = self.shutdown.as_mut() {
            shutdown.withdrawals_written(self.now);
        }
    }
}
