//! The task of one peer: owns the session machine and the Adj-RIB-Out, turns socket
//! reads, timer expiries, connect results and handle commands into session events, and
//! carries out the session's actions in order.

use super::connection::{Connection, IoEvent, OUT_HIGH_WATER, poll_all};
use super::listener::{Listener, Registry};
use super::nexthop;
use super::socket::{self, ConnectOptions, TtlPolicy};
use super::status::{describe_down, describe_notification};
use super::timers::TimerSet;
use super::{PeerConfig, PeerStatus, RouteChange, ShutdownMode};
use crate::rib_out::{AdjRibOut, ExportPolicy, PeerSession, RouteAttributes};
use crate::session::{Action, ConnectionId, Direction, Event, Session, State};
use crate::types::Family;
use crate::wire::notification::cease_subcode;
use crate::wire::{Message, Notification};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

/// How long a closing connection may take to deliver what is queued (a NOTIFICATION)
/// and see the peer close.
const CLOSE_LINGER: Duration = Duration::from_secs(3);

/// Longest wait for the withdrawals of a shutdown to reach the socket. A peer that
/// reads this slowly gets the Cease (or, if even that cannot be written, a closed
/// connection) instead of holding the shutdown up to the send hold time.
const WITHDRAW_LIMIT: Duration = Duration::from_secs(10);

/// Commands queued at most per handle call before senders wait.
pub const COMMAND_QUEUE: usize = 64;

/// How long announcements may wait for more to share their UPDATEs.
const ANNOUNCE_COALESCE: Duration = Duration::from_millis(5);

/// Commands handled per wake-up before the resulting UPDATEs are written, so a burst
/// of changes is packed together.
const COMMAND_BATCH: usize = 256;

/// What a handle asks of the task.
#[derive(Debug)]
pub enum Command {
    /// Apply these changes.
    Changes {
        /// The changes.
        changes: Vec<RouteChange>,
        /// When the event that caused them was seen, to report when they are written.
        since: Option<std::time::Instant>,
    },
    /// Replace the desired set.
    Replace(Vec<(IpNet, Arc<RouteAttributes>)>),
    /// The routes handed over so far are the whole initial set: End-of-RIB may go.
    InitialSetComplete,
    /// Take the session down with this NOTIFICATION and reconnect as after any error.
    Reset(crate::wire::Notification),
    /// End the session.
    Shutdown {
        /// How.
        mode: ShutdownMode,
        /// The RFC 9003 shutdown communication.
        reason: String,
    },
}

/// Where a shutdown stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShutdownPhase {
    /// Withdrawals are being written; past this instant the Cease goes out anyway.
    Withdrawing(Instant),
    /// Withdrawals are written; the Cease goes out at this instant.
    Draining(Instant),
    /// The Cease is sent (or the connection dropped): waiting for connections to close.
    Stopping,
}

#[derive(Debug)]
struct Shutdown {
    phase: ShutdownPhase,
    drain: Duration,
    reason: String,
}

/// Undoes the peer's registration with the listener when the task ends.
#[derive(Debug)]
pub struct Inbound {
    /// Connections the listener hands over.
    pub rx: mpsc::Receiver<TcpStream>,
    /// The registry the peer is in.
    pub registry: Arc<Registry>,
    /// The registration token.
    pub token: u64,
    /// The listener, to remove the MD5 key from if it is still open. Weak: the
    /// speaker owns the listening socket, and dropping it closes the socket.
    pub listener: Weak<Listener>,
    /// The TCP-MD5 key installed on the listener for this peer, if one is.
    pub key: Option<Vec<u8>>,
}

type ConnectFuture = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>;

/// The state of one peer task.
pub struct PeerTask {
    config: PeerConfig,
    session: Session,
    rib: AdjRibOut,
    conns: BTreeMap<ConnectionId, Connection>,
    next_conn: u64,
    timers: TimerSet,
    established: Option<ConnectionId>,
    connecting: Option<ConnectFuture>,
    closers: JoinSet<()>,
    status_tx: watch::Sender<PeerStatus>,
    status: PeerStatus,
    shutdown: Option<Shutdown>,
    commands: mpsc::Receiver<Command>,
    /// Every handle is gone.
    commands_closed: bool,
    /// Pending announcements are written at this instant.
    flush_at: Option<Instant>,
    inbound: Option<Inbound>,
    ttl: TtlPolicy,
    history: Arc<super::SessionHistory>,
    /// While the session is down, the TCP-MD5 key is read again at this instant and
    /// installed on the listener if it changed.
    key_refresh_at: Option<Instant>,
    /// Hears how long changes took from their origin to the socket.
    write_observer: Option<super::WriteObserver>,
    /// Origins of changes applied but not yet written out.
    unwritten: Vec<std::time::Instant>,
}

