//! The tokio driver: sockets, one task per peer, and a handle to talk to it.
//!
//! Each peer task owns a [`PeerSpeaker`](crate::speaker::PeerSpeaker) (which owns the
//! [`Session`](crate::session::Session) and the
//! [`AdjRibOut`](crate::rib_out::AdjRibOut)), turns socket reads, timer expiries and
//! handle commands into speaker inputs, and carries out the speaker's outputs. All
//! protocol decisions stay in the sans-IO core; this layer only moves bytes and time.
//!
//! Linux only: TCP-MD5, `IP_MINTTL` / `IPV6_MINHOPCOUNT` and the link-local next hop
//! lookup use Linux interfaces (see [`socket`] and [`nexthop`]).
//!
//! Modules: [`socket`] (socket options, connect, listen), [`md5`] (where a TCP-MD5 key
//! comes from), [`listener`] (dispatching
//! inbound connections by peer address), [`connection`] (framing and bounded output of
//! one TCP connection, its output kept in a [`crate::speaker::outbox::Outbox`]),
//! [`timers`], [`nexthop`] and `peer` (the task).
//!
//! # Behaviour
//! - Routes: withdrawals reach the socket at once; announcements wait up to 5 ms so
//!   that a trickle of them shares UPDATEs. Received UPDATEs are counted, never
//!   installed; RFC 7606 issues in them are logged and counted.
//! - Output is bounded: once a connection's buffer holds 128 KiB of encoded messages,
//!   no more UPDATEs are taken from the Adj-RIB-Out until it drains, and the session
//!   hears when the socket stops taking data and every time it takes some again, which
//!   runs the RFC 9687 send hold timer on "no progress". KEEPALIVE and NOTIFICATION
//!   never wait behind queued UPDATEs.
//! - Next hops: the configured ones, else the session's local address for its own
//!   family, plus (IPv6, peer on the same link) the interface's link-local address.
//! - Shutdown ([`PeerHandle::shutdown`]): [`ShutdownMode::Withdraw`] withdraws
//!   everything, waits until the withdrawals are written (at most 10 s), waits the
//!   drain time, then sends Cease / Administrative Shutdown with the RFC 9003 reason.
//!   [`ShutdownMode::KeepRoutes`] closes the TCP connection without a NOTIFICATION
//!   when graceful restart was negotiated both ways. A closing connection gets up to
//!   3 s to deliver what is queued and see the peer close.
//! - Logs (`tracing`): one line per state change, session up/down, NOTIFICATION and
//!   error; nothing per message.

pub mod connection;
pub mod listener;
pub mod md5;
pub mod nexthop;
mod peer;
pub mod socket;
pub mod timers;

use crate::session::SessionConfig;
use crate::speaker::Command;
pub use crate::speaker::{PeerCounters, PeerStatus, RouteChange, ShutdownMode};
use listener::{Listener, Registry};
pub use md5::{KeyError, Md5Key};
use peer::{Inbound, PeerTask};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Hears event-to-wire latencies: see [`Speaker::observe_writes`].
#[derive(Clone)]
pub struct WriteObserver(pub Arc<dyn Fn(std::time::Duration) + Send + Sync>);

impl std::fmt::Debug for WriteObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteObserver")
    }
}

/// One peer: its name and address, how its connections are set up, the next hops sent to
/// it and its session settings.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// A name for logs and status.
    pub name: String,
    /// The peer's address and port (usually 179).
    pub remote: SocketAddr,
    /// How the peer's TCP connections are opened, accepted and checked.
    pub transport: Transport,
    /// Next hop for IPv4 routes; `None`: the session's local address if IPv4, else unset.
    pub next_hop_v4: Option<Ipv4Addr>,
    /// Next hop for IPv6 routes; `None`: the session's local address if IPv6, else unset.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// The protocol settings.
    pub session: SessionConfig,
}

/// The transport settings of one peer: what the socket layer needs to open a connection
/// to it, to accept one from it and to check that a segment really comes from it.
///
/// They belong together because every connection of the peer gets all of them at once,
/// in both directions: the connecting socket is bound to the local address, signed with
/// the key and given the TTL before its SYN leaves; the shared listening socket holds the
/// peer's key and a TTL that serves it before the peer's SYN arrives, and an accepted
/// connection is refused on another local address and then given the same TTL. The
/// default is no setting at all: any local address, no key, the system's TTL.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    /// Source address for outbound connections; also the address the session must be
    /// accepted on.
    pub local_address: Option<IpAddr>,
    /// TCP-MD5 key (RFC 2385), set on both the listening and the connecting socket; a
    /// [`Md5Key::Source`] is read again at each connection attempt.
    pub md5_password: Option<Md5Key>,
    /// IP TTL / hop limit of our packets: 1 for directly connected eBGP, more for multihop.
    /// `None` leaves the system default (what iBGP uses).
    pub ttl: Option<u8>,
    /// GTSM (RFC 5082): send with TTL 255 and accept only packets that arrive with at least
    /// 255 - (ttl - 1).
    pub ttl_security: bool,
}

