//! Socket options of BGP transport connections (Linux).
//!
//! - TCP_NODELAY on every session socket: BGP writes whole messages and a delayed
//!   KEEPALIVE or withdraw only costs convergence time.
//! - TCP-MD5 (RFC 2385) with `TCP_MD5SIG`: a key is bound to one peer address. On a
//!   connecting socket it is set before `connect`, so that the SYN is signed; on the shared
//!   listening socket there is one key per peer address, so every peer with a password adds
//!   its own.
//! - TTL / hop limit of our packets for eBGP multihop, and GTSM (RFC 5082): send with TTL
//!   255 and have the kernel drop packets that arrive with a TTL below 255 - (hops - 1)
//!   (`IP_MINTTL`, `IPV6_MINHOPCOUNT`). The shared listening socket sends its SYN-ACKs
//!   with TTL 255 as soon as one peer uses GTSM ([`ListenerTtl`]).
//!
//! Only Linux is supported: `struct tcp_md5sig`, `IP_MINTTL` and `IPV6_MINHOPCOUNT` are
//! Linux interfaces. On a dual-stack (`AF_INET6`) socket talking to an IPv4 peer, the peer
//! is an IPv4-mapped IPv6 address for TCP-MD5, and the IPv4 (`IPPROTO_IP`) options apply.

use socket2::SockRef;
use std::io;
use std::mem;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::fd::AsFd;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Longest TCP-MD5 key Linux accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MD5_MAX_KEY_LEN: usize = libc::TCP_MD5SIG_MAXKEYLEN;

/// The highest TTL; what GTSM senders use (RFC 5082 section 3).
pub const GTSM_TTL: u8 = 255;

/// Linux `struct tcp_md5sig` (include/uapi/linux/tcp.h); `libc` does not define it.
#[repr(C)]
struct TcpMd5Sig {
    tcpm_addr: libc::sockaddr_storage,
    tcpm_flags: u8,
    tcpm_prefixlen: u8,
    tcpm_keylen: u16,
    tcpm_ifindex: libc::c_int,
    tcpm_key: [u8; MD5_MAX_KEY_LEN],
}

/// TTL settings of one session socket, derived from the peer configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtlPolicy {
    /// TTL / hop limit of outgoing packets; `None` keeps the system default.
    pub send_ttl: Option<u8>,
    /// Lowest TTL / hop limit accepted on incoming packets (GTSM); `None`: any.
    pub min_ttl: Option<u8>,
}

impl TtlPolicy {
    /// The policy for a peer: `ttl` is the TTL to send with, or with GTSM the number of
    /// hops the peer is away (1 when absent: directly connected).
    ///
    /// RFC 5082 section 3: a GTSM speaker sends with TTL 255 and accepts only packets
    /// whose TTL is at least 255 - (hops - 1).
    pub fn new(ttl: Option<u8>, ttl_security: bool) -> TtlPolicy {
        if ttl_security {
            let hops = ttl.unwrap_or(1).max(1);
            TtlPolicy {
                send_ttl: Some(GTSM_TTL),
                min_ttl: Some(GTSM_TTL - (hops - 1)),
            }
        } else {
            TtlPolicy {
                send_ttl: ttl,
                min_ttl: None,
            }
        }
    }
}

/// TTL settings of the shared listening socket, derived from every peer registered on
/// it. The kernel answers a SYN with the listener's TTL, so a GTSM router (RFC 5082, e.g.
/// `ttl-security hops 1`) drops a SYN-ACK that does not leave with 255, and the session
/// of a passive peer never comes up. Accepted connections get their peer's own
/// [`TtlPolicy`] afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerTtl {
    /// TTL / hop limit of the SYN-ACK: 255 when any peer uses GTSM, else the default.
    pub send_ttl: Option<u8>,
    /// Lowest TTL accepted on SYNs: the lowest any registered peer accepts, 0 (any) when
    /// one of them does not use GTSM, since SYNs of all peers reach this one socket.
    pub min_ttl: u8,
}

impl ListenerTtl {
    /// The settings that serve every peer in `peers` at once.
    pub fn for_peers(peers: impl IntoIterator<Item = TtlPolicy>) -> ListenerTtl {
        let mut gtsm = false;
        let mut min_ttl: Option<u8> = None;
        for p in peers {
            gtsm |= p.min_ttl.is_some();
            let accepted = p.min_ttl.unwrap_or(0);
            min_ttl = Some(min_ttl.map_or(accepted, |m| m.min(accepted)));
        }
        ListenerTtl {
            send_ttl: gtsm.then_some(GTSM_TTL),
            min_ttl: min_ttl.unwrap_or(0),
        }
    }
}

/// Applies `ttl` to a listening socket: the IPv4 options always (on a dual-stack socket
/// they cover IPv4-mapped peers), the IPv6 ones on an IPv6 socket.
pub fn apply_listener_ttl(sock: &impl AsFd, ttl: ListenerTtl) -> io::Result<()> {
    let sock = SockRef::from(sock);
    // -1 restores the system default (Linux ip(7), ipv6(7)).
    let send: libc::c_int = ttl.send_ttl.map_or(-1, libc::c_int::from);
    let min = libc::c_int::from(ttl.min_ttl);
    setsockopt_raw(&sock, libc::IPPROTO_IP, libc::IP_TTL, &send)?;
    setsockopt_raw(&sock, libc::IPPROTO_IP, libc::IP_MINTTL, &min)?;
    if socket_is_v6(&sock)? {
        setsockopt_raw(&sock, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &send)?;
        setsockopt_raw(&sock, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT, &min)?;
    }
    Ok(())
}