impl PeerTask {
    /// A task for `config`, not yet running.
    pub fn new(
        config: PeerConfig,
        commands: mpsc::Receiver<Command>,
        inbound: Option<Inbound>,
        status_tx: watch::Sender<PeerStatus>,
        history: Arc<super::SessionHistory>,
    ) -> PeerTask {
        let session = Session::new(config.session.clone(), rand::random());
        let ttl = TtlPolicy::new(config.ttl, config.ttl_security);
        PeerTask {
            config,
            session,
            rib: AdjRibOut::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            timers: TimerSet::default(),
            established: None,
            connecting: None,
            closers: JoinSet::new(),
            status_tx,
            status: PeerStatus::idle(),
            shutdown: None,
            commands,
            commands_closed: false,
            flush_at: None,
            inbound,
            ttl,
            history,
            key_refresh_at: None,
            write_observer: None,
            unwritten: Vec::new(),
        }
    }

    /// Runs the session until shut down.
    pub async fn run(mut self) {
        tracing::info!(peer = %self.config.name, remote = %self.config.remote, "peer started");
        self.refresh_listener_key();
        self.feed(Event::Start);
        loop {
            // Reap connections that finished closing.
            while self.closers.try_join_next().is_some() {}
            self.advance_shutdown();
            self.publish();
            if self.finished() {
                break;
            }
            let next_timer = self.timers.next_deadline();
            let shutdown_step_at = match &self.shutdown {
                Some(Shutdown {
                    phase: ShutdownPhase::Draining(at) | ShutdownPhase::Withdrawing(at),
                    ..
                }) => Some(*at),
                _ => None,
            };
            let far = Instant::now() + Duration::from_secs(86_400);
            self.schedule_key_refresh();
            let key_refresh_at = self.key_refresh_at;
            let accepting = self.inbound.is_some() && self.shutdown.is_none();
            tokio::select! {
                ev = std::future::poll_fn(|cx| poll_all(self.conns.values_mut(), cx)) => {
                    self.on_io(ev);
                }
                () = sleep_until(next_timer.unwrap_or(far)), if next_timer.is_some() => {
                    for t in self.timers.take_expired(Instant::now()) {
                        self.feed(Event::TimerExpired(t));
                    }
                }
                res = async {
                    match self.connecting.as_mut() {
                        Some(f) => f.await,
                        None => std::future::pending().await,
                    }
                }, if self.connecting.is_some() => {
                    self.connecting = None;
                    self.on_connect_result(res);
                }
                stream = async {
                    match self.inbound.as_mut() {
                        Some(i) => i.rx.recv().await,
                        None => std::future::pending().await,
                    }
                }, if accepting => {
                    if let Some(stream) = stream {
                        self.on_inbound(stream);
                    }
                }
                // Still read while shutting down, so that handles never wait on a full
                // queue; the commands are then dropped.
                cmd = self.commands.recv(), if !self.commands_closed => {
                    match cmd {
                        Some(_) if self.shutdown.is_some() => {}
                        Some(cmd) => self.on_commands(cmd),
                        None => {
                            self.commands_closed = true;
                            if self.shutdown.is_none() {
                                self.begin_shutdown(
                                    ShutdownMode::Withdraw { drain: Duration::ZERO },
                                    "peer removed".to_string(),
                                );
                            }
                        }
                    }
                }
                () = sleep_until(self.flush_at.unwrap_or(far)), if self.flush_at.is_some() => {
                    self.pump();
                }
                () = sleep_until(shutdown_step_at.unwrap_or(far)), if shutdown_step_at.is_some() => {
                    self.stop_session();
                }
                () = sleep_until(key_refresh_at.unwrap_or(far)), if key_refresh_at.is_some() => {
                    self.key_refresh_at = None;
                    self.refresh_listener_key();
                }
            }
        }
        self.finish().await;
    }