impl Transport {
    /// The TTL settings of every socket of this peer's sessions.
    pub fn ttl_policy(&self) -> socket::TtlPolicy {
        socket::TtlPolicy::new(self.ttl, self.ttl_security)
    }

    /// The TCP-MD5 key as of now; `None` when the peer has none.
    pub fn read_key(&self) -> Result<Option<Vec<u8>>, String> {
        match &self.md5_password {
            None => Ok(None),
            Some(source) => source
                .read()
                .map(Some)
                .map_err(|e| format!("TCP-MD5 key: {e}")),
        }
    }
}

/// Owns the optional listening socket and the peer tasks. Inbound connections are handed
/// to the peer whose address they come from; others are refused.
///
/// Dropping the speaker closes the listening socket; peer tasks run until their
/// [`PeerHandle::shutdown`] (or until every handle of a peer is dropped, which withdraws
/// its routes and ends its session).
#[derive(Debug)]
pub struct Speaker {
    registry: Arc<Registry>,
    history: Arc<SessionHistory>,
    write_observer: Option<WriteObserver>,
    listener: Option<Arc<Listener>>,
    _accept_task: Option<AbortOnDrop>,
}

/// Peer addresses whose session reached Established since this speaker was bound.
///
/// The graceful restart Restart State bit announces a restart of the *process* (RFC 4724
/// section 3), so a peer that is removed and added again within one process (a config
/// reload) must not set it again: the router would think we restarted.
#[derive(Debug, Default)]
pub(crate) struct SessionHistory {
    established: std::sync::Mutex<std::collections::HashSet<IpAddr>>,
}

impl SessionHistory {
    /// Records that a session with `peer` reached Established.
    pub(crate) fn established(&self, peer: IpAddr) {
        self.lock().insert(socket::normalize_ip(peer));
    }

    /// True when a session with `peer` reached Established before.
    fn was_established(&self, peer: IpAddr) -> bool {
        self.lock().contains(&socket::normalize_ip(peer))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<IpAddr>> {
        // Single inserts and lookups cannot leave the set half-updated.
        self.established.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Aborts the accept loop when the speaker goes away.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Connections waiting for a peer task to take them.
const INBOUND_QUEUE: usize = 4;

impl Speaker {
    /// Starts a speaker; `listen` is the address to accept connections on (e.g.
    /// `[::]:179`, which accepts IPv4 too), or `None` to only connect out.
    pub async fn bind(listen: Option<SocketAddr>) -> std::io::Result<Speaker> {
        let registry = Arc::new(Registry::default());
        let (listener, accept_task) = match listen {
            Some(addr) => {
                let l = Arc::new(Listener::new(socket::listen(addr)?, registry.clone()));
                tracing::info!(addr = %l.local_addr()?, "listening for BGP connections");
                let task = tokio::spawn(l.clone().run());
                (Some(l), Some(AbortOnDrop(task)))
            }
            None => (None, None),
        };
        Ok(Speaker {
            registry,
            history: Arc::default(),
            write_observer: None,
            listener,
            _accept_task: accept_task,
        })
    }

    /// The address actually listened on (useful with port 0 in tests).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Starts a task for this peer and returns its handle. The session starts at once.
    ///
    /// Must be called within a tokio runtime. Fails if another peer has the same
    /// address, if a fixed MD5 key is empty or longer than 80 octets, or if the listening
    /// socket cannot take the peer's settings. A key [`Md5Key::Source`] that cannot be
    /// read does not fail here: each connection attempt reads it again, fails while it
    /// cannot, and says why in [`PeerStatus::last_error`].
    ///
    /// The graceful restart Restart State bit is sent only until the first session with
    /// this address reached Established within this speaker (see
    /// [`GracefulRestartConfig::restarting`](crate::session::GracefulRestartConfig)).
    /// Calls `observer` with the time from a change's origin (see
    /// [`PeerHandle::update_since`]) to the moment the UPDATEs carrying it were written to
    /// the socket, once per peer and batch. Applies to peers added afterwards.
    pub fn observe_writes(&mut self, observer: WriteObserver) {
        self.write_observer = Some(observer);
    }

    /// Starts a peer task.
    pub fn add_peer(&self, mut config: PeerConfig) -> std::io::Result<PeerHandle> {
        let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        if self.history.was_established(config.remote.ip())
            && let Some(gr) = config.session.graceful_restart.as_mut()
        {
            gr.restarting = false;
        }
        if let Some(key @ Md5Key::Fixed(_)) = &config.transport.md5_password
            && let Err(e) = key.read()
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("peer {}: {e}", config.name),
            ));
        }
        let peer_ip = config.remote.ip();
        let inbound = match &self.listener {
            Some(listener) => {
                let (tx, rx) = mpsc::channel(INBOUND_QUEUE);
                let token = self.registry.register(peer_ip, &config.transport, tx)?;
                // The key goes on the listener before the task runs, so that the peer's
                // first SYN is checked. One that cannot be read now is installed by the
                // task once it can; until then the task refuses inbound connections.
                let key = config.transport.read_key().ok().flatten();
                let installed = match &key {
                    Some(key) => listener.set_md5_key(peer_ip, key),
                    None => Ok(()),
                };
                if let Err(e) = installed.and_then(|()| listener.refresh_ttl()) {
                    self.registry.unregister(peer_ip, token);
                    let _ = listener.refresh_ttl();
                    return Err(e);
                }
                Some(Inbound {
                    rx,
                    registry: self.registry.clone(),
                    token,
                    listener: Arc::downgrade(listener),
                    key,
                })
            }
            None => None,
        };
        let (cmd_tx, cmd_rx) = mpsc::channel(peer::COMMAND_QUEUE);
        let (status_tx, status_rx) = watch::channel(PeerStatus::idle());
        let name: Arc<str> = Arc::from(config.name.as_str());
        let mut task = PeerTask::new(config, cmd_rx, inbound, status_tx, self.history.clone());
        task.observe_writes(self.write_observer.clone());
        runtime.spawn(task.run());
        Ok(PeerHandle {
            name,
            commands: cmd_tx,
            status: status_rx,
        })
    }
}

