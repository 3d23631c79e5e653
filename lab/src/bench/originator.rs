//! The originators the bench compares: kube-anycast with either source, and the anchors
//! BIRD 2, GoBGP and ExaBGP, each preloaded with the same host routes its fastest way.

use super::kube_anycast::KubeAnycast;
use super::tor::{ORIGINATOR_ASN, TOR_ASN, Tor};
use crate::LabRouter;
use crate::bird::{Bird, BirdConfig, BirdPeer};
use crate::exabgp::{Exabgp, ExabgpConfig};
use crate::gobgp::{Gobgp, GobgpConfig, GobgpNeighbor};
use crate::process::run;
use ipnet::{IpNet, Ipv4Net};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// Which originator a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// kube-anycast reading workload A from a manifests file.
    ManifestsA,
    /// kube-anycast reading workload B from a manifests file.
    ManifestsB,
    /// kube-anycast reading workload C from a manifests file.
    ManifestsC,
    /// kube-anycast watching workload A in the fake API server.
    KubernetesA,
    /// kube-anycast watching workload C in the fake API server.
    KubernetesC,
    /// BIRD 2, routes in a static protocol.
    Bird,
    /// GoBGP, routes injected from an MRT file.
    Gobgp,
    /// ExaBGP, routes as static routes in its config.
    Exabgp,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 8] = [
        Kind::ManifestsA,
        Kind::ManifestsB,
        Kind::ManifestsC,
        Kind::KubernetesA,
        Kind::KubernetesC,
        Kind::Bird,
        Kind::Gobgp,
        Kind::Exabgp,
    ];

    /// The column title.
    pub fn title(self) -> &'static str {
        match self {
            Kind::ManifestsA => "kube-anycast manifests A",
            Kind::ManifestsB => "kube-anycast manifests B",
            Kind::ManifestsC => "kube-anycast manifests C",
            Kind::KubernetesA => "kube-anycast kubernetes A",
            Kind::KubernetesC => "kube-anycast kubernetes C",
            Kind::Bird => "BIRD 2",
            Kind::Gobgp => "GoBGP",
            Kind::Exabgp => "ExaBGP",
        }
    }

    /// True for the routers kube-anycast is compared with.
    pub fn is_anchor(self) -> bool {
        matches!(self, Kind::Bird | Kind::Gobgp | Kind::Exabgp)
    }

    /// The name `--only` takes.
    pub fn flag(self) -> &'static str {
        match self {
            Kind::ManifestsA => "kube-anycast-manifests-a",
            Kind::ManifestsB => "kube-anycast-manifests-b",
            Kind::ManifestsC => "kube-anycast-manifests-c",
            Kind::KubernetesA => "kube-anycast-kubernetes-a",
            Kind::KubernetesC => "kube-anycast-kubernetes-c",
            Kind::Bird => "bird",
            Kind::Gobgp => "gobgp",
            Kind::Exabgp => "exabgp",
        }
    }

    /// The kinds a `--only` name selects: an exact name, or a prefix such as
    /// `kube-anycast-manifests` or `kube-anycast`.
    pub fn select(name: &str) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|k| k.flag() == name || k.flag().starts_with(&format!("{name}-")))
            .collect()
    }

    /// The workload letter, for kube-anycast runs.
    pub fn workload(self) -> Option<char> {
        match self {
            Kind::ManifestsA | Kind::KubernetesA => Some('A'),
            Kind::ManifestsB => Some('B'),
            Kind::ManifestsC | Kind::KubernetesC => Some('C'),
            _ => None,
        }
    }

    /// True for kube-anycast with the Kubernetes source (the fake API server).
    pub fn watches_the_api(self) -> bool {
        matches!(self, Kind::KubernetesA | Kind::KubernetesC)
    }
}

/// A started originator.
pub enum Running {
    /// kube-anycast.
    KubeAnycast(Box<KubeAnycast>),
    /// BIRD.
    Bird(Bird),
    /// GoBGP and the thread injecting its routes.
    Gobgp(Gobgp, Option<std::thread::JoinHandle<Result<(), String>>>),
    /// ExaBGP.
    Exabgp(Exabgp),
}

