//! The task of one peer: sockets, timers and the task loop around a
//! [`PeerSpeaker`](crate::speaker::PeerSpeaker), which makes every protocol decision.
//! The task turns socket reads, timer expiries, connect results and handle commands
//! into speaker inputs, and carries out the speaker's outputs in order.

use super::connection::{Connection, IoEvent, poll_all};
use super::listener::{Listener, Registry};
use super::nexthop;
use super::socket::{self, ConnectOptions, TtlPolicy};
use super::timers::TimerSet;
use super::{PeerConfig, PeerStatus};
use crate::session::{ConnectionId, Direction, State};
use crate::speaker::{Command, ConnectionInfo, Input, Output, PeerSpeaker};
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

/// Commands queued at most per handle call before senders wait.
pub const COMMAND_QUEUE: usize = 64;

/// Commands handled per wake-up before the resulting UPDATEs are written, so a burst
/// of changes is packed together.
const COMMAND_BATCH: usize = 256;

/// Route changes handled per wake-up before the resulting UPDATEs are written. A batch
/// this large already fills UPDATEs (a 4 KiB one holds about 800 withdrawals); taking
/// more would only keep the first of them from the wire while an owner that hands over
/// a bulk change in chunks is still deciding the rest.
const CHANGES_PER_WRITE: usize = 4096;

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
    speaker: PeerSpeaker,
    conns: BTreeMap<ConnectionId, Connection>,
    next_conn: u64,
    timers: TimerSet,
    connecting: Option<ConnectFuture>,
    closers: JoinSet<()>,
    status_tx: watch::Sender<PeerStatus>,
    commands: mpsc::Receiver<Command>,
    /// Every handle is gone.
    commands_closed: bool,
    inbound: Option<Inbound>,
    ttl: TtlPolicy,
    history: Arc<super::SessionHistory>,
    /// While the session is down, the TCP-MD5 key is read again at this instant and
    /// installed on the listener if it changed.
    key_refresh_at: Option<Instant>,
    /// Hears how long changes took from their origin to the socket.
    write_observer: Option<super::WriteObserver>,
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
        let speaker = PeerSpeaker::new(
            Arc::from(config.name.as_str()),
            config.session.clone(),
            rand::random(),
            std::time::Instant::now(),
        );
        let ttl = config.transport.ttl_policy();
        PeerTask {
            config,
            speaker,
            conns: BTreeMap::new(),
            next_conn: 1,
            timers: TimerSet::default(),
            connecting: None,
            closers: JoinSet::new(),
            status_tx,
            commands,
            commands_closed: false,
            inbound,
            ttl,
            history,
            key_refresh_at: None,
            write_observer: None,
        }
    }

    /// Runs the session until shut down.
    pub async fn run(mut self) {
        tracing::info!(peer = %self.config.name, remote = %self.config.remote, "peer started");
        self.refresh_listener_key();
        self.input(Input::Start);
        loop {
            // Reap connections that finished closing.
            while self.closers.try_join_next().is_some() {}
            self.publish();
            if self.speaker.is_finished() && self.conns.is_empty() {
                break;
            }
            let next_timer = self.timers.next_deadline();
            let speaker_deadline = self.speaker.next_deadline().map(Instant::from_std);
            let far = Instant::now() + Duration::from_secs(86_400);
            self.schedule_key_refresh();
            let key_refresh_at = self.key_refresh_at;
            let accepting = self.inbound.is_some() && !self.speaker.is_shutting_down();
            tokio::select! {
                ev = std::future::poll_fn(|cx| poll_all(self.conns.values_mut(), cx)) => {
                    self.on_io(ev);
                }
                () = sleep_until(next_timer.unwrap_or(far)), if next_timer.is_some() => {
                    for t in self.timers.take_expired(Instant::now()) {
                        self.input(Input::TimerExpired(t));
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
                // queue; the speaker then drops the commands.
                cmd = self.commands.recv(), if !self.commands_closed => {
                    match cmd {
                        Some(cmd) => self.on_commands(cmd),
                        None => {
                            self.commands_closed = true;
                            self.input(Input::CommandsClosed);
                        }
                    }
                }
                () = sleep_until(speaker_deadline.unwrap_or(far)), if speaker_deadline.is_some() => {
                    self.speaker.on_deadline(std::time::Instant::now());
                    self.carry_out();
                }
                () = sleep_until(key_refresh_at.unwrap_or(far)), if key_refresh_at.is_some() => {
                    self.key_refresh_at = None;
                    self.refresh_listener_key();
                }
            }
        }
        self.finish().await;
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
        let mut status = self.speaker.status().clone();
        status.state = State::Idle;
        status.established_since = None;
        status.negotiated = None;
        self.status_tx.send_replace(status);
        tracing::info!(peer = %self.config.name, "peer stopped");
    }

    fn publish(&mut self) {
        let status = self.speaker.status();
        self.status_tx.send_if_modified(|s| {
            if s != status {
                *s = status.clone();
                true
            } else {
                false
            }
        });
    }

    /// Hands one input to the speaker and carries out what it asks.
    fn input(&mut self, input: Input) {
        self.speaker.handle(input, std::time::Instant::now());
        self.carry_out();
    }

    /// Carries out the speaker's outputs in order.
    fn carry_out(&mut self) {
        while let Some(output) = self.speaker.poll_output() {
            match output {
                Output::Connect => self.start_connect(),
                Output::StopConnecting => self.connecting = None,
                Output::Send { conn, message } => {
                    let Some(c) = self.conns.get_mut(&conn) else {
                        continue;
                    };
                    if let Err(e) = c.queue(&message) {
                        tracing::error!(peer = %self.config.name, error = %e,
                            kind = ?message.message_type(), "message could not be encoded");
                    }
                }
                Output::SendUpdates { conn } => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.want_room = self.speaker.fill(conn, c);
                    }
                }
                Output::WatchFlushed { conn } => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.want_flushed = true;
                    }
                }
                Output::Close { conn } => self.close(conn),
                Output::SetTimer { timer, at } => self.timers.set(timer, Instant::from_std(at)),
                Output::CancelTimer(timer) => self.timers.cancel(timer),
                Output::Established { conn, context } => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.set_context(context);
                    }
                    self.history.established(self.config.remote.ip());
                    self.speaker.set_established_since(SystemTime::now());
                }
                Output::Written(origins) => {
                    if let Some(observer) = &self.write_observer {
                        for since in origins {
                            (observer.0)(since.elapsed());
                        }
                    }
                }
            }
        }
    }

    fn close(&mut self, conn: ConnectionId) {
        self.timers.cancel_connection(conn);
        if let Some(c) = self.conns.remove(&conn) {
            tracing::debug!(peer = %self.config.name, ?conn, "closing");
            self.closers.spawn(c.close(CLOSE_LINGER));
        }
    }

    /// Sets who hears event-to-wire latencies.
    pub fn observe_writes(&mut self, observer: Option<super::WriteObserver>) {
        self.write_observer = observer;
    }

    /// Hands `first` and whatever else is already queued to the speaker as one batch.
    fn on_commands(&mut self, first: Command) {
        let mut next = Some(first);
        let (mut handled, mut routes) = (0, 0);
        while let Some(cmd) = next.take() {
            let shutdown = matches!(cmd, Command::Shutdown { .. });
            routes += cmd.route_count();
            self.speaker
                .handle(Input::Command(cmd), std::time::Instant::now());
            handled += 1;
            if !shutdown && handled < COMMAND_BATCH && routes < CHANGES_PER_WRITE {
                next = self.commands.try_recv().ok();
            }
        }
        self.input(Input::CommandsDone);
    }

    fn on_io(&mut self, ev: IoEvent) {
        let input = match ev {
            IoEvent::Received(conn, message) => Input::Received { conn, message },
            IoEvent::DecodeFailed(conn, error) => Input::DecodeFailed { conn, error },
            IoEvent::Closed(conn, error) => {
                match &error {
                    Some(e) => tracing::info!(peer = %self.config.name, ?conn, error = %e,
                        "connection failed"),
                    None => tracing::info!(peer = %self.config.name, ?conn,
                        "connection closed by peer"),
                }
                self.conns.remove(&conn);
                self.timers.cancel_connection(conn);
                Input::Closed { conn }
            }
            IoEvent::SendBlocked(conn, blocked) => Input::SendBlocked { conn, blocked },
            IoEvent::SendProgress(conn) => Input::SendProgress { conn },
            IoEvent::Drained(conn) => Input::Room { conn },
            IoEvent::Flushed(conn) => Input::Flushed { conn },
        };
        self.input(input);
    }

    fn add_connection(&mut self, direction: Direction, stream: TcpStream) -> io::Result<()> {
        let conn = ConnectionId(self.next_conn);
        self.next_conn += 1;
        let c = Connection::new(conn, direction, stream)?;
        let info = ConnectionInfo {
            local: c.local,
            remote: c.remote,
            next_hops: nexthop::choose(
                self.config.next_hop_v4,
                self.config.next_hop_v6,
                c.local.ip(),
                c.remote.ip(),
                &nexthop::interface_addrs(),
            ),
        };
        self.conns.insert(conn, c);
        tracing::debug!(peer = %self.config.name, ?conn, ?direction, "connected");
        self.input(Input::Connected {
            conn,
            direction,
            info,
        });
        Ok(())
    }

    fn on_inbound(&mut self, stream: TcpStream) {
        let unchecked = self.config.transport.md5_password.is_some()
            && self.inbound.as_ref().is_some_and(|i| i.key.is_none());
        if unchecked {
            // The listener has no key for this peer yet (it could not be read): the
            // connection was not authenticated.
            tracing::warn!(peer = %self.config.name,
                "inbound connection refused: no TCP-MD5 key installed yet");
            return;
        }
        let prepared = socket::prepare_accepted(&stream, self.ttl);
        if let Err(e) = prepared.and_then(|()| self.add_connection(Direction::Inbound, stream)) {
            tracing::warn!(peer = %self.config.name, error = %e, "inbound connection failed");
        }
    }

    fn on_connect_result(&mut self, res: io::Result<TcpStream>) {
        if let Err(e) = res.and_then(|s| self.add_connection(Direction::Outbound, s)) {
            self.input(Input::ConnectFailed {
                error: format!("connect to {}: {e}", self.config.remote),
            });
        }
    }

    fn connect_failed(&mut self, text: String) {
        self.input(Input::TransportError(text));
    }

    fn start_connect(&mut self) {
        if self.connecting.is_some() {
            // The ConnectRetry timer fired before the attempt completed: the peer did not
            // answer (e.g. TCP-MD5 key mismatch, filtered port). The new attempt replaces it.
            self.connect_failed(format!("connect to {}: no answer", self.config.remote));
        }
        // Read at every attempt, so a rotated key takes effect without a restart. An
        // unreadable key fails this attempt like a refused connection: the session
        // retries with its backoff and the status says why.
        let md5_key = match self.config.transport.read_key() {
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
            local_address: self.config.transport.local_address,
            md5_key,
            ttl: self.ttl,
            timeout: connect_timeout(self.config.session.connect_retry),
        };
        self.connecting = Some(Box::pin(async move { socket::connect(&opts).await }));
    }

    /// Reads the key again and installs it on the listener if it changed. A key that
    /// cannot be read leaves the last good one in place (removing it would let unsigned
    /// connections from the peer's address in) and shows in the status.
    fn refresh_listener_key(&mut self) {
        if self.inbound.is_none() {
            return;
        }
        match self.config.transport.read_key() {
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
        let wanted = self.config.transport.md5_password.is_some()
            && self.inbound.is_some()
            && !self.speaker.is_established()
            && !self.speaker.is_shutting_down();
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
}

/// How long one connect attempt may take: the retry interval, within 1 to 30 seconds.
/// The session's ConnectRetry timer decides when to try again.
fn connect_timeout(connect_retry: Duration) -> Duration {
    connect_retry.clamp(Duration::from_secs(1), Duration::from_secs(30))
}

#[cfg(test)]
mod tests;