    fn finished(&self) -> bool {
        matches!(
            self.shutdown,
            Some(Shutdown {
                phase: ShutdownPhase::Stopping,
                ..
            })
        ) && self.conns.is_empty()
    }

    async fn finish(mut self) {
        self.connecting = None;
        while self.closers.join_next().await.is_some() {}
        if let Some(inbound) = self.inbound.take() {
            let peer = self.config.remote.ip();
            inbound.registry.unregister(peer, inbound.token);
            let had_key = inbound.key.is_some();
            if let Some(listener) = inbound.listener.upgrade()
                && let Err(e) = listener.refresh_ttl()
            {
                tracing::warn!(peer = %self.config.name, error = %e,
                    "could not update the listener's TTL settings");
            }
            if had_key
                && let Some(listener) = inbound.listener.upgrade()
                && let Err(e) = listener.set_md5_key(peer, &[])
            {
                tracing::warn!(peer = %self.config.name, error = %e,
                    "could not remove the TCP-MD5 key from the listener");
            }
        }
        self.status.state = State::Idle;
        self.status.established_since = None;
        self.status.negotiated = None;
        self.status_tx.send_replace(self.status.clone());
        tracing::info!(peer = %self.config.name, "peer stopped");
    }

    fn publish(&mut self) {
        let status = &self.status;
        self.status_tx.send_if_modified(|s| {
            if s.state != status.state
                || s.counters != status.counters
                || s.prefixes_sent != status.prefixes_sent
                || s.last_error != status.last_error
                || s.established_since != status.established_since
                || s.negotiated != status.negotiated
            {
                *s = status.clone();
                true
            } else {
                false
            }
        });
    }

    fn set_error(&mut self, text: String) {
        self.status.last_error = Some(text);
    }

