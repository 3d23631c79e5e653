//! Two network namespaces joined by a veth pair, dual-stack, with nothing attached to the
//! root namespace so lab traffic cannot leave the machine.

use crate::process::{must, run};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Side A's IPv4 address (the router's side by convention).
pub const A_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// Side B's IPv4 address (our speaker's side by convention).
pub const B_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
/// Side A's IPv6 address (ULA).
pub const A_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x77, 0, 0, 0, 0, 0, 1);
/// Side B's IPv6 address (ULA).
pub const B_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x77, 0, 0, 0, 0, 0, 2);

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// Moves the calling thread into namespace `ns` (`/run/netns/<ns>`): every socket it
/// opens afterwards belongs there. Only this thread moves, so call it on a thread made
/// for the purpose.
pub fn enter(ns: &str) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(format!("/run/netns/{ns}"))?;
    // SAFETY: the descriptor is open for the duration of the call; setns(CLONE_NEWNET)
    // changes the network namespace of the calling thread only.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// One end of the link.
#[derive(Clone, Debug)]
pub struct End {
    /// Namespace name (as in `ip netns list`).
    pub ns: String,
    /// The veth interface inside it.
    pub ifname: String,
    /// Its IPv4 address (/24).
    pub v4: Ipv4Addr,
    /// Its IPv6 address (/64).
    pub v6: Ipv6Addr,
}

impl End {
    /// The address of the given family.
    pub fn addr(&self, ipv6: bool) -> IpAddr {
        if ipv6 {
            IpAddr::V6(self.v6)
        } else {
            IpAddr::V4(self.v4)
        }
    }

    /// The IPv6 link-local address of the veth, once assigned.
    pub fn link_local(&self) -> Result<Ipv6Addr, String> {
        let out = run(
            "ip",
            &[
                "-n",
                &self.ns,
                "-6",
                "-o",
                "addr",
                "show",
                "dev",
                &self.ifname,
                "scope",
                "link",
            ],
        )?;
        out.split_whitespace()
            .skip_while(|w| *w != "inet6")
            .nth(1)
            .and_then(|a| a.split('/').next())
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("no link-local address on {} in {}", self.ifname, self.ns))
    }
}

/// Two namespaces `a` and `b` linked by a veth. Deletes the namespaces it created on drop
/// (processes it started there must have been stopped first; their guards are declared
/// after this one so they drop before it).
#[derive(Debug)]
pub struct NetnsPair {
    /// Side A (the router by convention).
    pub a: End,
    /// Side B (our speaker by convention).
    pub b: End,
    created: Vec<String>,
}

impl NetnsPair {
    /// Creates the namespaces, the veth and the addresses, and waits until no address is
    /// tentative (IPv6 DAD) so every address can be bound at once.
    pub fn new() -> NetnsPair {
        NetnsPair::with_addresses(A_V4, B_V4, A_V6, B_V6)
    }

    /// Like [`NetnsPair::new`], with other addresses (/24 and /64) on the two ends.
    pub fn with_addresses(
        a_v4: Ipv4Addr,
        b_v4: Ipv4Addr,
        a_v6: Ipv6Addr,
        b_v6: Ipv6Addr,
    ) -> NetnsPair {
        // Unique per process and per call: tests run in parallel, and several test
        // binaries may run at once. Names stay within IFNAMSIZ (15) as they double as
        // interface names.
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let base = format!("ka{}x{id}", std::process::id());
        let a = End {
            ns: format!("{base}a"),
            ifname: format!("{base}a"),
            v4: a_v4,
            v6: a_v6,
        };
        let b = End {
            ns: format!("{base}b"),
            ifname: format!("{base}b"),
            v4: b_v4,
            v6: b_v6,
        };
        let mut pair = NetnsPair {
            a,
            b,
            created: Vec::new(),
        };
        for ns in [pair.a.ns.clone(), pair.b.ns.clone()] {
            must("ip", &["netns", "add", &ns]);
            pair.created.push(ns.clone());
            // Link-local addresses must not sit in DAD either; nothing else is on the link.
            must(
                "ip",
                &[
                    "netns",
                    "exec",
                    &ns,
                    "sysctl",
                    "-qw",
                    "net.ipv6.conf.default.accept_dad=0",
                ],
            );
            must("ip", &["-n", &ns, "link", "set", "lo", "up"]);
        }
        must(
            "ip",
            &[
                "link",
                "add",
                &pair.a.ifname,
                "netns",
                &pair.a.ns,
                "type",
                "veth",
                "peer",
                "name",
                &pair.b.ifname,
                "netns",
                &pair.b.ns,
            ],
        );
        for end in [&pair.a, &pair.b] {
            let v4 = format!("{}/24", end.v4);
            let v6 = format!("{}/64", end.v6);
            must(
                "ip",
                &["-n", &end.ns, "addr", "add", &v4, "dev", &end.ifname],
            );
            must(
                "ip",
                &[
                    "-n",
                    &end.ns,
                    "-6",
                    "addr",
                    "add",
                    &v6,
                    "dev",
                    &end.ifname,
                    "nodad",
                ],
            );
            must("ip", &["-n", &end.ns, "link", "set", &end.ifname, "up"]);
        }
        pair.wait_ready();
        pair
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        for end in [&self.a, &self.b] {
            loop {
                let tentative = must("ip", &["-n", &end.ns, "-6", "addr", "show", "tentative"]);
                let link_local = end.link_local();
                let up = must("ip", &["-n", &end.ns, "link", "show", &end.ifname]);
                if tentative.trim().is_empty() && link_local.is_ok() && up.contains("LOWER_UP") {
                    break;
                }
                if start.elapsed() > Duration::from_secs(10) {
                    panic!(
                        "lab setup: {} not ready after 10 s (tentative: {tentative:?}, \
                         link-local: {link_local:?})",
                        end.ifname
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl NetnsPair {
    /// Drops every packet between the two ends, in both directions, without any link
    /// event: each side gets a blackhole route to the other's addresses, so sessions
    /// only learn of it from their hold timers.
    pub fn partition(&self) {
        self.blackholes("add");
    }

    /// Undoes [`NetnsPair::partition`].
    pub fn heal(&self) {
        self.blackholes("del");
    }

    fn blackholes(&self, op: &str) {
        for (here, there) in [(&self.a, &self.b), (&self.b, &self.a)] {
            for (family, dst) in [
                ("-4", format!("{}/32", there.v4)),
                ("-6", format!("{}/128", there.v6)),
            ] {
                must(
                    "ip",
                    &["-n", &here.ns, family, "route", op, "blackhole", &dst],
                );
            }
        }
    }
}

impl Default for NetnsPair {
    fn default() -> Self {
        NetnsPair::new()
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        for ns in self.created.drain(..).rev() {
            // Deleting a namespace removes its veth end, which removes the peer end too.
            if let Err(e) = run("ip", &["netns", "del", &ns]) {
                eprintln!("lab cleanup: {e}");
            }
        }
    }
}
