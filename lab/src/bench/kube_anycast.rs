//! kube-anycast as a bench originator: the real binary in the originator namespace, with
//! the cluster either in a manifests file or in the fake API server. The API server runs
//! on a thread that entered the same namespace, so the daemon reaches it on loopback.

use super::tor::{ORIGINATOR_ASN, TOR_ASN, Tor};
use crate::fake_apiserver::{FakeApiServer, Verb};
use crate::process::Daemon;
use crate::speaker::NsRuntime;
use crate::workload::{self, EXTERNAL_POOL, Format, Spec};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The node the daemon runs as.
pub const NODE: &str = "node-a";

/// Where the cluster comes from.
pub enum Source {
    /// A `kind: List` JSON file the daemon reads.
    Manifests(PathBuf),
    /// The fake API server in the originator namespace, and the runtime thread it was
    /// started from (declared after it, so the server stops first).
    Kubernetes(Box<FakeApiServer>, NsRuntime),
}

/// A running kube-anycast and its cluster.
pub struct KubeAnycast {
    daemon: Daemon,
    dir: PathBuf,
    source: Source,
    spec: Spec,
    /// The manifests file a withdraw replaced, held open until the run ends (see
    /// [`KubeAnycast::withdraw_all`]).
    replaced: Option<std::fs::File>,
}

/// Writes the cluster where the daemon will read it (a file, or the fake API server
/// started in the originator namespace). Done before the clock starts: a cluster exists
/// before the daemon does.
pub fn prepare(tor: &Tor, spec: &Spec, kubernetes: bool, dir: &Path) -> Result<Source, String> {
    if kubernetes {
        let runtime = NsRuntime::new(&tor.pair.b.ns);
        let api = runtime.run(async { FakeApiServer::start().await });
        for object in spec.objects() {
            api.apply(object);
        }
        Ok(Source::Kubernetes(Box::new(api), runtime))
    } else {
        let path = dir.join("cluster.json");
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        workload::write(spec, Format::Json, file)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Source::Manifests(path))
    }
}

/// The daemon's config for the bench: eBGP to the ToR, hold 9 s, no graceful restart,
/// the HTTP listener on loopback inside the originator namespace.
pub fn config(tor: &Tor, source: &Source) -> String {
    let source = match source {
        Source::Manifests(path) => format!("{{manifests: [\"{}\"]}}", path.display()),
        Source::Kubernetes(..) => "{kubernetes: {}}".to_string(),
    };
    format!(
        "node_name: {NODE}\n\
         local_asn: {ORIGINATOR_ASN}\n\
         router_id: {me}\n\
         source: {source}\n\
         announce:\n  allowed_cidrs: [{EXTERNAL_POOL}]\n\
         peers:\n  - {{name: tor, address: {tor}, asn: {TOR_ASN}, hold_time: 9s, connect_retry: 1s, families: [ipv4]}}\n\
         graceful_restart:\n  restart_time: 0s\n\
         http:\n  listen: 127.0.0.1:9179\n",
        me = tor.pair.b.v4,
        tor = tor.pair.a.v4,
    )
}

impl KubeAnycast {
    /// Starts `binary run` in the originator namespace.
    pub fn start(
        binary: &Path,
        tor: &Tor,
        source: Source,
        spec: Spec,
        dir: PathBuf,
    ) -> Result<KubeAnycast, String> {
        let conf = dir.join("config.yaml");
        std::fs::write(&conf, config(tor, &source))
            .map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
        let conf = conf.display().to_string();
        let bin = binary.display().to_string();
        let mut args = vec!["RUST_LOG=info,kube=warn".to_string(), "NO_COLOR=1".into()];
        if let Source::Kubernetes(api, _) = &source {
            args.push(format!("KUBECONFIG={}", api.kubeconfig_path().display()));
        }
        args.extend([bin, "run".into(), "--config".into(), conf]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // `env` execs the daemon in place: the recorded pid is the daemon's.
        let daemon = Daemon::spawn_in(
            &tor.pair.b.ns,
            "kube-anycast",
            &dir.join("kube-anycast.log"),
            "env",
            &args,
        );
        Ok(KubeAnycast {
            daemon,
            dir,
            source,
            spec,
            replaced: None,
        })
    }

    /// The daemon's pid.
    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }

    /// True while the daemon runs.
    pub fn is_running(&mut self) -> bool {
        self.daemon.is_running()
    }

    /// Empties the cluster of Services: the manifests file is replaced (by rename, as a
    /// ConfigMap update does) with a List holding only the Node; in the API server every
    /// Service is deleted.
    ///
    /// The replaced file stays open until the run ends. Its last link goes with the
    /// rename, and the kernel would otherwise free its page cache right there, in the
    /// bench's own process: for workload A at 100,000 that is 87 MB, a core for about
    /// 25 ms, on the two cores the originator and the ToR share while the withdraw is
    /// measured. Freeing the bench's file is no part of the originator's withdraw.
    pub fn withdraw_all(&mut self) -> Result<(), String> {
        match &self.source {
            Source::Manifests(path) => {
                self.replaced = std::fs::File::open(path).ok();
                let tmp = path.with_extension("json.tmp");
                let node_only = Spec {
                    services: 0,
                    ..self.spec.clone()
                };
                let file = std::fs::File::create(&tmp)
                    .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
                workload::write(&node_only, Format::Json, file)
                    .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
                std::fs::rename(&tmp, path)
                    .map_err(|e| format!("cannot replace {}: {e}", path.display()))
            }
            Source::Kubernetes(api, _) => {
                for i in 0..self.spec.services {
                    api.delete("Service", workload::NAMESPACE, &self.spec.service_name(i));
                }
                Ok(())
            }
        }
    }

    /// With the Kubernetes source, makes every watch of the daemon end with 410 Gone (the
    /// API server forgets its history, as after an etcd compaction) so that it lists
    /// everything again, and returns once it watches every kind again. `None` with the
    /// manifests source.
    pub fn relist(&self, deadline: Instant) -> Option<Result<(), String>> {
        const KINDS: [&str; 4] = ["Service", "EndpointSlice", "Node", "Namespace"];
        let Source::Kubernetes(api, _) = &self.source else {
            return None;
        };
        let lists: Vec<usize> = KINDS.iter().map(|k| api.count(Verb::List, k)).collect();
        api.force_gone();
        loop {
            let relisted = KINDS
                .iter()
                .zip(&lists)
                .all(|(kind, before)| api.count(Verb::List, kind) > *before);
            if relisted && api.open_watches() >= KINDS.len() {
                return Some(Ok(()));
            }
            if Instant::now() > deadline {
                return Some(Err(format!(
                    "no relist of every kind before the deadline ({} watches open)",
                    api.open_watches()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The end of the daemon's log.
    pub fn log_tail(&self) -> String {
        crate::tail(&self.dir.join("kube-anycast.log"), 8)
    }
}