    /// Feeds one event to the session and carries out its actions in order.
    fn feed(&mut self, event: Event) {
        for action in self.session.handle(event) {
            self.act(action);
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Connect => self.start_connect(),
            Action::Send { conn, message } => self.send(conn, &message),
            Action::Close { conn } => self.close(conn),
            Action::SetTimer { timer, after } => self.timers.set(timer, Instant::now() + after),
            Action::CancelTimer(timer) => self.timers.cancel(timer),
            Action::StateChanged { from, to } => {
                tracing::info!(peer = %self.config.name, ?from, ?to, "state changed");
                self.status.state = to;
            }
            Action::Established { conn, negotiated } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    tracing::error!(peer = %self.config.name, ?conn,
                        "session established on a connection that is gone");
                    return;
                };
                c.set_context(negotiated.context);
                let hops = nexthop::choose(
                    self.config.next_hop_v4,
                    self.config.next_hop_v6,
                    c.local.ip(),
                    c.remote.ip(),
                    &nexthop::interface_addrs(),
                );
                let ebgp = self.config.session.local_asn != self.config.session.peer_asn;
                tracing::info!(peer = %self.config.name, local = %c.local, remote = %c.remote,
                    peer_asn = %negotiated.peer_asn, router_id = %negotiated.peer_router_id,
                    hold_time = negotiated.hold_time, families = ?negotiated.families,
                    next_hop_v4 = ?hops.v4, next_hop_v6 = ?hops.v6,
                    link_local = ?hops.v6_link_local, "session established");
                // A negotiated family without a next hop cannot carry routes: say so once
                // per session rather than letting its routes wait silently.
                for (family, missing) in [
                    (Family::Ipv4Unicast, hops.v4.is_none()),
                    (Family::Ipv6Unicast, hops.v6.is_none()),
                ] {
                    if missing && negotiated.families.contains(&family) {
                        tracing::warn!(peer = %self.config.name, %family,
                            "no next hop for this family on this session (no address of the family on the session's interface; configure one): its routes are held back");
                    }
                }
                self.rib.session_up(PeerSession {
                    context: negotiated.context,
                    families: negotiated.families.clone(),
                    policy: ExportPolicy {
                        local_asn: self.config.session.local_asn,
                        ebgp,
                        next_hop_v4: hops.v4,
                        next_hop_v6: hops.v6,
                        next_hop_v6_link_local: hops.v6_link_local,
                    },
                });
                self.established = Some(conn);
                self.history.established(self.config.remote.ip());
                self.status.established_since = Some(SystemTime::now());
                self.status.negotiated = Some(negotiated);
                self.pump();
            }
            Action::Down { reason } => {
                let text = describe_down(&reason);
                tracing::warn!(peer = %self.config.name, reason = %text, "session down");
                self.rib.session_down();
                self.established = None;
                self.status.counters.flaps += 1;
                self.status.established_since = None;
                self.status.negotiated = None;
                self.status.prefixes_sent = 0;
                self.set_error(text);
            }
            Action::RouteRefreshRequested(family) => {
                tracing::info!(peer = %self.config.name, %family, "route refresh requested");
                self.rib.route_refresh(family);
                self.pump();
            }
        }
    }

    fn start_connect(&mut self) {
        if self.shutdown.is_some() {
            return;
        }
        if self.connecting.is_some() {
            // The ConnectRetry timer fired before the attempt completed: the peer did not
            // answer (e.g. TCP-MD5 key mismatch, filtered port). The new attempt replaces it.
            self.connect_failed(format!("connect to {}: no answer", self.config.remote));
        }
        // Read at every attempt, so a rotated key takes effect without a restart. An
        // unreadable key fails this attempt like a refused connection: the session
        // retries with its backoff and the status says why.
        let md5_key = match self.read_key() {
            Ok(key) => key,
            Err(e) => {
                let error = io::Error::other(e);
                self.connecting = Some(Box::pin(async move { Err(error) }));
                return;
            }
        };
        if let Some(key) = &md5_key {
            self.install_listener_key(key);
        }
        let opts = ConnectOptions {
            remote: self.config.remote,
            local_address: self.config.local_address,
            md5_key,
            ttl: self.ttl,
            timeout: connect_timeout(self.config.session.connect_retry),
        };
        self.connecting = Some(Box::pin(async move { socket::connect(&opts).await }));
    }

    /// The peer's TCP-MD5 key as of now; `None` when it has none.
    fn read_key(&self) -> Result<Option<Vec<u8>>, String> {
        match &self.config.md5_password {
            None => Ok(None),
            Some(source) => source
                .read()
                .map(Some)
                .map_err(|e| format!("TCP-MD5 key: {e}")),
        }
    }

    /// Reads the key again and installs it on the listener if it changed. A key that
    /// cannot be read leaves the last good one in place (removing it would let unsigned
    /// connections from the peer's address in) and shows in the status.
    fn refresh_listener_key(&mut self) {
        if self.inbound.is_none() {
            return;
        }
        match self.read_key() {
            Ok(Some(key)) => self.install_listener_key(&key),
            Ok(None) => {}
            Err(e) => self.connect_failed(e),
        }
    }

    fn install_listener_key(&mut self, key: &[u8]) {
        let peer = self.config.remote.ip();
        let name = self.config.name.clone();
        let Some(inbound) = self.inbound.as_mut() else {
            return;
        };
        if inbound.key.as_deref() == Some(key) {
            return;
        }
        let Some(listener) = inbound.listener.upgrade() else {
            return;
        };
        match listener.set_md5_key(peer, key) {
            Ok(()) => {
                let first = inbound.key.is_none();
                inbound.key = Some(key.to_vec());
                tracing::info!(peer = %name, "TCP-MD5 key installed on the listener");
                if first {
                    // Connections accepted while the listener had no key for this
                    // address were not checked: drop any still waiting.
                    while inbound.rx.try_recv().is_ok() {}
                }
            }
            Err(e) => {
                let text = format!("TCP-MD5 key on the listener: {e}");
                self.connect_failed(text);
            }
        }
    }

    /// While no session is up and the listener takes connections for this peer, its key
    /// is read again every connect retry interval (1 to 60 s), so a passive peer picks
    /// up a rotated key before the router's next attempt.
    fn schedule_key_refresh(&mut self) {
        let wanted = self.config.md5_password.is_some()
            && self.inbound.is_some()
            && self.established.is_none()
            && self.shutdown.is_none();
        if !wanted {
            self.key_refresh_at = None;
        } else if self.key_refresh_at.is_none() {
            let every = self
                .config
                .session
                .connect_retry
                .clamp(Duration::from_secs(1), Duration::from_secs(60));
            self.key_refresh_at = Some(Instant::now() + every);
        }
    }

    fn on_connect_result(&mut self, res: io::Result<TcpStream>) {
        match res.and_then(|s| self.add_connection(Direction::Outbound, s)) {
            Ok(conn) => {
                tracing::debug!(peer = %self.config.name, ?conn, "connected");
                self.feed(Event::Connected {
                    conn,
                    direction: Direction::Outbound,
                });
            }
            Err(e) => {
                self.connect_failed(format!("connect to {}: {e}", self.config.remote));
                self.feed(Event::ConnectFailed);
            }
        }
    }

    fn connect_failed(&mut self, text: String) {
        // Retries repeat the same error: log it once.
        if self.status.last_error.as_deref() != Some(text.as_str()) {
            tracing::warn!(peer = %self.config.name, error = %text, "connect failed");
        }
        self.set_error(text);
    }

    fn add_connection(
        &mut self,
        direction: Direction,
        stream: TcpStream,
    ) -> io::Result<ConnectionId> {
        let conn = ConnectionId(self.next_conn);
        self.next_conn += 1;
        let c = Connection::new(conn, direction, stream)?;
        self.conns.insert(conn, c);
        Ok(conn)
    }

    fn on_inbound(&mut self, stream: TcpStream) {
        let unchecked = self.config.md5_password.is_some()
            && self.inbound.as_ref().is_some_and(|i| i.key.is_none());
        if unchecked {
            // The listener has no key for this peer yet (it could not be read): the
            // connection was not authenticated.
            tracing::warn!(peer = %self.config.name,
                "inbound connection refused: no TCP-MD5 key installed yet");
            return;
        }
        let prepared = socket::prepare_accepted(&stream, self.ttl);
        match prepared.and_then(|()| self.add_connection(Direction::Inbound, stream)) {
            Ok(conn) => {
                tracing::debug!(peer = %self.config.name, ?conn, "accepted");
                self.feed(Event::Connected {
                    conn,
                    direction: Direction::Inbound,
                });
            }
            Err(e) => {
                tracing::warn!(peer = %self.config.name, error = %e, "inbound connection failed");
            }
        }
    }

    fn send(&mut self, conn: ConnectionId, message: &Message) {
        let Some(c) = self.conns.get_mut(&conn) else {
            tracing::debug!(peer = %self.config.name, ?conn, "send on a closed connection dropped");
            return;
        };
        match c.queue(message) {
            Ok(()) => {
                self.status.counters.count_sent(message);
                if let Message::Notification(n) = message {
                    let text = format!("sent {}", describe_notification(n));
                    // Our own shutdown's Cease is expected; any other NOTIFICATION is news.
                    if self.shutdown.is_some() {
                        tracing::info!(peer = %self.config.name, notification = %text, "notification sent");
                    } else {
                        tracing::warn!(peer = %self.config.name, notification = %text, "notification sent");
                    }
                    self.set_error(text);
                }
            }
            Err(e) => {
                tracing::error!(peer = %self.config.name, error = %e,
                    kind = ?message.message_type(), "message could not be encoded");
            }
        }
    }

    fn close(&mut self, conn: ConnectionId) {
        self.timers.cancel_connection(conn);
        if self.established == Some(conn) {
            self.established = None;
        }
        if let Some(c) = self.conns.remove(&conn) {
            tracing::debug!(peer = %self.config.name, ?conn, "closing");
            self.closers.spawn(c.close(CLOSE_LINGER));
        }
    }

    /// Sets who hears event-to-wire latencies.
    pub fn observe_writes(&mut self, observer: Option<super::WriteObserver>) {
        self.write_observer = observer;
    }

    /// After a pump: once everything pending is encoded, ask to hear when the buffer is
    /// written; with no session, the changes will go out with the next session's full
    /// table, which is not an event-to-wire latency, so their origins are dropped.
    fn await_written(&mut self) {
        if self.unwritten.is_empty() {
            return;
        }
        let connection = self.established.and_then(|conn| self.conns.get_mut(&conn));
        match connection {
            None => self.unwritten.clear(),
            Some(c) if !self.rib.has_pending() => c.want_flushed = true,
            Some(_) => {} // More to encode once the buffer drains.
        }
    }

    /// The buffer holding the last pending UPDATE was written: report each origin.
    fn report_written(&mut self) {
        if self.rib.has_pending() {
            return;
        }
        let origins = std::mem::take(&mut self.unwritten);
        if let Some(observer) = &self.write_observer {
            for since in origins {
                (observer.0)(since.elapsed());
            }
        }
    }

    /// Encodes pending UPDATEs into the established connection's buffer, up to the bound.
    fn pump(&mut self) {
        self.flush_at = None;
        if let Some(conn) = self.established
            && let Some(c) = self.conns.get_mut(&conn)
        {
            c.want_room = false;
            while c.queued() < OUT_HIGH_WATER {
                let Some(update) = self.rib.next_update() else {
                    break;
                };
                let message = Message::Update(update);
                match c.queue(&message) {
                    Ok(()) => self.status.counters.count_sent(&message),
                    Err(e) => tracing::error!(peer = %self.config.name, error = %e,
                        "UPDATE could not be encoded; dropped"),
                }
            }
            c.want_room = c.queued() >= OUT_HIGH_WATER;
        }
        self.status.prefixes_sent = Family::ALL.iter().map(|f| self.rib.sent_len(*f)).sum();
        self.await_written();
    }

    fn on_io(&mut self, ev: IoEvent) {
        match ev {
            IoEvent::Received(conn, message) => {
                self.status.counters.count_received(&message);
                match message.as_ref() {
                    Message::Update(u) => {
                        for issue in &u.issues {
                            tracing::warn!(peer = %self.config.name, type_code = issue.type_code,
                                action = ?issue.action, reason = %issue.reason,
                                "malformed attribute in received UPDATE (RFC 7606)");
                        }
                    }
                    Message::Notification(n) => {
                        let text = format!("received {}", describe_notification(n));
                        tracing::warn!(peer = %self.config.name, notification = %text,
                            "notification received");
                        self.set_error(text);
                    }
                    _ => {}
                }
                self.feed(Event::Received {
                    conn,
                    message: *message,
                });
            }
            IoEvent::DecodeFailed(conn, error) => {
                tracing::warn!(peer = %self.config.name, ?conn, error = %error,
                    "malformed message received");
                self.set_error(format!("malformed message: {error}"));
                self.feed(Event::DecodeFailed { conn, error });
            }
            IoEvent::Closed(conn, error) => {
                match &error {
                    Some(e) => tracing::info!(peer = %self.config.name, ?conn, error = %e,
                        "connection failed"),
                    None => tracing::info!(peer = %self.config.name, ?conn,
                        "connection closed by peer"),
                }
                self.conns.remove(&conn);
                self.timers.cancel_connection(conn);
                if self.established == Some(conn) {
                    self.established = None;
                }
                self.feed(Event::Closed { conn });
            }
            IoEvent::SendBlocked(conn, blocked) => {
                self.feed(Event::SendBlocked { conn, blocked });
            }
            IoEvent::SendProgress(conn) => self.feed(Event::SendProgress { conn }),
            IoEvent::Drained(_) => self.pump(),
            // Asked for by `await_written`, and while shutting down (the loop then moves the
            // shutdown on).
            IoEvent::Flushed(_) => self.report_written(),
        }
    }

    /// Handles `first` and whatever else is already queued. Withdrawals are written at
    /// once; announcements alone wait up to [`ANNOUNCE_COALESCE`] so that a trickle of
    /// them is packed into few UPDATEs.
    fn on_commands(&mut self, first: Command) {
        let mut next = Some(first);
        let mut handled = 0;
        let mut urgent = false;
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Changes { changes, since } => {
                    self.unwritten.extend(since);
                    for change in changes {
                        match change {
                            RouteChange::Announce(prefix, attrs) => {
                                self.rib.announce(prefix, attrs)
                            }
                            RouteChange::Withdraw(prefix) => {
                                urgent = true;
                                self.rib.withdraw(prefix)
                            }
                        }
                    }
                }
                Command::Replace(routes) => {
                    urgent = true;
                    self.rib.replace(routes)
                }
                Command::InitialSetComplete => {
                    // The End-of-RIB it releases is what lets a graceful restart helper
                    // clean up: no reason to wait for the coalescing delay.
                    urgent = true;
                    self.rib.initial_set_complete();
                }
                Command::Reset(notification) => {
                    tracing::info!(peer = %self.config.name, %notification, "session reset from outside BGP");
                    self.feed(Event::Reset(notification));
                }
                Command::Shutdown { mode, reason } => {
                    self.pump();
                    self.begin_shutdown(mode, reason);
                    return;
                }
            }
            handled += 1;
            if handled < COMMAND_BATCH {
                next = self.commands.try_recv().ok();
            }
        }
        if urgent {
            self.pump();
        } else if self.flush_at.is_none() {
            self.flush_at = Some(Instant::now() + ANNOUNCE_COALESCE);
        }
    }

    fn begin_shutdown(&mut self, mode: ShutdownMode, reason: String) {
        let negotiated_gr = self.established.is_some()
            && self.config.session.graceful_restart.is_some()
            && self
                .session
                .negotiated()
                .is_some_and(|n| n.peer_graceful_restart.is_some());
        let drain = match mode {
            ShutdownMode::KeepRoutes if negotiated_gr => {
                // RFC 4724 section 4: a NOTIFICATION makes the peer drop our routes at
                // once (unless both support RFC 8538), a plain TCP close lets it keep them
                // for the restart time.
                tracing::info!(peer = %self.config.name,
                    "closing without NOTIFICATION: the peer keeps our routes (graceful restart)");
                self.shutdown = Some(Shutdown {
                    phase: ShutdownPhase::Stopping,
                    drain: Duration::ZERO,
                    reason,
                });
                self.connecting = None;
                let ids: Vec<_> = self.conns.keys().copied().collect();
                for conn in ids {
                    self.close(conn);
                }
                self.status.state = State::Idle;
                return;
            }
            ShutdownMode::KeepRoutes => Duration::ZERO,
            ShutdownMode::Withdraw { drain } => drain,
        };
        tracing::info!(peer = %self.config.name, ?drain, %reason, "shutting down");
        self.shutdown = Some(Shutdown {
            phase: ShutdownPhase::Withdrawing(Instant::now() + WITHDRAW_LIMIT),
            drain,
            reason,
        });
        if self.established.is_some() {
            self.rib.replace(std::iter::empty());
            self.pump();
        }
    }

    /// Moves a shutdown on once the withdrawals are on the wire.
    fn advance_shutdown(&mut self) {
        let Some(sd) = &self.shutdown else {
            return;
        };
        if !matches!(sd.phase, ShutdownPhase::Withdrawing(_)) {
            return;
        }
        let written = match self.established.and_then(|c| self.conns.get(&c)) {
            Some(c) => c.queued() == 0 && !c.want_room,
            None => {
                // Not established: nothing to withdraw.
                self.stop_session();
                return;
            }
        };
        if !written {
            if let Some(c) = self.established.and_then(|c| self.conns.get_mut(&c)) {
                c.want_flushed = true;
            }
            return;
        }
        {
            let drain = sd.drain;
            if let Some(sd) = self.shutdown.as_mut() {
                sd.phase = ShutdownPhase::Draining(Instant::now() + drain);
            }
        }
    }

    /// Sends the Cease (RFC 4486 Administrative Shutdown with the RFC 9003 reason) and
    /// waits for the connections to close.
    fn stop_session(&mut self) {
        let reason = self
            .shutdown
            .as_ref()
            .map(|s| s.reason.clone())
            .unwrap_or_default();
        self.connecting = None;
        let cease =
            Notification::cease_with_reason(cease_subcode::ADMINISTRATIVE_SHUTDOWN, &reason);
        self.feed(Event::Stop(cease));
        // The session closes its connections on Stop; close any it did not know of.
        let ids: Vec<_> = self.conns.keys().copied().collect();
        for conn in ids {
            self.close(conn);
        }
        match self.shutdown.as_mut() {
            Some(sd) => sd.phase = ShutdownPhase::Stopping,
            None => {
                self.shutdown = Some(Shutdown {
                    phase: ShutdownPhase::Stopping,
                    drain: Duration::ZERO,
                    reason,
                })
            }
        }
    }
}

/// How long one connect attempt may take: the retry interval, within 1 to 30 seconds.
/// The session's ConnectRetry timer decides when to try again.
fn connect_timeout(connect_retry: Duration) -> Duration {
    connect_retry.clamp(Duration::from_secs(1), Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_attempts_time_out_within_one_to_thirty_seconds() {
        assert_eq!(
            connect_timeout(Duration::from_millis(10)),
            Duration::from_secs(1)
        );
        assert_eq!(
            connect_timeout(Duration::from_secs(5)),
            Duration::from_secs(5)
        );
        assert_eq!(
            connect_timeout(Duration::from_secs(120)),
            Duration::from_secs(30)
        );
    }
}
