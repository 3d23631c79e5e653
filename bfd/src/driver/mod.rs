//! A thin tokio layer over [`Session`]: one task owns every session, the receiving
//! sockets and a sending socket per session, and delivers packets and timers to the
//! state machine. Callers hold a [`SessionHandle`] per peer to read state and change
//! timers; dropping it ends the session.
//!
//! Demultiplexing follows RFC 5880 section 6.8.6: a nonzero Your Discriminator selects
//! the session; a zero one (allowed only in Down and AdminDown) is matched on the source
//! address and the hop kind of the socket it arrived on.

pub mod socket;

use crate::packet::{Packet, State};
use crate::session::{Action, Event, Session, SessionConfig, Snapshot};
pub use socket::Hop;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

/// What a session is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSpec {
    /// The peer's address.
    pub peer: IpAddr,
    /// The source address to send from; the kernel picks one when `None`.
    pub local: Option<IpAddr>,
    /// Single hop (RFC 5881) or multihop (RFC 5883).
    pub hop: Hop,
    /// Timer parameters.
    pub config: SessionConfig,
}

/// What a session looks like from outside, updated after every event that changed it.
/// The default is a session not yet started: no state, nothing counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The state machine's variables, `None` until the session has started.
    pub session: Option<Snapshot>,
    /// State changes so far.
    pub transitions: u64,
    /// The session has been Up at least once.
    pub was_up: bool,
    /// Why the session cannot run (a socket that failed to bind), if it cannot.
    pub error: Option<String>,
    /// Packets received for this session that the state machine took.
    pub received: u64,
    /// Packets sent.
    pub sent: u64,
}

impl Status {
    /// The session state, Down before it started.
    pub fn state(&self) -> State {
        self.session.as_ref().map_or(State::Down, |s| s.state)
    }
}

enum Command {
    Add {
        discr: NonZeroU32,
        spec: PeerSpec,
        status: watch::Sender<Status>,
    },
    Remove(NonZeroU32),
    Event(NonZeroU32, Event),
}

/// The BFD task's handle: adds sessions. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Bfd {
    commands: mpsc::UnboundedSender<Command>,
}

impl Bfd {
    /// Spawns the task on the current tokio runtime. It ends when every handle to it
    /// (this and the session handles) is dropped.
    pub fn spawn() -> Bfd {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx));
        Bfd { commands: tx }
    }

    /// Starts a session to `spec.peer`.
    pub fn add(&self, spec: PeerSpec) -> SessionHandle {
        let discr = NonZeroU32::new(rand::random::<u32>() | 1).unwrap_or(NonZeroU32::MIN);
        let (status_tx, status_rx) = watch::channel(Status::default());
        let _ = self.commands.send(Command::Add {
            discr,
            spec: spec.clone(),
            status: status_tx,
        });
        SessionHandle {
            discr,
            spec,
            status: status_rx,
            commands: self.commands.clone(),
        }
    }
}

/// One session; dropping it stops the session.
#[derive(Debug)]
pub struct SessionHandle {
    discr: NonZeroU32,
    spec: PeerSpec,
    status: watch::Receiver<Status>,
    commands: mpsc::UnboundedSender<Command>,
}

impl SessionHandle {
    /// What the session was started for.
    pub fn spec(&self) -> &PeerSpec {
        &self.spec
    }

    /// The latest status.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// A receiver that wakes on every status change.
    pub fn subscribe(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    /// New timers; applied with a Poll Sequence when Up (RFC 5880 section 6.8.3).
    pub fn set_config(&mut self, config: SessionConfig) {
        self.spec.config = config;
        let _ = self
            .commands
            .send(Command::Event(self.discr, Event::SetConfig(config)));
    }

    /// Holds the session in AdminDown, or releases it.
    pub fn set_admin_down(&self, down: bool) {
        let event = if down {
            Event::AdminDown
        } else {
            Event::AdminUp
        };
        let _ = self.commands.send(Command::Event(self.discr, event));
    }
}

impl Drop for SessionHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Remove(self.discr));
    }
}

struct Entry {
    session: Session,
    spec: PeerSpec,
    sender: Option<Arc<UdpSocket>>,
    status: watch::Sender<Status>,
}

struct Received {
    hop: Hop,
    datagram: socket::Datagram,
}

