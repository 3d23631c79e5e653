//! Config peers to `bgp` driver peers: the one place where the file's settings meet the
//! protocol's. Every value is already valid (its type says so): this only moves them.

use crate::config::{self, Config, NextHopChoice, PeerConfig};
use bgp::RouterId;
use bgp::driver;
use bgp::session::{GracefulRestartConfig, SessionConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// Cap of the connect retry backoff: long enough not to hammer a router that is down,
/// short enough that a session returns within a minute of the router.
const CONNECT_RETRY_MAX: Duration = Duration::from_secs(60);

/// One config peer with the file-wide settings its session needs.
#[derive(Clone, Copy, Debug)]
pub struct PeerSettings<'a> {
    /// The whole config (`local_asn`, graceful restart, node name).
    pub config: &'a Config,
    /// The peer.
    pub peer: &'a PeerConfig,
    /// The BGP Identifier chosen for this process.
    pub router_id: RouterId,
}

impl From<PeerSettings<'_>> for SessionConfig {
    fn from(s: PeerSettings<'_>) -> SessionConfig {
        let restart_time = s.config.graceful_restart_time;
        SessionConfig {
            local_asn: s.config.local_asn,
            peer_asn: s.peer.asn,
            router_id: s.router_id,
            hold_time: s.peer.hold_time,
            connect_retry: s.peer.connect_retry,
            connect_retry_max: CONNECT_RETRY_MAX.max(s.peer.connect_retry),
            passive: s.peer.passive,
            families: s.peer.families.clone(),
            // A restart time of 0 sends no capability.
            graceful_restart: (restart_time.seconds() > 0).then_some(GracefulRestartConfig {
                restart_time,
                // Every start of this process is a restart from the router's point of
                // view: the R bit tells it not to wait for our End-of-RIB before sending
                // its own.
                restarting: true,
            }),
            hostname: Some(s.config.node_name.clone()),
            extended_message: true,
            send_hold_time: None,
        }
    }
}

/// The driver config of one peer.
impl From<PeerSettings<'_>> for driver::PeerConfig {
    fn from(s: PeerSettings<'_>) -> driver::PeerConfig {
        let peer = s.peer;
        driver::PeerConfig {
            name: peer.name.clone(),
            remote: SocketAddr::new(peer.address, peer.port),
            transport: s.into(),
            next_hop_v4: match peer.next_hop_v4 {
                NextHopChoice::Auto => None,
                NextHopChoice::Address(a) => Some(a),
            },
            next_hop_v6: match peer.next_hop_v6 {
                NextHopChoice::Auto => None,
                NextHopChoice::Address(a) => Some(a),
            },
            session: s.into(),
        }
    }
}

/// The driver transport of one peer. Its password file is not read here but by the
/// driver at each connection attempt (SPEC 3: a rotated Secret takes effect without a
/// restart); while it cannot be read the attempts fail and the peer's status says why.
impl From<PeerSettings<'_>> for driver::Transport {
    fn from(s: PeerSettings<'_>) -> driver::Transport {
        let transport = &s.peer.transport;
        let md5_password = transport.password_file.clone().map(|path| {
            driver::Md5Key::from_fn(move || {
                config::read_password(&path).map_err(|e| format!("password_file {e}"))
            })
        });
        driver::Transport {
            local_address: transport.local_address,
            md5_password,
            // eBGP: TTL 1 unless multihop is configured (RFC 4271 does not say; every
            // router defaults so). iBGP: the system default, since iBGP peers are often
            // not adjacent.
            ttl: s.peer.kind.is_external().then_some(transport.ebgp_multihop),
            ttl_security: transport.ttl_security,
        }
    }
}
