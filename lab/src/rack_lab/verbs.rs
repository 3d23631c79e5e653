//! The verbs that act on a running lab: `routes`, `peers`, `set-endpoint`, `status`,
//! `curl`, `speaker`, `wait-routes`, `exec`, `logs`, `tor-ns`.

use super::cluster::{EndpointState, Endpoints};
use super::lifecycle::write_cluster;
use super::node::{self, speaker_name};
use super::plan::{Node, SERVICES, SPEAKER_HTTP, Service};
use super::views::{self, route_lines};
use super::{Flavour, Lab, LabError};
use ipnet::IpNet;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// `routes`.
pub fn routes(lab: &Lab) -> Result<(), LabError> {
    let flavour = lab.flavour()?;
    for line in route_lines(&views::routes(lab, flavour)?) {
        println!("{line}");
    }
    Ok(())
}

/// `peers`.
pub fn peers(lab: &Lab) -> Result<(), LabError> {
    let flavour = lab.flavour()?;
    for peer in views::peers(lab, flavour)? {
        println!("{peer}");
    }
    Ok(())
}

fn node(name: &str) -> Result<Node, LabError> {
    Node::parse(name)
        .ok_or_else(|| LabError::Usage(format!("unknown node '{name}' (node1 node2 node3)")))
}

/// Holds an exclusive lock on the lab's `lock` file until dropped, so concurrent
/// `set-endpoint`s do not lose each other's change (closing the file releases it).
struct StateLock {
    _file: std::fs::File,
}

impl StateLock {
    fn take(lab: &Lab) -> Result<StateLock, LabError> {
        use std::os::fd::AsRawFd;
        let path = lab.path("lock");
        let file = std::fs::File::create(&path)
            .map_err(|e| LabError::Failed(format!("{}: {e}", path.display())))?;
        // SAFETY: the descriptor is open for the whole call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(LabError::Failed(format!(
                "lock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            )));
        }
        Ok(StateLock { _file: file })
    }
}

/// `set-endpoint NODE SERVICE ready|terminating|gone`. The node answers while it has an
/// endpoint of the Service (a pod serves before it is ready and stops after it is gone):
/// the responders start before the cluster changes and stop after.
pub fn set_endpoint(
    lab: &Lab,
    node_name: &str,
    service: &str,
    state: &str,
) -> Result<(), LabError> {
    let node = node(node_name)?;
    let service = Service::find(service)
        .ok_or_else(|| LabError::Usage(format!("unknown service '{service}'")))?;
    let state = EndpointState::parse(state)
        .ok_or_else(|| LabError::Usage("state must be ready, terminating or gone".into()))?;
    lab.flavour()?;
    if state != EndpointState::Gone {
        node::start_responders(lab, node, &service)?;
        node::wait_responders(lab, node, &service);
    }
    {
        let _lock = StateLock::take(lab)?;
        let text = std::fs::read_to_string(lab.path("endpoints")).unwrap_or_default();
        let mut endpoints = Endpoints::parse(&text);
        endpoints.set(node, service.name, state);
        write_cluster(lab, &endpoints)?;
    }
    if state == EndpointState::Gone {
        node::stop_responders(lab, node, &service);
    }
    println!("{} {} {}", node.name(), service.name, state.word());
    Ok(())
}

/// `status`: the router's peers, routes and BFD sessions, then every speaker's status.
pub fn status(lab: &Lab) -> Result<(), LabError> {
    let flavour = lab.flavour()?;
    println!(
        "== ToR ({}) peers: NODE ADDRESS ASN STATE PREFIXES",
        flavour.word()
    );
    peers(lab)?;
    println!("== ToR routes: PREFIX NEXTHOPS");
    routes(lab)?;
    if lab.bfd().is_some() {
        println!("== ToR BFD sessions");
        let sessions = match flavour {
            Flavour::Frr => views::vtysh(lab, "show bfd peers brief"),
            Flavour::Bird => views::birdc(lab, &["show", "bfd", "sessions"]),
            Flavour::Gobgp => Ok("(no BFD on this router)\n".to_string()),
        };
        print!("{}", sessions.unwrap_or_else(|e| format!("{e}\n")));
    }
    let binary = lab.settings.binary.display().to_string();
    for node in Node::all() {
        println!("== {} speaker", node.name());
        if lab.pids().live(&speaker_name(node)).is_none() {
            println!("not running");
            continue;
        }
        let ns = lab.names.node(node);
        match lab.run_in(&ns, &binary, &["status", "--http", SPEAKER_HTTP]) {
            Ok(out) => print!("{out}"),
            Err(e) => println!("{e}"),
        }
    }
    Ok(())
}

