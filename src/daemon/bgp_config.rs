//! Config peers to `bgp` driver peers: the one place where the file's settings meet the
//! protocol's.

use crate::config::{self, Config, NextHopChoice, PeerConfig};
use bgp::RouterId;
use bgp::driver;
use bgp::session::{GracefulRestartConfig, SessionConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// Cap of the connect retry backoff: long enough not to hammer a router that is down,
/// short enough that a session returns within a minute of the router.
const CONNECT_RETRY_MAX: Duration = Duration::from_secs(60);

/// The driver config of one peer. Its password file is not read here but by the driver
/// at each connection attempt (SPEC 3: a rotated Secret takes effect without a restart);
/// while it cannot be read the attempts fail and the peer's status says why.
pub fn peer_config(
    config: &Config,
    peer: &PeerConfig,
    router_id: RouterId,
) -> anyhow::Result<driver::PeerConfig> {
    let md5_password = peer.password_file.clone().map(|path| {
        driver::Md5Key::from_fn(move || {
            config::read_password(&path).map_err(|e| format!("password_file {e}"))
        })
    });
    let ebgp = !peer.is_ibgp(config.local_asn);
    let restart_time = config.graceful_restart_time.as_secs();
    let session = SessionConfig {
        local_asn: config.local_asn,
        peer_asn: peer.asn,
        router_id,
        hold_time: u16::try_from(peer.hold_time.as_secs()).unwrap_or(u16::MAX),
        connect_retry: peer.connect_retry,
        connect_retry_max: CONNECT_RETRY_MAX.max(peer.connect_retry),
        passive: peer.passive,
        families: peer.families.clone(),
        graceful_restart: (restart_time > 0).then(|| GracefulRestartConfig {
            restart_time: u16::try_from(restart_time).unwrap_or(4095),
            // Every start of this process is a restart from the router's point of view:
            // the R bit tells it not to wait for our End-of-RIB before sending its own.
            restarting: true,
        }),
        hostname: Some(config.node_name.clone()),
        extended_message: true,
        send_hold_time: None,
    };
    Ok(driver::PeerConfig {
        name: peer.name.clone(),
        remote: SocketAddr::new(peer.address, peer.port),
        local_address: peer.local_address,
        md5_password,
        // eBGP: TTL 1 unless multihop is configured (RFC 4271 does not say; every router
        // defaults so). iBGP: the system default, since iBGP peers are often not adjacent.
        ttl: ebgp.then_some(peer.ebgp_multihop),
        ttl_security: peer.ttl_security,
        next_hop_v4: match peer.next_hop_v4 {
            NextHopChoice::Auto => None,
            NextHopChoice::Address(a) => Some(a),
        },
        next_hop_v6: match peer.next_hop_v6 {
            NextHopChoice::Auto => None,
            NextHopChoice::Address(a) => Some(a),
        },
        session,
    })
}