/// The task: owns the sessions, starts receivers as families and hop kinds appear.
async fn run(mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut sessions: HashMap<NonZeroU32, Entry> = HashMap::new();
    let mut receivers: HashMap<(bool, Hop), tokio::task::JoinHandle<()>> = HashMap::new();
    let (rx_tx, mut rx) = mpsc::channel::<Received>(1024);
    loop {
        let deadline = sessions
            .values()
            .filter_map(|e| e.session.next_deadline())
            .min();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break };
                match command {
                    Command::Add { discr, spec, status } => {
                        let entry = start(&mut receivers, &rx_tx, discr, spec, status);
                        sessions.insert(discr, entry);
                    }
                    Command::Remove(discr) => {
                        sessions.remove(&discr);
                    }
                    Command::Event(discr, event) => {
                        if let Some(entry) = sessions.get_mut(&discr) {
                            apply(entry, event);
                        }
                    }
                }
            }
            Some(received) = rx.recv() => {
                if let Some(entry) = demultiplex(&mut sessions, &received) {
                    match Packet::decode(&received.datagram.bytes) {
                        Ok(packet) => {
                            entry.status.send_modify(|s| s.received += 1);
                            apply(entry, Event::Received(packet));
                        }
                        Err(e) => tracing::debug!(from = %received.datagram.from, "BFD packet discarded: {e}"),
                    }
                }
            }
            () = sleep => {
                let now = Instant::now();
                for entry in sessions.values_mut() {
                    if entry.session.next_deadline().is_some_and(|d| d <= now) {
                        apply(entry, Event::Timer);
                    }
                }
            }
        }
    }
    for (_, task) in receivers {
        task.abort();
    }
}

/// Creates a session, its sending socket and, for the first session of its family and hop
/// kind, the receiving socket. A socket that cannot be bound is reported in the status;
/// the session still exists so that the reason can be shown.
fn start(
    receivers: &mut HashMap<(bool, Hop), tokio::task::JoinHandle<()>>,
    rx_tx: &mpsc::Sender<Received>,
    discr: NonZeroU32,
    spec: PeerSpec,
    status: watch::Sender<Status>,
) -> Entry {
    let key = (spec.peer.is_ipv6(), spec.hop);
    let mut error = None;
    if let std::collections::hash_map::Entry::Vacant(slot) = receivers.entry(key) {
        match socket::bind_receiver(key.0, key.1) {
            Ok(sock) => {
                slot.insert(tokio::spawn(receive_loop(sock, key.1, rx_tx.clone())));
            }
            Err(e) => error = Some(format!("cannot bind UDP port {}: {e}", key.1.port())),
        }
    }
    let sender = match socket::bind_sender(spec.peer, spec.local, rand::random()) {
        Ok(s) => Some(Arc::new(s)),
        Err(e) => {
            error.get_or_insert(format!("cannot bind a source port: {e}"));
            None
        }
    };
    let rng = Box::new(<rand::rngs::StdRng as rand::SeedableRng>::from_os_rng());
    let session = Session::new(spec.config, discr, rng, Instant::now());
    status.send_modify(|s| {
        s.session = Some(session.snapshot());
        s.error = error;
    });
    Entry {
        session,
        spec,
        sender,
        status,
    }
}

/// Picks the session a datagram belongs to (RFC 5880 section 6.8.6), after the RFC 5881
/// section 5 TTL check for single hop.
fn demultiplex<'a>(
    sessions: &'a mut HashMap<NonZeroU32, Entry>,
    received: &Received,
) -> Option<&'a mut Entry> {
    let d = &received.datagram;
    if received.hop == Hop::Single && d.ttl != Some(socket::TTL) {
        tracing::debug!(from = %d.from, ttl = ?d.ttl, "single-hop BFD packet with TTL other than 255 discarded");
        return None;
    }
    let your = d
        .bytes
        .get(8..12)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes);
    let source = d.from.ip();
    let matches = |e: &Entry| e.spec.peer == source && e.spec.hop == received.hop;
    match NonZeroU32::new(your) {
        Some(discr) => sessions.get_mut(&discr).filter(|e| matches(e)),
        None => sessions.values_mut().find(|e| matches(e)),
    }
}

/// Feeds one event to a session and carries out what it returns.
fn apply(entry: &mut Entry, event: Event) {
    let out = entry.session.handle(Instant::now(), event);
    let destination = SocketAddr::new(entry.spec.peer, entry.spec.hop.port());
    let mut sent = 0;
    let mut transitions = 0;
    let mut up = false;
    for action in out.actions {
        match action {
            Action::Send(packet) => {
                if let Some(sender) = &entry.sender {
                    match sender.try_send_to(&packet.encode(), destination) {
                        Ok(_) => sent += 1,
                        Err(e) => tracing::debug!(peer = %entry.spec.peer, "BFD send failed: {e}"),
                    }
                }
            }
            Action::StateChanged {
                from,
                to,
                diagnostic,
            } => {
                transitions += 1;
                up |= to == State::Up;
                tracing::info!(peer = %entry.spec.peer, %from, %to, diagnostic = diagnostic.as_str(), "BFD session state changed");
            }
        }
    }
    let snapshot = entry.session.snapshot();
    entry.status.send_if_modified(|s| {
        let changed = s.session.as_ref() != Some(&snapshot) || sent > 0 || transitions > 0;
        s.session = Some(snapshot);
        s.sent += sent;
        s.transitions += transitions;
        s.was_up |= up;
        changed
    });
}

async fn receive_loop(sock: UdpSocket, hop: Hop, tx: mpsc::Sender<Received>) {
    loop {
        match socket::receive(&sock).await {
            Ok(datagram) => {
                if tx.send(Received { hop, datagram }).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::debug!("BFD receive failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests;