/// `curl [N] [6]`: N requests from the client to the web Service's IPv4 (or IPv6)
/// externalIP, one answer a line.
pub fn curl(lab: &Lab, count: usize, ipv6: bool) -> Result<(), LabError> {
    let web = SERVICES[0];
    let url = match web.address(ipv6) {
        IpAddr::V4(a) => format!("http://{a}/"),
        IpAddr::V6(a) => format!("http://[{a}]/"),
    };
    let client = lab.names.client();
    for _ in 0..count {
        match lab.run_in(&client, "curl", &["-sS", "--max-time", "2", &url]) {
            Ok(answer) => print!("{answer}"),
            Err(_) => println!("(request failed)"),
        }
    }
    Ok(())
}

/// `speaker NODE start|term|kill|stop|cont`.
pub fn speaker(lab: &Lab, node_name: &str, action: &str) -> Result<(), LabError> {
    let node = node(node_name)?;
    lab.flavour()?;
    let name = speaker_name(node);
    let signal = match action {
        "start" => {
            if lab.pids().live(&name).is_some() {
                return Err(LabError::Failed(format!(
                    "speaker on {node_name} already runs"
                )));
            }
            return node::start_speaker(lab, node);
        }
        "term" => libc::SIGTERM,
        "kill" => libc::SIGKILL,
        "stop" => libc::SIGSTOP,
        "cont" => libc::SIGCONT,
        _ => {
            return Err(LabError::Usage(
                "speaker NODE start|term|kill|stop|cont".into(),
            ));
        }
    };
    if lab.pids().signal(&name, signal) {
        Ok(())
    } else {
        Err(LabError::Failed(format!(
            "speaker on {node_name} not running"
        )))
    }
}

/// A prefix as `wait-routes` takes it: an address alone is a host route.
pub fn parse_prefix(text: &str) -> Result<IpNet, LabError> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| LabError::Usage(format!("'{text}' is not a prefix or an address")))
}

/// `wait-routes PREFIX N [TIMEOUT]`: waits until PREFIX has N next hops, polling every
/// 50 ms; prints how long it took (a measurement, not a check).
pub fn wait_routes(lab: &Lab, prefix: &str, count: usize, timeout_s: u64) -> Result<(), LabError> {
    let flavour = lab.flavour()?;
    let prefix = parse_prefix(prefix)?;
    let start = Instant::now();
    loop {
        let hops = views::routes(lab, flavour)
            .ok()
            .and_then(|rib| rib.get(&prefix).map(|h| h.len()))
            .unwrap_or(0);
        if hops == count {
            println!(
                "{prefix} has {count} next hops after {} ms",
                start.elapsed().as_millis()
            );
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(timeout_s) {
            return Err(LabError::Failed(format!(
                "timeout: {prefix} has {hops} next hops, wanted {count}, after {timeout_s}s"
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `exec NODE|tor|client CMD...`: replaces this process with CMD inside the namespace.
pub fn exec(lab: &Lab, place: &str, command: &[String]) -> LabError {
    let ns = match place {
        "tor" => lab.names.tor(),
        "client" => lab.names.client(),
        other => match Node::parse(other) {
            Some(n) => lab.names.node(n),
            None => return LabError::Usage(format!("unknown namespace '{other}'")),
        },
    };
    if command.is_empty() {
        return LabError::Usage("exec NODE|tor|client CMD...".into());
    }
    let error = std::process::Command::new("ip")
        .args(["netns", "exec", &ns])
        .args(command)
        .exec();
    LabError::Failed(format!("cannot run ip netns exec: {error}"))
}

/// `logs [N]`: the last N lines of every log.
pub fn logs(lab: &Lab, lines: usize) -> Result<(), LabError> {
    lab.flavour()?;
    let mut files = Vec::new();
    for dir in [lab.path("logs"), lab.tor_dir()] {
        let mut these: Vec<_> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
            .collect();
        these.sort();
        files.extend(these);
    }
    for file in files {
        println!("== {}", file.display());
        let text = crate::tail(&file, lines);
        // `tail` starts with the file's name; the header above already says it.
        for line in text.lines().skip(1) {
            println!("{line}");
        }
    }
    Ok(())
}
