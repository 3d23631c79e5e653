//! Our speaker inside a namespace: a dedicated OS thread enters the namespace with
//! `setns(2)` and runs a current-thread tokio runtime, so every socket the speaker opens
//! (listening, connecting, accepted) belongs to that namespace. The test thread stays in
//! the root namespace and hands futures over to run there.

use bgp::driver::{PeerConfig, PeerHandle, RouteChange, ShutdownMode, Speaker};
use bgp::session::State;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// A current-thread tokio runtime on a thread inside a network namespace.
#[derive(Debug)]
pub struct NsRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NsRuntime {
    /// Starts the thread, enters namespace `ns` (`/run/netns/<ns>`) and builds the runtime.
    pub fn new(ns: &str) -> NsRuntime {
        let path = format!("/run/netns/{ns}");
        let ns_name = ns.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("netns-{ns}"))
            .spawn(move || {
                let entered = crate::netns::enter(&ns_name);
                let rt = entered.and_then(|()| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                });
                match rt {
                    Ok(rt) => {
                        let _ = ready_tx.send(Ok(rt.handle().clone()));
                        rt.block_on(async {
                            let _ = stop_rx.await;
                        });
                        // Dropping the runtime here drops every task, and so every socket,
                        // on this thread.
                        drop(rt);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("{path}: {e}")));
                    }
                }
            })
            .expect("lab setup: spawn the namespace thread");
        let handle = match ready_rx.recv() {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => panic!("lab setup: cannot run in namespace: {e}"),
            Err(_) => panic!("lab setup: the namespace thread died"),
        };
        NsRuntime {
            handle,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Runs `fut` on the namespace thread and blocks the caller until it completes.
    pub fn run<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        self.try_run(fut)
            .expect("a future run in the namespace panicked or its runtime stopped")
    }

    /// Like [`NsRuntime::run`], but `None` instead of a panic if the future panicked.
    pub fn try_run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().ok()
    }
}

impl Drop for NsRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Our [`Speaker`] running in a namespace.
#[derive(Debug)]
pub struct OurSpeaker {
    speaker: Option<Arc<Speaker>>,
    rt: NsRuntime,
}

impl OurSpeaker {
    /// Starts a speaker in `ns` listening on `listen` (e.g. `[::]:179`), or only
    /// connecting out with `None`.
    pub fn start(ns: &str, listen: Option<SocketAddr>) -> OurSpeaker {
        let rt = NsRuntime::new(ns);
        let speaker = Self::bind(&rt, listen);
        OurSpeaker {
            speaker: Some(speaker),
            rt,
        }
    }

    fn bind(rt: &NsRuntime, listen: Option<SocketAddr>) -> Arc<Speaker> {
        // After a restart the old listener is closed by its accept task, which the runtime
        // drops only at its next turn: retry briefly instead of racing it.
        let speaker = rt
            .run(async move {
                let mut tries = 0;
                loop {
                    match Speaker::bind(listen).await {
                        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 50 => {
                            tries += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        other => break other,
                    }
                }
            })
            .unwrap_or_else(|e| panic!("our speaker cannot bind {listen:?}: {e}"));
        Arc::new(speaker)
    }

    /// Replaces the speaker with a new one, as a restarted process would: the old one
    /// (its listener and any peer task still running) is dropped first.
    pub fn restart(&mut self, listen: Option<SocketAddr>) {
        if let Some(sp) = self.speaker.take() {
            self.rt.run(async move { drop(sp) });
        }
        self.speaker = Some(Self::bind(&self.rt, listen));
    }

    fn speaker(&self) -> Arc<Speaker> {
        Arc::clone(self.speaker.as_ref().expect("speaker present until drop"))
    }

    /// Adds a peer (its task starts at once, on the namespace thread).
    pub fn add_peer(&self, config: PeerConfig) -> PeerHandle {
        let sp = self.speaker();
        self.rt
            .run(async move { sp.add_peer(config) })
            .unwrap_or_else(|e| panic!("add_peer failed: {e}"))
    }

    /// Applies route changes to a peer.
    pub fn update(&self, peer: &PeerHandle, changes: Vec<RouteChange>) {
        let p = peer.clone();
        self.rt.run(async move { p.update(changes).await });
    }

    /// Says the routes handed to a peer so far are its whole initial set (End-of-RIB
    /// may follow them).
    pub fn initial_set_complete(&self, peer: &PeerHandle) {
        let p = peer.clone();
        self.rt.run(async move { p.initial_set_complete().await });
    }

    /// Ends a peer's session and waits for its task to finish.
    pub fn shutdown(&self, peer: &PeerHandle, mode: ShutdownMode, reason: &str) {
        let p = peer.clone();
        let reason = reason.to_string();
        self.rt.run(async move { p.shutdown(mode, &reason).await });
    }

    /// Waits until our side of `peer` is Established.
    pub fn wait_established(&self, peer: &PeerHandle) {
        crate::wait_until("our speaker to reach Established", crate::CONVERGE, || {
            let s = peer.status();
            if s.state == State::Established {
                Ok(())
            } else {
                Err(format!(
                    "state {:?}, last error {:?}",
                    s.state, s.last_error
                ))
            }
        });
    }

    /// The runtime, to run other futures in the namespace.
    pub fn runtime(&self) -> &NsRuntime {
        &self.rt
    }
}

impl Drop for OurSpeaker {
    fn drop(&mut self) {
        // The speaker may own tasks and sockets: drop it on its own thread.
        if let Some(sp) = self.speaker.take() {
            let _ = self.rt.try_run(async move { drop(sp) });
        }
    }
}
