//! Session events in, session actions carried out: what the speaker adds to each of
//! the machine's actions (counters, status, logs, the Adj-RIB-Out's session).

use super::status::{describe_down, describe_notification};
use super::{Output, PeerSpeaker};
use crate::rib_out::{ExportPolicy, PeerSession};
use crate::session::{Action, ConnectionId, Event, Negotiated};
use crate::types::{Family, PeerKind};
use crate::wire::{Message, MessageError};

impl PeerSpeaker {
    /// Feeds one event to the session and carries out its actions in order.
    pub(super) fn feed(&mut self, event: Event) {
        for action in self.session.handle(event) {
            self.act(action);
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Connect => {
                if self.shutdown.is_none() {
                    self.output.push_back(Output::Connect);
                }
            }
            Action::Send { conn, message } => self.send(conn, message),
            Action::Close { conn } => self.close(conn),
            Action::SetTimer { timer, after } => self.output.push_back(Output::SetTimer {
                timer,
                at: self.now + after,
            }),
            Action::CancelTimer(timer) => self.output.push_back(Output::CancelTimer(timer)),
            Action::StateChanged { from, to } => {
                tracing::info!(peer = %self.name, ?from, ?to, "state changed");
                self.status.state = to;
            }
            Action::Established { conn, negotiated } => self.session_up(conn, negotiated),
            Action::Down { reason } => {
                let text = describe_down(&reason);
                tracing::warn!(peer = %self.name, reason = %text, "session down");
                self.rib.session_down();
                self.session_gone();
                self.status.counters.flaps += 1;
                self.status.established_since = None;
                self.status.negotiated = None;
                self.status.prefixes_sent = 0;
                self.set_error(text);
            }
            Action::RouteRefreshRequested(family) => {
                tracing::info!(peer = %self.name, %family, "route refresh requested");
                self.rib.route_refresh(family);
                self.pump();
            }
        }
    }

    fn send(&mut self, conn: ConnectionId, message: Message) {
        if !self.conns.contains_key(&conn) {
            tracing::debug!(peer = %self.name, ?conn, "send on a closed connection dropped");
            return;
        }
        self.status.counters.count_sent(&message);
        if let Message::Notification(n) = &message {
            let text = format!("sent {}", describe_notification(n));
            // Our own shutdown's Cease is expected; any other NOTIFICATION is news.
            if self.shutdown.is_some() {
                tracing::info!(peer = %self.name, notification = %text, "notification sent");
            } else {
                tracing::warn!(peer = %self.name, notification = %text, "notification sent");
            }
            self.set_error(text);
        }
        self.output.push_back(Output::Send { conn, message });
    }

    fn session_up(&mut self, conn: ConnectionId, negotiated: Negotiated) {
        let Some(info) = self.conns.get(&conn).copied() else {
            tracing::error!(peer = %self.name, ?conn,
                "session established on a connection that is gone");
            return;
        };
        self.output.push_back(Output::Established {
            conn,
            context: negotiated.context,
        });
        tracing::info!(peer = %self.name, local = %info.local, remote = %info.remote,
            peer_asn = %negotiated.peer_asn, router_id = %negotiated.peer_router_id,
            hold_time = negotiated.hold_time, families = ?negotiated.families,
            next_hop_v4 = ?info.next_hops.v4, next_hop_v6 = ?info.next_hops.v6,
            link_local = ?info.next_hops.v6_link_local, "session established");
        // A negotiated family without a next hop cannot carry routes: say so once per
        // session rather than letting its routes wait silently.
        for (family, missing) in [
            (Family::Ipv4Unicast, info.next_hops.v4.is_none()),
            (Family::Ipv6Unicast, info.next_hops.v6.is_none()),
        ] {
            if missing && negotiated.families.contains(&family) {
                tracing::warn!(peer = %self.name, %family,
                    "no next hop for this family on this session (no address of the family on the session's interface; configure one): its routes are held back");
            }
        }
        let config = self.session.config();
        self.rib.session_up(PeerSession {
            context: negotiated.context,
            families: negotiated.families.clone(),
            policy: ExportPolicy {
                local_asn: config.local_asn,
                kind: PeerKind::of(config.local_asn, config.peer_asn),
                next_hops: info.next_hops,
            },
        });
        self.established = Some(conn);
        self.status.negotiated = Some(negotiated);
        self.pump();
    }

    pub(super) fn on_received(&mut self, conn: ConnectionId, message: Message) {
        self.status.counters.count_received(&message);
        match &message {
            Message::Update(u) => {
                for issue in &u.issues {
                    tracing::warn!(peer = %self.name, type_code = issue.type_code,
                        action = ?issue.action, reason = %issue.reason,
                        "malformed attribute in received UPDATE (RFC 7606)");
                }
            }
            Message::Notification(n) => {
                let text = format!("received {}", describe_notification(n));
                tracing::warn!(peer = %self.name, notification = %text, "notification received");
                self.set_error(text);
            }
            _ => {}
        }
        self.feed(Event::Received { conn, message });
    }

    pub(super) fn on_decode_failed(&mut self, conn: ConnectionId, error: MessageError) {
        tracing::warn!(peer = %self.name, ?conn, error = %error, "malformed message received");
        self.set_error(format!("malformed message: {error}"));
        self.feed(Event::DecodeFailed { conn, error });
    }
}
