//! The client behind the ToR: short HTTP requests to an anycast address, a new TCP
//! connection each, so every request is hashed onto a next hop of its own. Each answer is
//! the name of the node whose responder took it; failures are kept with their time and
//! whether they were a reset (an established connection moved to another node by an
//! ECMP rehash) or anything else (refused, timed out, no route).

use crate::process::{Daemon, must};
use crate::{CONVERGE, wait_until};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One request after another until COUNT are done (0: until the STOP file exists); then
/// the counts and every failure as JSON, to RESULT (or stdout for `-`).
const CLIENT: &str = r#"
import json, os, socket, sys, time
target, port, count, stop, result, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6])
ok, failed, answers, n = 0, [], {}, 0
while (count == 0 and not os.path.exists(stop)) or (count > 0 and n < count):
    n += 1
    started = time.time()
    try:
        s = socket.create_connection((target, port), timeout=5)
        s.settimeout(5)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        name = data.split(b"\r\n\r\n", 1)[1].decode().strip()
        if not name:
            raise RuntimeError("empty answer: %r" % data)
        ok += 1
        answers[name] = answers.get(name, 0) + 1
    except Exception as e:
        failed.append({"at": started, "error": repr(e), "reset": isinstance(e, ConnectionResetError)})
    if pause > 0:
        time.sleep(pause)
out = json.dumps({"ok": ok, "failed": failed, "answers": answers})
if result == "-":
    print(out)
else:
    with open(result + ".tmp", "w") as f:
        f.write(out)
    os.rename(result + ".tmp", result)
"#;

/// A request that did not get an answer.
#[derive(Clone, Debug, Deserialize)]
pub struct Failure {
    /// When it started, in seconds since the epoch.
    pub at: f64,
    /// What Python said.
    pub error: String,
    /// The connection was reset by the peer after it was established.
    pub reset: bool,
}

/// What the client saw.
#[derive(Clone, Debug, Deserialize)]
pub struct Outcome {
    /// Requests answered.
    pub ok: u64,
    /// Requests not answered.
    pub failed: Vec<Failure>,
    /// How many answers each node gave.
    pub answers: BTreeMap<String, u64>,
}

impl Outcome {
    /// One line: `30 requests: node1 x11, node2 x9, node3 x10; 0 failed`.
    pub fn describe(&self) -> String {
        let per_node: Vec<String> = self
            .answers
            .iter()
            .map(|(n, c)| format!("{n} x{c}"))
            .collect();
        format!(
            "{} requests: {}; {} failed",
            self.ok + self.failed.len() as u64,
            per_node.join(", "),
            self.failed.len()
        )
    }
}

fn parse(text: &str) -> Result<Outcome, String> {
    serde_json::from_str(text.trim()).map_err(|e| format!("client output {text:?}: {e}"))
}

/// Sends `count` requests to `target` port `port` from namespace `ns`, one after another.
pub fn requests(ns: &str, target: IpAddr, port: u16, count: usize) -> Outcome {
    let (target, port, count) = (target.to_string(), port.to_string(), count.to_string());
    let out = must(
        "ip",
        &[
            "netns", "exec", ns, "python3", "-c", CLIENT, &target, &port, &count, "-", "-", "0",
        ],
    );
    parse(&out).unwrap_or_else(|e| panic!("{e}"))
}

/// Requests in the background, one after another (20 ms apart), until [`RequestStream::finish`].
pub struct RequestStream {
    process: Daemon,
    stop: PathBuf,
    result: PathBuf,
}

impl RequestStream {
    /// Starts the stream from namespace `ns` to `target` port `port`; its files go in `dir`.
    pub fn start(ns: &str, target: IpAddr, port: u16, dir: &Path) -> RequestStream {
        let script = dir.join("client.py");
        std::fs::write(&script, CLIENT)
            .unwrap_or_else(|e| panic!("lab setup: write {}: {e}", script.display()));
        let stop = dir.join("client.stop");
        let result = dir.join("client.json");
        let process = Daemon::spawn_in(
            ns,
            "client",
            &dir.join("client.log"),
            "python3",
            &[
                &script.display().to_string(),
                &target.to_string(),
                &port.to_string(),
                "0",
                &stop.display().to_string(),
                &result.display().to_string(),
                "0.02",
            ],
        );
        RequestStream {
            process,
            stop,
            result,
        }
    }

    /// Stops the stream; what it saw.
    pub fn finish(mut self) -> Outcome {
        std::fs::write(&self.stop, "").expect("lab: write the client's stop file");
        let outcome = wait_until("the client's result", CONVERGE, || {
            parse(&std::fs::read_to_string(&self.result).map_err(|e| e.to_string())?)
        });
        self.process.kill();
        outcome
    }
}
