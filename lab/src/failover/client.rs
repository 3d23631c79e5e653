//! The client behind the ToR: one HTTP request after another to the externalIP, each on a
//! new TCP connection (so each is hashed to a node afresh), started at a fixed pace
//! whether or not the previous one has finished, each given a short deadline. Every
//! request is recorded with its start time and outcome, so failures can be counted over
//! any window afterwards.

use crate::speaker::NsRuntime;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request.
#[derive(Clone, Debug)]
pub struct Request {
    /// When it was started.
    pub started: Instant,
    /// The name of the node that answered, or why there was no answer.
    pub outcome: Result<String, String>,
}

/// Requests started in a window, and how many failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests started in the window.
    pub sent: usize,
    /// Of those, the ones without an answer.
    pub failed: usize,
}

/// Counts the requests started in `from..to`.
pub fn tally(requests: &[Request], from: Instant, to: Instant) -> Tally {
    let window = requests
        .iter()
        .filter(|r| r.started >= from && r.started < to);
    let (sent, failed) = window.fold((0, 0), |(sent, failed), r| {
        (sent + 1, failed + usize::from(r.outcome.is_err()))
    });
    Tally { sent, failed }
}

/// The request stream, running on a thread inside the client's namespace until dropped.
pub struct Client {
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    // Last: dropping the runtime drops the requests in flight.
    _runtime: NsRuntime,
}

impl Client {
    /// Starts one request to `target` every `every`, each failing after `timeout`.
    pub fn start(ns: &str, target: SocketAddr, every: Duration, timeout: Duration) -> Client {
        let runtime = NsRuntime::new(ns);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (requests.clone(), stop.clone());
        runtime.run(async move {
            tokio::spawn(async move {
                let mut pace = tokio::time::interval(every);
                pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                while !stopped.load(Ordering::Relaxed) {
                    pace.tick().await;
                    let log = log.clone();
                    tokio::spawn(async move {
                        let started = Instant::now();
                        let outcome = match tokio::time::timeout(timeout, request(target)).await {
                            Ok(outcome) => outcome,
                            Err(_) => Err(format!("no answer within {timeout:?}")),
                        };
                        if let Ok(mut log) = log.lock() {
                            log.push(Request { started, outcome });
                        }
                    });
                }
            });
        });
        Client {
            requests,
            stop,
            _runtime: runtime,
        }
    }

    /// Every finished request so far (one still in flight is not in it yet: wait for the
    /// timeout past a window before counting it).
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Counts the finished requests started in `from..to`.
    pub fn tally(&self, from: Instant, to: Instant) -> Tally {
        let requests = self.requests.lock();
        requests.map(|r| tally(&r, from, to)).unwrap_or_default()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One HTTP/1.0 GET on a new connection: the body (the responder's node name) trimmed.
async fn request(target: SocketAddr) -> Result<String, String> {
    let mut stream = tokio::net::TcpStream::connect(target)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .map_err(|e| format!("receive: {e}"))?;
    answered_by(&response)
}

/// The node name in a responder's answer.
fn answered_by(response: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(response);
    match text.split_once("\r\n\r\n") {
        Some((_, body)) if !body.trim().is_empty() => Ok(body.trim().to_string()),
        _ => Err(format!("no answer in {text:?}")),
    }
}

#[cfg(test)]
mod tests;