/// Talks to one peer task. Cloning is cheap; the task ends after [`PeerHandle::shutdown`].
#[derive(Clone, Debug)]
pub struct PeerHandle {
    name: Arc<str>,
    commands: mpsc::Sender<Command>,
    status: watch::Receiver<PeerStatus>,
}

impl PeerHandle {
    /// The peer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies route changes. Waits only when the task's bounded queue is full.
    /// Changes sent after the task ended are dropped.
    pub async fn update(&self, changes: Vec<RouteChange>) {
        let _ = self
            .commands
            .send(Command::Changes {
                changes,
                since: None,
            })
            .await;
    }

    /// Like [`PeerHandle::update`], for changes caused by an event seen at `since`: once
    /// the UPDATEs carrying them are written to the socket, the speaker's write observer
    /// hears how long that took. Changes made while no session is up are not observed.
    pub async fn update_since(&self, changes: Vec<RouteChange>, since: std::time::Instant) {
        let _ = self
            .commands
            .send(Command::Changes {
                changes,
                since: Some(since),
            })
            .await;
    }

    /// [`PeerHandle::update`], with `since` as in [`PeerHandle::update_since`], for a
    /// caller that cannot wait: a decision handing over withdrawals while it runs. A full
    /// queue hands the changes back, to be sent (after any later ones are queued behind
    /// them) once waiting is possible; changes sent after the task ended are dropped.
    pub fn try_update(
        &self,
        changes: Vec<RouteChange>,
        since: Option<std::time::Instant>,
    ) -> Result<(), Vec<RouteChange>> {
        match self.commands.try_reserve() {
            Ok(permit) => {
                permit.send(Command::Changes { changes, since });
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(())) => Err(changes),
            Err(mpsc::error::TrySendError::Closed(())) => Ok(()),
        }
    }

    /// Replaces the whole desired route set.
    pub async fn replace(&self, routes: impl Into<crate::rib_out::RouteSet>) {
        let _ = self.commands.send(Command::Replace(routes.into())).await;
    }

    /// Says that the routes handed over so far (by [`update`](PeerHandle::update) or
    /// [`replace`](PeerHandle::replace), in order) are the whole initial set, so the
    /// session may follow them with End-of-RIB (RFC 4724 section 4.1). Call it once,
    /// after the first full decision; later calls change nothing.
    ///
    /// Until then routes are sent as they come but End-of-RIB is held back: a graceful
    /// restart helper deletes every stale route of ours it still holds when End-of-RIB
    /// arrives, so sending it before the first decision would flap the routes that
    /// decision is about to announce again. A peer never told keeps sending routes and
    /// never sends End-of-RIB; the helper then cleans up when its own stale timer ends.
    /// On every later session of the peer End-of-RIB follows the full table at once.
    pub async fn initial_set_complete(&self) {
        let _ = self.commands.send(Command::InitialSetComplete).await;
    }

    /// Takes the session down at once with `notification` (for BFD Down, a Cease with
    /// subcode [`BFD_DOWN`](crate::wire::notification::cease_subcode::BFD_DOWN), RFC
    /// 9384); the peer then reconnects after the usual backoff. Routes stay desired and
    /// are sent again on the next session. Nothing happens while no connection is open.
    pub async fn reset(&self, notification: crate::wire::Notification) {
        let _ = self.commands.send(Command::Reset(notification)).await;
    }

    /// The current status.
    pub fn status(&self) -> PeerStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change (state transitions, counters).
    pub fn watch(&self) -> tokio::sync::watch::Receiver<PeerStatus> {
        self.status.clone()
    }

    /// Ends the session as `mode` says, sending a Cease carrying `reason` (RFC 9003),
    /// and waits for the task to finish.
    pub async fn shutdown(&self, mode: ShutdownMode, reason: &str) {
        let _ = self
            .commands
            .send(Command::Shutdown {
                mode,
                reason: reason.to_string(),
            })
            .await;
        // The task drops its status sender as it ends.
        let mut rx = self.status.clone();
        while rx.changed().await.is_ok() {}
    }

    /// True once the peer task has ended.
    pub fn is_finished(&self) -> bool {
        self.commands.is_closed()
    }
}
