//! A lasting connection to one FRR daemon's vty socket, speaking vtysh's own protocol: a
//! command line ended by a NUL, answered by its output and then three NULs and a return
//! code. It costs a fraction of a millisecond per command where running `vtysh` costs
//! tens, which is what lets the bench poll the ToR every few milliseconds.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// A connected vty.
#[derive(Debug)]
pub struct Vty {
    stream: UnixStream,
    buf: Vec<u8>,
}

impl Vty {
    /// Connects to `socket` (e.g. `<vty_socket dir>/bgpd.vty`).
    pub fn connect(socket: &Path) -> Result<Vty, String> {
        let stream =
            UnixStream::connect(socket).map_err(|e| format!("{}: {e}", socket.display()))?;
        // A daemon that stops answering must not hang the caller.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        Ok(Vty {
            stream,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    /// Runs one command and returns its output; a non-zero return code is an error
    /// carrying the output.
    pub fn command(&mut self, line: &str) -> Result<String, String> {
        let mut request = Vec::with_capacity(line.len() + 1);
        request.extend_from_slice(line.as_bytes());
        request.push(0);
        self.stream
            .write_all(&request)
            .map_err(|e| format!("vty write: {e}"))?;
        self.buf.clear();
        let mut chunk = [0u8; 1 << 16];
        loop {
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| format!("vty read: {e}"))?;
            if n == 0 {
                return Err("the daemon closed its vty".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(code) = terminator(&self.buf) {
                let body = &self.buf[..self.buf.len() - 4];
                let text = String::from_utf8_lossy(body).into_owned();
                return if code == 0 {
                    Ok(text)
                } else {
                    Err(format!("`{line}` returned {code}: {text}"))
                };
            }
        }
    }
}

/// The return code when `buf` ends with vtysh's terminator (three NULs and a code byte).
fn terminator(buf: &[u8]) -> Option<u8> {
    match buf {
        [.., 0, 0, 0, code] => Some(*code),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
