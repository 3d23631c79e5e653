//! The three faults a node suffers, and their healing: its link cut, every packet lost
//! (an nftables table dropping all it receives and sends), and the node frozen (SIGSTOP
//! to every process the lab started on it). None of them is visible to the ToR except
//! through the missing packets: the node links of the failover rack end on a switch.

use crate::process::run;
use std::net::Ipv4Addr;

/// The nftables table of the packet-loss fault.
const DROP_TABLE: &str = "kube_anycast_lab_drop";

/// A fault of one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// `ip link set <node's end of its link> down` in the node's namespace.
    LinkCut,
    /// An nftables table with input and output hooks, policy drop.
    PacketLoss,
    /// SIGSTOP to the speaker and the responder of the node.
    Freeze,
}

/// What a fault touches on one node.
#[derive(Clone, Debug)]
pub struct Target {
    /// The node's namespace.
    pub ns: String,
    /// The node's end of its link.
    pub link: String,
    /// Its gateway, whose default route a link cut removes.
    pub gateway: Ipv4Addr,
    /// The processes the lab started on it (speaker, responder).
    pub pids: Vec<u32>,
}

impl Fault {
    /// Every fault, in the order of the table.
    pub const ALL: [Fault; 3] = [Fault::LinkCut, Fault::PacketLoss, Fault::Freeze];

    /// What the table calls it.
    pub fn title(self) -> &'static str {
        match self {
            Fault::LinkCut => "link cut",
            Fault::PacketLoss => "all packets lost",
            Fault::Freeze => "node frozen",
        }
    }

    /// The fault a command line names: `link`, `drop` or `freeze`.
    pub fn parse(name: &str) -> Option<Fault> {
        match name {
            "link" => Some(Fault::LinkCut),
            "drop" => Some(Fault::PacketLoss),
            "freeze" => Some(Fault::Freeze),
            _ => None,
        }
    }

    /// Puts the fault in place; it is in place when this returns.
    pub fn inject(self, t: &Target) -> Result<(), String> {
        match self {
            Fault::LinkCut => run("ip", &["-n", &t.ns, "link", "set", &t.link, "down"]).map(drop),
            Fault::PacketLoss => {
                run("ip", &["netns", "exec", &t.ns, "nft", &drop_all_ruleset()]).map(drop)
            }
            Fault::Freeze => signal_all(&t.pids, libc::SIGSTOP),
        }
    }

    /// Undoes the fault.
    pub fn heal(self, t: &Target) -> Result<(), String> {
        match self {
            Fault::LinkCut => {
                run("ip", &["-n", &t.ns, "link", "set", &t.link, "up"])?;
                // The link going down took the default route with it.
                let gateway = t.gateway.to_string();
                run(
                    "ip",
                    &["-n", &t.ns, "route", "replace", "default", "via", &gateway],
                )
                .map(drop)
            }
            Fault::PacketLoss => run(
                "ip",
                &[
                    "netns", "exec", &t.ns, "nft", "delete", "table", "inet", DROP_TABLE,
                ],
            )
            .map(drop),
            Fault::Freeze => signal_all(&t.pids, libc::SIGCONT),
        }
    }
}

/// One nft command line that adds the drop-all table in a single transaction: both
/// hooks at once, before anything else of the namespace sees a packet.
pub fn drop_all_ruleset() -> String {
    let chain = |name: &str| {
        format!(
            "add chain inet {DROP_TABLE} {name} {{ type filter hook {name} priority -400; policy drop; }}"
        )
    };
    format!(
        "add table inet {DROP_TABLE}; {}; {}",
        chain("input"),
        chain("output")
    )
}

/// Sends `signal` to each recorded pid.
fn signal_all(pids: &[u32], signal: libc::c_int) -> Result<(), String> {
    for &pid in pids {
        let pid = libc::pid_t::try_from(pid).map_err(|_| format!("pid {pid} out of range"))?;
        // SAFETY: kill(2) with a pid the lab recorded when it spawned the process (still
        // its child, so the pid cannot have been reused) and a valid signal number.
        if unsafe { libc::kill(pid, signal) } != 0 {
            return Err(format!(
                "kill({pid}, {signal}): {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
