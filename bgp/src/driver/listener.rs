//! The shared listening socket: accepts connections and hands each to the task of the
//! peer it comes from, matched by remote address (IPv4-mapped addresses normalised).
//! Connections from unknown addresses, or reaching a local address other than the one
//! configured for that peer, are closed at once.

use super::Transport;
use super::socket::{ListenerTtl, TtlPolicy, apply_listener_ttl, normalize_ip, set_md5_key};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Where a peer task wants its inbound connections.
#[derive(Debug)]
struct Entry {
    /// Distinguishes registrations of the same address over time.
    token: u64,
    local_address: Option<IpAddr>,
    ttl: TtlPolicy,
    tx: mpsc::Sender<TcpStream>,
}

/// What to do with an accepted connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// Hand it to the peer registered under this address.
    ToPeer(IpAddr),
    /// No peer has this address.
    UnknownPeer,
    /// The peer requires another local address.
    WrongLocalAddress {
        /// The address configured for the peer.
        expected: IpAddr,
    },
}

/// Peers by address, shared between the accept loop and the speaker.
#[derive(Debug, Default)]
pub struct Registry {
    peers: Mutex<HashMap<IpAddr, Entry>>,
    next_token: std::sync::atomic::AtomicU64,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Entry>> {
        // A panic while holding this lock cannot leave the map half-updated (single
        // insert/remove calls), so a poisoned lock is still usable.
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a peer, whose connections must reach its `transport`'s local address and
    /// get its TTL settings; fails if another peer has the same address. Returns the token
    /// to unregister with.
    pub fn register(
        &self,
        peer: IpAddr,
        transport: &Transport,
        tx: mpsc::Sender<TcpStream>,
    ) -> io::Result<u64> {
        let peer = normalize_ip(peer);
        let mut peers = self.lock();
        if peers.contains_key(&peer) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("a peer with address {peer} already exists"),
            ));
        }
        let token = self
            .next_token
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        peers.insert(
            peer,
            Entry {
                token,
                local_address: transport.local_address.map(normalize_ip),
                ttl: transport.ttl_policy(),
                tx,
            },
        );
        Ok(token)
    }

    /// Removes the registration made with `token`.
    pub fn unregister(&self, peer: IpAddr, token: u64) {
        let peer = normalize_ip(peer);
        let mut peers = self.lock();
        if peers.get(&peer).is_some_and(|e| e.token == token) {
            peers.remove(&peer);
        }
    }

    /// Decides where a connection from `remote` to our `local` goes.
    pub fn dispatch(&self, remote: IpAddr, local: IpAddr) -> Dispatch {
        let remote = normalize_ip(remote);
        let local = normalize_ip(local);
        match self.lock().get(&remote) {
            None => Dispatch::UnknownPeer,
            Some(Entry {
                local_address: Some(expected),
                ..
            }) if *expected != local => Dispatch::WrongLocalAddress {
                expected: *expected,
            },
            Some(_) => Dispatch::ToPeer(remote),
        }
    }

    /// The listening socket's TTL settings that serve every registered peer.
    pub fn listener_ttl(&self) -> ListenerTtl {
        ListenerTtl::for_peers(self.lock().values().map(|e| e.ttl))
    }

    fn sender(&self, peer: IpAddr) -> Option<mpsc::Sender<TcpStream>> {
        self.lock().get(&peer).map(|e| e.tx.clone())
    }
}

/// The listening socket and the registry its connections are dispatched by.
#[derive(Debug)]
pub struct Listener {
    socket: Arc<TcpListener>,
    registry: Arc<Registry>,
}

impl Listener {
    /// Wraps a bound listening socket.
    pub fn new(socket: TcpListener, registry: Arc<Registry>) -> Listener {
        Listener {
            socket: Arc::new(socket),
            registry,
        }
    }

    /// The address listened on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Adds (or with an empty key removes) the TCP-MD5 key for one peer address.
    pub fn set_md5_key(&self, peer: IpAddr, key: &[u8]) -> io::Result<()> {
        set_md5_key(&*self.socket, peer, key)
    }

    /// Sets the socket's TTL options for the peers registered now (see [`ListenerTtl`]);
    /// call after every registration change.
    pub fn refresh_ttl(&self) -> io::Result<()> {
        apply_listener_ttl(&*self.socket, self.registry.listener_ttl())
    }

    /// Accepts connections until the task is aborted.
    pub async fn run(self: Arc<Self>) {
        loop {
            let (stream, remote) = match self.socket.accept().await {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let local = match stream.local_addr() {
                Ok(a) => a,
                Err(_) => continue,
            };
            match self.registry.dispatch(remote.ip(), local.ip()) {
                Dispatch::ToPeer(peer) => {
                    let Some(tx) = self.registry.sender(peer) else {
                        continue;
                    };
                    if tx.try_send(stream).is_err() {
                        tracing::warn!(%remote, "peer task is not taking connections; closed");
                    }
                }
                Dispatch::UnknownPeer => {
                    tracing::info!(%remote, "connection from an unknown address refused");
                }
                Dispatch::WrongLocalAddress { expected } => {
                    tracing::info!(%remote, %local, %expected,
                        "connection to the wrong local address refused");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
