//! A passive BGP peer that records every message a router sends it, as received: it
//! accepts one session on port 179, frames the byte stream with the `bgp` crate's header
//! parser, decodes each message with the `bgp` crate to follow the exchange ([`script`]),
//! and keeps the octets of each message for `bgp/tests/data/captured/*.hex`.
//!
//! It runs on the calling thread, in that thread's namespace (see [`crate::netns::enter`]).

pub mod script;

use bgp::wire::{Header, MAX_MESSAGE_LEN, Message, MessageError, SessionContext};
use bytes::BytesMut;
use script::{Identity, Phase, Script};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// How the recorder runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Who it is.
    pub identity: Identity,
    /// The address it listens on (port 179).
    pub listen: Ipv4Addr,
    /// Silence that ends a phase.
    pub quiet: Duration,
    /// Bound on the wait for a connection, and on the whole recording.
    pub timeout: Duration,
}

/// Why a recording failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// No router connected in time.
    #[error("no connection within {0:?}")]
    NoConnection(Duration),
    /// The byte stream cannot be framed (a bad marker or length).
    #[error("cannot frame the router's messages: {0}")]
    Framing(MessageError),
    /// The session ended, or time ran out, before the refresh was answered.
    #[error("stopped in phase {phase:?} (End-of-RIB seen for {end_of_rib})")]
    Stopped {
        /// Where it stood.
        phase: Phase,
        /// The families whose marker had arrived.
        end_of_rib: String,
    },
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> RecordError {
    move |source| RecordError::Io { what, source }
}

/// Every router announced 4-octet AS, and the recorder announces no extended messages.
const CONTEXT: SessionContext = SessionContext {
    four_octet_as: true,
    max_message_len: MAX_MESSAGE_LEN,
    ebgp: true,
};

fn accept(options: &Options) -> Result<TcpStream, RecordError> {
    let listener = TcpListener::bind((options.listen, 179)).map_err(io("bind port 179"))?;
    listener.set_nonblocking(true).map_err(io("listener"))?;
    let start = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                eprintln!("recorder: connection from {peer}");
                stream.set_nonblocking(false).map_err(io("socket"))?;
                stream.set_nodelay(true).map_err(io("socket"))?;
                stream
                    .set_read_timeout(Some(Duration::from_millis(200)))
                    .map_err(io("socket"))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if start.elapsed() > options.timeout {
                    return Err(RecordError::NoConnection(options.timeout));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(io("accept")(e)),
        }
    }
}

/// Removes every whole message from the front of `buf`, as octets.
fn frames(buf: &mut BytesMut) -> Result<Vec<BytesMut>, RecordError> {
    let mut out = Vec::new();
    while let Some(header) =
        Header::parse(buf, CONTEXT.max_message_len).map_err(RecordError::Framing)?
    {
        if buf.len() < header.length {
            break;
        }
        out.push(buf.split_to(header.length));
    }
    Ok(out)
}

/// Accepts one session and records it until the router closes it; `ready` is called
/// once the refresh has been answered (then the router may be shut down). Returns every
/// message received, as octets.
pub fn record(options: &Options, ready: impl FnOnce()) -> Result<Vec<Vec<u8>>, RecordError> {
    let mut stream = accept(options)?;
    let start = Instant::now();
    let mut script = Script::new(options.identity, options.quiet, start);
    let mut ready = Some(ready);
    let (mut buf, mut chunk) = (BytesMut::new(), [0u8; 65536]);
    let mut messages = Vec::new();
    let mut closed = false;
    while !closed && !script.closed() && start.elapsed() < options.timeout {
        match stream.read(&mut chunk) {
            Ok(0) => closed = true,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                script.heard(Instant::now());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => closed = true,
        }
        let mut replies = Vec::new();
        for frame in frames(&mut buf)? {
            match Message::decode(&frame, &CONTEXT) {
                Ok(m) => {
                    eprintln!(
                        "recorder: received {:?}, {} octets",
                        m.message_type(),
                        frame.len()
                    );
                    replies.extend(script.on_message(&m));
                }
                Err(e) => eprintln!("recorder: kept a message that does not decode: {e}"),
            }
            messages.push(frame.to_vec());
        }
        replies.extend(script.on_tick(Instant::now()));
        if !replies.is_empty() && send(&mut stream, &replies).is_err() {
            closed = true;
        }
        if script.phase() == Phase::Ready
            && let Some(ready) = ready.take()
        {
            eprintln!("recorder: refresh answered; ready for shutdown");
            ready();
        }
    }
    if script.phase() == Phase::Ready {
        Ok(messages)
    } else {
        Err(RecordError::Stopped {
            phase: script.phase(),
            end_of_rib: format!("{:?}", script.end_of_rib()),
        })
    }
}

fn send(stream: &mut TcpStream, messages: &[Message]) -> std::io::Result<()> {
    let mut out = BytesMut::new();
    for m in messages {
        m.encode(&CONTEXT, &mut out)
            .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))?;
    }
    stream.write_all(&out)
}

/// Writes `messages` as the capture format: the `header` lines after `# `, then one
/// lowercase hex line per message. Replaces `path` at once.
pub fn write_hex(path: &Path, header: &[String], messages: &[Vec<u8>]) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    for h in header {
        let _ = writeln!(text, "# {h}");
    }
    for m in messages {
        for b in m {
            let _ = write!(text, "{b:02x}");
        }
        text.push('\n');
    }
    let tmp = path.with_extension("hex.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests;