/// The address as the kernel sees the peer on a socket of this family: IPv4 peers of an
/// `AF_INET6` socket are IPv4-mapped.
fn peer_sockaddr(socket_is_v6: bool, peer: IpAddr) -> socket2::SockAddr {
    let ip = match (socket_is_v6, peer) {
        (true, IpAddr::V4(v4)) => IpAddr::V6(v4.to_ipv6_mapped()),
        _ => peer,
    };
    socket2::SockAddr::from(SocketAddr::new(ip, 0))
}

fn socket_is_v6(sock: &SockRef<'_>) -> io::Result<bool> {
    Ok(sock.domain()? == socket2::Domain::IPV6)
}

/// Sets (or with an empty `key`, removes) the TCP-MD5 key for `peer` on a socket
/// (RFC 2385). On a listening socket this adds one entry per peer address.
pub fn set_md5_key(sock: &impl AsFd, peer: IpAddr, key: &[u8]) -> io::Result<()> {
    if key.len() > MD5_MAX_KEY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "TCP-MD5 key of {} octets exceeds {MD5_MAX_KEY_LEN}",
                key.len()
            ),
        ));
    }
    let sock = SockRef::from(sock);
    let addr = peer_sockaddr(socket_is_v6(&sock)?, peer);
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut sig: TcpMd5Sig = unsafe { mem::zeroed() };
    let addr_len = (addr.len() as usize).min(mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: both regions are valid for `addr_len` bytes (bounded by the size of the
    // destination) and do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            addr.as_ptr().cast::<u8>(),
            (&raw mut sig.tcpm_addr).cast::<u8>(),
            addr_len,
        );
    }
    sig.tcpm_keylen = key.len() as u16;
    sig.tcpm_key[..key.len()].copy_from_slice(key);
    setsockopt_raw(&sock, libc::IPPROTO_TCP, libc::TCP_MD5SIG, &sig)
}

fn setsockopt_raw<T>(
    sock: &SockRef<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `value` points to a live `T` of the size passed; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn getsockopt_int(sock: &SockRef<'_>, level: libc::c_int, name: libc::c_int) -> io::Result<i32> {
    use std::os::fd::AsRawFd;
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are live and describe a buffer of `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&raw mut value).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Applies `policy` to a socket whose peer is `peer`: the IPv4 options for IPv4 peers
/// (also on a dual-stack socket, where Linux applies them to IPv4-mapped traffic), the
/// IPv6 ones for IPv6 peers.
pub fn apply_ttl(sock: &impl AsFd, peer: IpAddr, policy: TtlPolicy) -> io::Result<()> {
    let sock = SockRef::from(sock);
    let v4 = matches!(peer, IpAddr::V4(_));
    if let Some(ttl) = policy.send_ttl {
        if v4 {
            sock.set_ttl_v4(u32::from(ttl))?;
        } else {
            sock.set_unicast_hops_v6(u32::from(ttl))?;
        }
    }
    if let Some(min) = policy.min_ttl {
        let (level, name) = if v4 {
            (libc::IPPROTO_IP, libc::IP_MINTTL)
        } else {
            (libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT)
        };
        setsockopt_raw(&sock, level, name, &libc::c_int::from(min))?;
    }
    Ok(())
}

/// The lowest TTL accepted on a socket for a peer of this family (0: any).
pub fn min_ttl(sock: &impl AsFd, peer: IpAddr) -> io::Result<u8> {
    let sock = SockRef::from(sock);
    let v = match peer {
        IpAddr::V4(_) => getsockopt_int(&sock, libc::IPPROTO_IP, libc::IP_MINTTL)?,
        IpAddr::V6(_) => getsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT)?,
    };
    Ok(u8::try_from(v).unwrap_or(u8::MAX))
}

/// Everything needed to open an outbound session connection.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// The peer.
    pub remote: SocketAddr,
    /// Source address to bind.
    pub local_address: Option<IpAddr>,
    /// TCP-MD5 key.
    pub md5_key: Option<Vec<u8>>,
    /// TTL settings.
    pub ttl: TtlPolicy,
    /// Give up after this long.
    pub timeout: Duration,
}

/// Opens a session connection: options first (the SYN must already be signed and carry
/// the right TTL), then `connect` with a timeout.
pub async fn connect(opts: &ConnectOptions) -> io::Result<TcpStream> {
    let remote = normalize_addr(opts.remote);
    let socket = match remote {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_nodelay(true)?;
    if let Some(local) = opts.local_address {
        socket.bind(SocketAddr::new(local, 0))?;
    }
    if let Some(key) = &opts.md5_key {
        set_md5_key(&socket, remote.ip(), key)?;
    }
    apply_ttl(&socket, remote.ip(), opts.ttl)?;
    match tokio::time::timeout(opts.timeout, socket.connect(remote)).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("connect to {remote} timed out"),
        )),
    }
}

/// Prepares an accepted connection: TCP_NODELAY and the peer's TTL settings.
pub fn prepare_accepted(stream: &TcpStream, ttl: TtlPolicy) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let peer = normalize_ip(stream.peer_addr()?.ip());
    apply_ttl(stream, peer, ttl)
}

/// Opens the listening socket. An unspecified IPv6 address (`[::]`) listens dual-stack,
/// so IPv4 peers arrive as IPv4-mapped addresses.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    if let SocketAddr::V6(v6) = addr {
        socket.set_only_v6(!v6.ip().is_unspecified())?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    TcpListener::from_std(socket.into())
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it stands for.
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// [`normalize_ip`] for a socket address.
pub fn normalize_addr(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(normalize_ip(addr.ip()), addr.port())
}

/// True for `fe80::/10`.
pub fn is_link_local_v6(ip: &Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests;
