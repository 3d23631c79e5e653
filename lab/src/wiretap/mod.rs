//! What went over the wire, as BGP messages: a packet capture (`tcpdump -w`) on one
//! interface of a namespace, decoded into each direction's messages with the `bgp`
//! crate's codec ([`stream`]), and the checks the end-to-end tests make on their order.

pub mod stream;
#[cfg(test)]
mod tests;

use crate::process::{Daemon, run};
use crate::{CONVERGE, wait_until};
use bgp::wire::{ErrorCode, Message};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
pub use stream::{Direction, WireEvent, decode_pcap};

/// Why a capture could not be read back as BGP messages.
#[derive(Debug, thiserror::Error)]
pub enum WiretapError {
    /// The capture file is unreadable.
    #[error("pcap: {0}")]
    Pcap(String),
    /// The capture missed a segment: the stream has a hole.
    #[error("{direction}: the capture misses octets {at}..{next} of the stream")]
    Gap {
        /// Which direction.
        direction: Direction,
        /// Where the data seen so far ends.
        at: u64,
        /// Where the next captured segment starts.
        next: u64,
    },
    /// The stream holds something that is not a valid BGP message.
    #[error("{direction}: octet {offset}: {reason}")]
    Decode {
        /// Which direction.
        direction: Direction,
        /// Where the message starts in the reassembled stream.
        offset: usize,
        /// What the codec said.
        reason: String,
    },
    /// The capture file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Each direction's events, as decoded from a capture.
pub type Streams = BTreeMap<Direction, Vec<WireEvent>>;

/// A running `tcpdump` writing every BGP packet of one interface to a pcap file. Stopped
/// by pid on drop.
pub struct Capture {
    process: Daemon,
    file: PathBuf,
}

impl Capture {
    /// Starts capturing TCP port 179 on `interface` inside `ns` into `dir/<name>.pcap`;
    /// returns once tcpdump says it listens, so nothing sent afterwards is missed.
    pub fn start(ns: &str, interface: &str, dir: &Path, name: &str) -> Capture {
        let file = dir.join(format!("{name}.pcap"));
        let log = dir.join(format!("{name}.tcpdump.log"));
        let file_arg = file.display().to_string();
        // -U: each packet is written as it arrives, so the file is complete as soon as
        // tcpdump is stopped; -Z root: the file stays writable in a root-only directory.
        let process = Daemon::spawn_in(
            ns,
            "tcpdump",
            &log,
            "tcpdump",
            &[
                "-i", interface, "-U", "-s", "0", "-Z", "root", "-w", &file_arg, "tcp", "port",
                "179",
            ],
        );
        wait_until("tcpdump to listen", CONVERGE, || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("listening on") {
                Ok(())
            } else {
                Err(format!("tcpdump says: {text}"))
            }
        });
        Capture { process, file }
    }

    /// What the capture file holds so far, decoded. tcpdump writes whole packets (`-U`),
    /// but one may be half written at the moment of reading: then this is an error, and
    /// the next read will do.
    pub fn decode(&self) -> Result<Streams, WiretapError> {
        let bytes = std::fs::read(&self.file).map_err(|source| WiretapError::Io {
            path: self.file.clone(),
            source,
        })?;
        decode_pcap(&bytes)
    }

    /// Waits until the packets written so far satisfy `done`, then stops the capture and
    /// returns them. tcpdump stopped at once would drop the packets the kernel handed it
    /// but it has not written yet (its "received by filter" count above "captured"), so
    /// the awaited last packet must be in the file first.
    pub fn finish_when(
        mut self,
        what: &str,
        done: impl Fn(&Streams) -> bool,
    ) -> Result<Streams, WiretapError> {
        let start = Instant::now();
        let streams = loop {
            match self.decode() {
                Ok(streams) if done(&streams) => break streams,
                Ok(streams) if start.elapsed() > CONVERGE => {
                    break streams;
                }
                Err(e) if start.elapsed() > CONVERGE => return Err(e),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        if !done(&streams) {
            eprintln!("the capture never showed {what}");
        }
        self.process.terminate(Duration::from_secs(5));
        Ok(streams)
    }
}

/// True when `tcpdump` can be found, for tests to say what is missing.
pub fn tcpdump_available() -> bool {
    run("tcpdump", &["--version"]).is_ok()
}

/// The events one address sent, over every connection it had in the capture, each
/// connection's in order (connections in address and port order).
pub fn sent_by(streams: &Streams, address: std::net::IpAddr) -> Vec<WireEvent> {
    streams
        .iter()
        .filter(|(d, _)| d.from.ip() == address)
        .flat_map(|(_, events)| events.iter().cloned())
        .collect()
}

/// The rule of a shutdown that withdraws first (SPEC: `shutdown.mode: withdraw`): every
/// one of `prefixes` is withdrawn by an UPDATE before the NOTIFICATION Cease, and the
/// connection is closed (FIN) only after that NOTIFICATION. Returns what was seen, as a
/// line for the test's output; otherwise what is wrong.
pub fn withdrawn_before_cease(
    events: &[WireEvent],
    prefixes: &BTreeSet<IpNet>,
) -> Result<String, String> {
    let summary = || describe(events);
    let cease = events
        .iter()
        .position(|e| {
            matches!(e, WireEvent::Message(Message::Notification(n)) if n.code == ErrorCode::Cease)
        })
        .ok_or_else(|| format!("no NOTIFICATION Cease: {}", summary()))?;
    let mut last_withdraw = 0;
    for prefix in prefixes {
        let at = events[..cease]
            .iter()
            .position(|e| match e {
                WireEvent::Message(Message::Update(u)) => {
                    u.withdrawn_prefixes().any(|p| p == *prefix)
                }
                _ => false,
            })
            .ok_or_else(|| {
                format!(
                    "{prefix} is not withdrawn before the NOTIFICATION Cease: {}",
                    summary()
                )
            })?;
        last_withdraw = last_withdraw.max(at);
    }
    let fin = events
        .iter()
        .position(|e| *e == WireEvent::Fin)
        .ok_or_else(|| format!("no FIN: {}", summary()))?;
    if fin < cease {
        return Err(format!("FIN before the NOTIFICATION: {}", summary()));
    }
    Ok(format!(
        "on the wire: withdrawals by message {}, NOTIFICATION Cease {cease}, FIN {fin} ({})",
        last_withdraw,
        summary()
    ))
}

/// A short line naming each event: `KEEPALIVE, UPDATE(-2), NOTIFICATION(6/2), FIN`.
pub fn describe(events: &[WireEvent]) -> String {
    let names: Vec<String> = events
        .iter()
        .map(|e| match e {
            WireEvent::Message(Message::Update(u)) => format!(
                "UPDATE(+{} -{})",
                u.announced().count(),
                u.withdrawn_prefixes().count()
            ),
            WireEvent::Message(Message::Notification(n)) => {
                format!("NOTIFICATION({}/{})", u8::from(n.code), n.subcode)
            }
            WireEvent::Message(m) => format!("{:?}", m.message_type()).to_uppercase(),
            WireEvent::Fin => "FIN".to_string(),
            WireEvent::Reset => "RST".to_string(),
        })
        .collect();
    names.join(", ")
}
