//! Sockets of RFC 5881 (single hop) and RFC 5883 (multihop).
//!
//! One receiving socket per address family and hop kind, bound to the well-known port,
//! with the received TTL / hop limit delivered as ancillary data; one sending socket per
//! session, bound to a source port in 49152-65535 and sending with TTL 255.

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::{Domain, Protocol, Socket, Type};
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// RFC 5881 section 4: "The destination port MUST have a value of 3784."
pub const SINGLE_HOP_PORT: u16 = 3784;
/// RFC 5883 section 5: multihop control packets go to port 4784.
pub const MULTIHOP_PORT: u16 = 4784;
/// RFC 5881 section 4: "The source port MUST be in the range 49152 through 65535."
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;
/// RFC 5881 section 5: sent with TTL / hop limit 255, and single-hop packets received
/// with anything else are discarded (the GTSM idea of RFC 5082).
pub const TTL: u8 = 255;

/// Whether a session is single-hop (RFC 5881) or multihop (RFC 5883).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hop {
    /// A directly connected peer: port 3784, TTL 255 checked on receipt.
    Single,
    /// A peer some routers away: port 4784, TTL not checked (RFC 5883 section 2 leaves
    /// it to the deployment; the discriminators and addresses select the session).
    Multi,
}

impl Hop {
    /// The destination port.
    pub fn port(self) -> u16 {
        match self {
            Hop::Single => SINGLE_HOP_PORT,
            Hop::Multi => MULTIHOP_PORT,
        }
    }
}

/// A datagram with where it came from and the TTL / hop limit it arrived with.
#[derive(Debug)]
pub struct Datagram {
    /// The UDP payload.
    pub bytes: Vec<u8>,
    /// The sender.
    pub from: SocketAddr,
    /// The received TTL or hop limit, if the kernel reported one.
    pub ttl: Option<u8>,
}

/// Binds the receiving socket for one family and hop kind.
pub fn bind_receiver(ipv6: bool, hop: Hop) -> io::Result<UdpSocket> {
    let addr: SocketAddr = if ipv6 {
        (Ipv6Addr::UNSPECIFIED, hop.port()).into()
    } else {
        (Ipv4Addr::UNSPECIFIED, hop.port()).into()
    };
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if ipv6 {
        socket.set_only_v6(true)?;
        setsockopt(&socket, sockopt::Ipv6RecvHopLimit, &true)?;
    } else {
        setsockopt(&socket, sockopt::Ipv4RecvTtl, &true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Binds a sending socket to `local` (or the wildcard of the peer's family) and the first
/// free source port from a random start in the RFC 5881 range, with TTL 255.
pub fn bind_sender(peer: IpAddr, local: Option<IpAddr>, start: u16) -> io::Result<UdpSocket> {
    let ip = local.unwrap_or(match peer {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    let span = u32::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free source port");
    for i in 0..span {
        let offset = (u32::from(start) + i) % span;
        let port = SOURCE_PORTS.start() + u16::try_from(offset).unwrap_or(0);
        let addr = SocketAddr::new(ip, port);
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if peer.is_ipv6() {
            socket.set_only_v6(true)?;
            socket.set_unicast_hops_v6(u32::from(TTL))?;
        } else {
            socket.set_ttl_v4(u32::from(TTL))?;
        }
        socket.set_nonblocking(true)?;
        match socket.bind(&addr.into()) {
            Ok(()) => return UdpSocket::from_std(socket.into()),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Receives one datagram with its TTL / hop limit.
pub async fn receive(socket: &UdpSocket) -> io::Result<Datagram> {
    socket
        .async_io(Interest::READABLE, || {
            let mut buf = [0u8; 512];
            let mut cmsg = nix::cmsg_space!(libc::c_int);
            let (len, ttl, from) = {
                let mut iov = [IoSliceMut::new(&mut buf)];
                let msg = recvmsg::<SockaddrStorage>(
                    socket.as_raw_fd(),
                    &mut iov,
                    Some(&mut cmsg),
                    MsgFlags::empty(),
                )
                .map_err(io::Error::from)?;
                let mut ttl = None;
                for c in msg.cmsgs().map_err(io::Error::from)? {
                    match c {
                        ControlMessageOwned::Ipv4Ttl(t) => ttl = u8::try_from(t).ok(),
                        ControlMessageOwned::Ipv6HopLimit(t) => ttl = u8::try_from(t).ok(),
                        _ => {}
                    }
                }
                (
                    msg.bytes,
                    ttl,
                    msg.address.as_ref().and_then(to_socket_addr),
                )
            };
            let from = from
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no source address"))?;
            Ok(Datagram {
                bytes: buf.get(..len).unwrap_or(&[]).to_vec(),
                from,
                ttl,
            })
        })
        .await
}

fn to_socket_addr(s: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    s.as_sockaddr_in6().map(|v6| {
        let ip = v6.ip();
        // An IPv4-mapped source never reaches a v6-only socket; map it back anyway.
        let ip = ip.to_ipv4_mapped().map_or(IpAddr::V6(ip), IpAddr::V4);
        SocketAddr::new(ip, v6.port())
    })
}
