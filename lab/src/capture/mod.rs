//! `lab capture-vectors`: records what FRR, BIRD 2, GoBGP and ExaBGP really send to an
//! eBGP peer, for `bgp/tests/captured_vectors.rs`.
//!
//! For each router: a fresh pair of namespaces joined by one veth (10.255.N.0/24 and
//! fd00:255:0:N::/64, nothing attached to the root namespace); the router in one, the
//! [`crate::recorder`] on a thread inside the other. The router peers with the recorder
//! and originates its routes ([`configs`]); the recorder answers the OPEN, collects the
//! routes and End-of-RIB markers, asks for them again with ROUTE-REFRESH, and then the
//! router is shut down with the shutdown communication "capture complete" (RFC 9003;
//! ExaBGP 4.2 closes the connection without a NOTIFICATION when stopped, so its capture
//! ends with the last UPDATE). Every received message becomes one hex line in
//! `<out>/<router>.hex`.

pub mod configs;

use crate::bird::{Bird, BirdConfig, BirdPeer};
use crate::exabgp::{Exabgp, ExabgpConfig};
use crate::frr::{Frr, FrrConfig, FrrNeighbor};
use crate::gobgp::{Gobgp, GobgpConfig, GobgpNeighbor};
use crate::netns::NetnsPair;
use crate::recorder::{self, Options, script::Identity};
use bgp::RouterId;
use configs::{Link, RECORDER_ASN};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// How long a capture may take at most (connection, routes, refresh, shutdown).
const CAPTURE_TIMEOUT: Duration = Duration::from_secs(90);

/// A capture: which router, configured how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// FRR (N = 1).
    Frr,
    /// BIRD 2 (N = 2).
    Bird,
    /// GoBGP (N = 3).
    Gobgp,
    /// ExaBGP (N = 4).
    Exabgp,
    /// FRR with the link bandwidth extended community on every route (N = 5): 8 Mbit/s,
    /// transitive, as FRR does not send the non-transitive form to an eBGP peer (RFC
    /// 4360 section 2).
    FrrBandwidth,
}

impl Target {
    /// Every capture, in the order they run.
    pub const ALL: [Target; 5] = [
        Target::Frr,
        Target::Bird,
        Target::Gobgp,
        Target::Exabgp,
        Target::FrrBandwidth,
    ];

    /// The capture's file name without `.hex`, which is also how it is asked for.
    pub fn name(self) -> &'static str {
        match self {
            Target::Frr => "frr",
            Target::Bird => "bird",
            Target::Gobgp => "gobgp",
            Target::Exabgp => "exabgp",
            Target::FrrBandwidth => "frr-bandwidth",
        }
    }

    /// The capture called `name`.
    pub fn parse(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    fn link(self) -> Link {
        let n = match self {
            Target::Frr => 1,
            Target::Bird => 2,
            Target::Gobgp => 3,
            Target::Exabgp => 4,
            Target::FrrBandwidth => 5,
        };
        Link { n }
    }
}

/// The version a `--version` output names: the word after `version` (or after
/// `ExaBGP :`).
pub fn version_in(output: &str) -> Option<String> {
    let words: Vec<&str> = output.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[0] == "version" || w[0] == ":")
        .map(|w| w[1].trim_end_matches(',').to_string())
}

fn version(program: &str, product: &str) -> String {
    let bin = crate::prereq::find_binary(program)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| program.to_string());
    let out = std::process::Command::new(bin).arg("--version").output();
    let text = out
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        })
        .unwrap_or_default();
    format!(
        "{product} {}",
        version_in(&text).unwrap_or_else(|| "unknown".into())
    )
}

/// A router running for a capture; stopped (by pid) on drop.
enum Router {
    Frr(Frr),
    Bird(Bird),
    Gobgp(Gobgp),
    Exabgp(Exabgp),
}