/// The /32s every originator announces: the workload's externalIPs.
pub fn host_routes(n: usize) -> Vec<IpNet> {
    crate::workload::Spec::workload_b(n, "unused")
        .external_ips()
        .map(|ip| IpNet::V4(Ipv4Net::from(ip)))
        .collect()
}

/// Starts an anchor in the ToR's originator namespace. Its routes are loaded the
/// fastest way we found: BIRD and ExaBGP read them with their config; GoBGP gets them
/// from an MRT file through `gobgp mrt inject` as soon as its API answers, with its
/// neighbor disabled until all are in, so they go out packed (on a thread, so the bench
/// keeps watching the ToR meanwhile). `gobgp global rib add` would run one client per
/// route, and GoBGP's config file has no routes.
pub fn start_anchor(kind: Kind, tor: &Tor, n: usize, dir: &std::path::Path) -> Running {
    let ns = &tor.pair.b.ns;
    let me = tor.pair.b.v4;
    let routes = host_routes(n);
    match kind {
        Kind::Bird => Running::Bird(Bird::start(
            ns,
            BirdConfig {
                router_id: me,
                peers: vec![BirdPeer {
                    name: "tor".into(),
                    local: IpAddr::V4(me),
                    local_as: ORIGINATOR_ASN,
                    neighbor: IpAddr::V4(tor.pair.a.v4),
                    remote_as: TOR_ASN,
                    password: None,
                }],
                originate: routes,
            },
        )),
        Kind::Exabgp => Running::Exabgp(Exabgp::start(
            ns,
            ExabgpConfig {
                router_id: me,
                local: IpAddr::V4(me),
                local_as: ORIGINATOR_ASN,
                neighbor: IpAddr::V4(tor.pair.a.v4),
                remote_as: TOR_ASN,
                hold_time: 9,
                originate: routes,
            },
        )),
        Kind::Gobgp => {
            let mrt = dir.join(format!("routes-{n}.mrt"));
            if let Err(e) = write_mrt(&mrt, me, n) {
                panic!("bench setup: {}: {e}", mrt.display());
            }
            let g = Gobgp::start_nowait(
                ns,
                GobgpConfig {
                    asn: ORIGINATOR_ASN,
                    router_id: me,
                    neighbors: vec![GobgpNeighbor {
                        address: IpAddr::V4(tor.pair.a.v4),
                        remote_as: TOR_ASN,
                        password: None,
                    }],
                    start_disabled: true,
                },
            );
            let ns = ns.clone();
            let tor = tor.pair.a.v4.to_string();
            let inject = std::thread::spawn(move || {
                inject_mrt(&ns, &mrt, n)?;
                let enable = ["netns", "exec", &ns, "gobgp", "neighbor", &tor, "enable"];
                run("ip", &enable).map(|_| ())
            });
            Running::Gobgp(g, Some(inject))
        }
        _ => panic!("{kind:?} is not an anchor"),
    }
}

fn write_mrt(path: &PathBuf, me: Ipv4Addr, n: usize) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::new(file);
    // GoBGP 3.10's client loses the last few hundred paths of its stream when it exits
    // (see `inject_mrt`): a tail repeating the first routes (identical paths, harmless
    // while the neighbor is disabled) is what it loses instead.
    let spec = crate::workload::Spec::workload_b(n, "unused");
    let ips = spec
        .external_ips()
        .chain(spec.external_ips().take(mrt_padding(n)));
    // The MRT peer only labels the entries; GoBGP ignores paths "from" its own router ID.
    let label = Ipv4Addr::new(192, 0, 2, 1);
    super::mrt::write_host_routes(&mut out, label, ORIGINATOR_ASN, me, ips)?;
    std::io::Write::flush(&mut out)
}

/// How many entries repeat at the end of the MRT file of `n` routes.
fn mrt_padding(n: usize) -> usize {
    n.min(4096)
}