fn start(target: Target, ns: &str) -> Router {
    let link = target.link();
    let recorder = IpAddr::V4(link.recorder_v4());
    match target {
        Target::Frr | Target::FrrBandwidth => {
            let extra = if target == Target::FrrBandwidth {
                " set extcommunity bandwidth 8"
            } else {
                ""
            };
            let config = FrrConfig {
                asn: link.asn(),
                router_id: link.router_v4(),
                neighbors: vec![FrrNeighbor {
                    address: recorder,
                    remote_as: RECORDER_ASN,
                    password: None,
                    passive: false,
                }],
                networks: Vec::new(),
            };
            Router::Frr(Frr::start_with_conf(ns, config, &configs::frr(link, extra)))
        }
        Target::Bird => {
            let config = BirdConfig {
                router_id: link.router_v4(),
                peers: vec![BirdPeer {
                    name: "cap".into(),
                    local: IpAddr::V4(link.router_v4()),
                    local_as: link.asn(),
                    neighbor: recorder,
                    remote_as: RECORDER_ASN,
                    password: None,
                }],
                originate: Vec::new(),
            };
            Router::Bird(Bird::start_with_conf(ns, config, |log| {
                configs::bird(link, log)
            }))
        }
        Target::Gobgp => {
            let config = GobgpConfig {
                asn: link.asn(),
                router_id: link.router_v4(),
                neighbors: vec![GobgpNeighbor {
                    address: recorder,
                    remote_as: RECORDER_ASN,
                    password: None,
                }],
                start_disabled: false,
            };
            let gobgp = Gobgp::start_with_conf(ns, config, &configs::gobgp(link));
            for args in configs::gobgp_routes(link) {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                if let Err(e) = gobgp.gobgp(&args) {
                    panic!("lab setup: {e}");
                }
            }
            Router::Gobgp(gobgp)
        }
        Target::Exabgp => {
            let config = ExabgpConfig {
                router_id: link.router_v4(),
                local: IpAddr::V4(link.router_v4()),
                local_as: link.asn(),
                neighbor: recorder,
                remote_as: RECORDER_ASN,
                hold_time: 180,
                originate: Vec::new(),
            };
            Router::Exabgp(Exabgp::start_with_conf(ns, config, &configs::exabgp(link)))
        }
    }
}

impl Router {
    fn version(&self) -> String {
        match self {
            Router::Frr(_) => version("bgpd", "FRR"),
            Router::Bird(_) => version("bird", "BIRD"),
            Router::Gobgp(_) => version("gobgpd", "GoBGP"),
            Router::Exabgp(_) => version("exabgp", "ExaBGP"),
        }
    }

    /// Ends the session the way the router does it for an operator.
    fn shut_down(&self, link: Link) -> Result<(), String> {
        let peer = link.recorder_v4().to_string();
        match self {
            Router::Frr(frr) => frr
                .configure(&[
                    &format!("router bgp {}", link.asn()),
                    &format!("neighbor {peer} shutdown message capture complete"),
                ])
                .map(|_| ()),
            Router::Bird(bird) => bird
                .birdc(&["disable", "cap", "\"capture complete\""])
                .map(|_| ()),
            Router::Gobgp(gobgp) => gobgp
                .gobgp(&[
                    "neighbor",
                    &peer,
                    "shutdown",
                    "--reason",
                    "capture complete",
                ])
                .map(|_| ()),
            Router::Exabgp(exabgp) => {
                let pid = exabgp.pid().ok_or("ExaBGP is not running")?;
                crate::process::run("kill", &["-TERM", &pid.to_string()]).map(|_| ())
            }
        }
    }
}

/// Captures `target` into `<out_dir>/<name>.hex`; returns how many messages it holds.
pub fn capture(target: Target, out_dir: &Path) -> Result<usize, String> {
    let link = target.link();
    let pair = NetnsPair::with_addresses(
        link.router_v4(),
        link.recorder_v4(),
        link.router_v6(),
        link.recorder_v6(),
    );
    let options = Options {
        identity: Identity {
            asn: RECORDER_ASN,
            router_id: RouterId::new(link.recorder_v4()).map_err(|e| e.to_string())?,
            hold_time: 240,
        },
        listen: link.recorder_v4(),
        quiet: Duration::from_secs(4),
        timeout: CAPTURE_TIMEOUT,
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let recorder_ns = pair.b.ns.clone();
    let recording = std::thread::spawn(move || {
        crate::netns::enter(&recorder_ns).map_err(|e| format!("{recorder_ns}: {e}"))?;
        recorder::record(&options, move || {
            let _ = ready_tx.send(());
        })
        .map_err(|e| e.to_string())
    });
    let router = start(target, &pair.a.ns);
    let ready = ready_rx.recv_timeout(CAPTURE_TIMEOUT).is_ok();
    if ready {
        router.shut_down(link)?;
    }
    let messages = recording
        .join()
        .map_err(|_| "the recorder panicked".to_string())??;
    let header = [
        format!(
            "Messages sent by {} to a passive eBGP peer (AS {RECORDER_ASN}), one per line, as received.",
            router.version()
        ),
        format!(
            "Captured {} by `lab capture-vectors`; see bgp/tests/captured_vectors.rs for the configuration.",
            crate::process::run("date", &["-u", "+%Y-%m-%dT%H:%MZ"])?.trim()
        ),
    ];
    drop(router);
    let path = out_dir.join(format!("{}.hex", target.name()));
    recorder::write_hex(&path, &header, &messages)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(messages.len())
}

#[cfg(test)]
mod tests;