/// Waits for gobgpd's API, then streams the MRT file into its global RIB. GoBGP 3.10's
/// client drops the last few hundred paths of its stream when it exits: the file ends
/// with a padding tail, and the injection repeats from the first missing entry (the
/// kept ones are always a prefix of the file) until the RIB holds all `n`.
fn inject_mrt(ns: &str, mrt: &std::path::Path, n: usize) -> Result<(), String> {
    let gobgp = |args: &[&str]| {
        let mut all = vec!["netns", "exec", ns, "gobgp"];
        all.extend_from_slice(args);
        run("ip", &all)
    };
    let start = std::time::Instant::now();
    while gobgp(&["global"]).is_err() {
        if start.elapsed() > std::time::Duration::from_secs(30) {
            return Err("gobgpd's API never answered".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let file = mrt.display().to_string();
    let entries = (n + mrt_padding(n)).to_string();
    let mut have = 0;
    for _ in 0..100 {
        // COUNT: every entry of the file (padding included); SKIP: those already in.
        let skip = have.to_string();
        gobgp(&["mrt", "inject", "global", &file, &entries, &skip])?;
        let now = rib_size(&gobgp(&["global", "rib", "summary"])?)
            .ok_or("cannot read `gobgp global rib summary`")?;
        if now >= n {
            return Ok(());
        }
        // No progress: the kept paths were not a prefix after all; start over.
        have = if now > have { now } else { 0 };
    }
    Err(format!(
        "the RIB still holds {have} of {n} paths after 100 injections"
    ))
}

/// The `Destination: N` count of `gobgp global rib summary`.
pub fn rib_size(summary: &str) -> Option<usize> {
    summary
        .split("Destination:")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit() && c != ' ')
        .next()?
        .trim()
        .parse()
        .ok()
}

impl Running {
    /// The pid whose memory and CPU are measured.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Running::KubeAnycast(k) => k.pid(),
            Running::Bird(b) => b.pid(),
            Running::Gobgp(g, _) => g.pid(),
            Running::Exabgp(e) => e.pid(),
        }
    }

    /// True while the measured process runs.
    pub fn is_running(&mut self) -> bool {
        match self {
            Running::KubeAnycast(k) => k.is_running(),
            Running::Bird(b) => b.is_running(),
            Running::Gobgp(g, _) => g.is_running(),
            Running::Exabgp(e) => e.is_running(),
        }
    }

    /// Withdraws every route the originator's own fastest way: kube-anycast's cluster
    /// empties; BIRD disables its static protocol; GoBGP deletes its whole global RIB;
    /// ExaBGP reloads a config without routes.
    pub fn withdraw_all(&mut self) -> Result<(), String> {
        match self {
            Running::KubeAnycast(k) => k.withdraw_all(),
            Running::Bird(b) => b.birdc(&["disable", "orig4"]).map(|_| ()),
            Running::Gobgp(g, inject) => {
                if let Some(t) = inject.take() {
                    t.join().map_err(|_| "the MRT injection panicked")??;
                }
                g.gobgp(&["global", "rib", "-a", "ipv4", "del", "all"])
                    .map(|_| ())
            }
            Running::Exabgp(e) => e.set_routes(Vec::new()),
        }
    }

    /// What went wrong on the side, for failure notes: GoBGP's route injection, once it
    /// has ended.
    pub fn trouble(&mut self) -> Option<String> {
        match self {
            Running::Gobgp(_, inject) if inject.as_ref().is_some_and(|t| t.is_finished()) => {
                match inject.take().map(std::thread::JoinHandle::join) {
                    Some(Ok(Err(e))) => Some(format!("MRT injection: {e}")),
                    Some(Err(_)) => Some("the MRT injection panicked".into()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The end of the originator's log, for failure notes.
    pub fn log_tail(&self) -> String {
        match self {
            Running::KubeAnycast(k) => k.log_tail(),
            Running::Bird(b) => b.log_tail(),
            Running::Gobgp(g, _) => g.log_tail(),
            Running::Exabgp(e) => e.log_tail(),
        }
    }
}

#[cfg(test)]
mod tests;
