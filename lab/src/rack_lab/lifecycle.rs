//! `up` builds the rack and starts everything in it; `down` stops what `up` started (by
//! pid, speakers first so they withdraw and say goodbye) and deletes its namespaces and
//! state. A failed or panicking `up` runs `down` before it returns.

use super::cluster::Endpoints;
use super::node::{self, speaker_name};
use super::plan::{Node, Service};
use super::wait::{catch_interrupts, check_interrupt, poll};
use super::{Flavour, Lab, LabError, topology, tor, views};
use crate::prereq::{Router, find_binary, missing};
use std::path::Path;
use std::time::Duration;

/// Fails unless we are root (namespaces, routers).
pub fn need_root() -> Result<(), LabError> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        Ok(())
    } else {
        Err(LabError::Missing(
            "must run as root (it creates network namespaces and starts routers)".into(),
        ))
    }
}

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    std::fs::write(path, text).map_err(|e| LabError::Failed(format!("{}: {e}", path.display())))
}

/// Replaces `path` at once (temporary file and rename): the speakers watching it must
/// never read half of it.
pub fn replace(path: &Path, text: &str) -> Result<(), LabError> {
    let tmp = path.with_extension("tmp");
    write(&tmp, text)?;
    std::fs::rename(&tmp, path)
        .map_err(|e| LabError::Failed(format!("rename {}: {e}", tmp.display())))
}

/// Writes the endpoints state file and the manifests generated from it.
pub fn write_cluster(lab: &Lab, endpoints: &Endpoints) -> Result<(), LabError> {
    replace(&lab.path("endpoints"), &endpoints.render())?;
    replace(&lab.path("cluster.yaml"), &endpoints.manifests())
}

fn check_prerequisites(lab: &Lab, flavour: Flavour) -> Result<(), LabError> {
    let router = match flavour {
        Flavour::Frr => Router::Frr,
        Flavour::Bird => Router::Bird,
        Flavour::Gobgp => Router::Gobgp,
    };
    let mut lacking = missing(&[router]);
    for tool in ["curl", "python3", "ss"] {
        if find_binary(tool).is_none() {
            lacking.push(format!("the `{tool}` binary"));
        }
    }
    if !lacking.is_empty() {
        return Err(LabError::Missing(format!(
            "missing: {} (run testbed/install-deps.sh)",
            lacking.join(", ")
        )));
    }
    if !lab.settings.binary.is_file() {
        return Err(LabError::Missing(format!(
            "{} not found: run 'cargo build --release' (or set KUBE_ANYCAST_BIN)",
            lab.settings.binary.display()
        )));
    }
    Ok(())
}

/// Runs `down` when dropped armed: whatever stops `up` half-way removes what it made.
struct TearDownUnlessDone<'a> {
    lab: &'a Lab,
    done: bool,
}

impl Drop for TearDownUnlessDone<'_> {
    fn drop(&mut self) {
        if !self.done {
            eprintln!("lab: up failed; cleaning up");
            let _ = stop_and_remove(self.lab);
        }
    }
}

/// `up [frr|bird|gobgp]`.
pub fn up(lab: &Lab, flavour: Option<&str>) -> Result<(), LabError> {
    need_root()?;
    let word = flavour.unwrap_or("frr");
    let flavour = Flavour::parse(word)
        .ok_or_else(|| LabError::Usage(format!("unknown flavour '{word}' (frr, bird or gobgp)")))?;
    check_prerequisites(lab, flavour)?;
    if lab.settings.dir.exists() || !topology::existing(lab).is_empty() {
        return Err(LabError::AlreadyUp(lab.settings.id.clone()));
    }
    for sub in ["tor", "pids", "logs"] {
        let dir = lab.path(sub);
        std::fs::create_dir_all(&dir)
            .map_err(|e| LabError::Failed(format!("{}: {e}", dir.display())))?;
    }
    catch_interrupts();
    let mut guard = TearDownUnlessDone { lab, done: false };
    write(&lab.path("flavour"), &format!("{}\n", flavour.word()))?;
    let bfd = lab.settings.bfd;
    let bfd_line = match bfd {
        Some(b) => format!("1 {} {}\n", b.interval_ms, b.multiplier),
        None => "0 300 3\n".to_string(),
    };
    write(&lab.path("bfd"), &bfd_line)?;
    write(&lab.path("namespaces"), "")?;
    topology::build(lab)?;
    let endpoints = Endpoints::initial();
    write_cluster(lab, &endpoints)?;
    check_interrupt()?;
    tor::start(lab, flavour)?;
    tor::wait_listening(lab, flavour);
    for node in Node::all() {
        check_interrupt()?;
        for e in endpoints.0.iter().filter(|e| e.node == node) {
            if let Some(service) = Service::find(e.service) {
                node::start_responders(lab, node, &service)?;
            }
        }
        node::start_speaker(lab, node)?;
    }
    check_interrupt()?;
    guard.done = true;
    for e in &endpoints.0 {
        if let Some(service) = Service::find(e.service) {
            node::wait_responders(lab, e.node, &service);
        }
    }
    println!(
        "lab '{}' up with {}: namespaces {}-*, state in {}",
        lab.settings.id,
        flavour.word(),
        lab.names.prefix(),
        lab.settings.dir.display()
    );
    let all_established =
        || views::peers(lab, flavour).is_ok_and(|p| p.iter().all(|p| p.state == "Established"));
    if !poll(Duration::from_secs(30), all_established) {
        eprintln!(
            "lab: warning: not every session is Established after 30 s (lab status, lab logs)"
        );
    }
    Ok(())
}

/// Stops every process of the lab (speakers first), deletes its namespaces and state.
fn stop_and_remove(lab: &Lab) -> Result<(), LabError> {
    let pids = lab.pids();
    let (speakers, others): (Vec<String>, Vec<String>) = pids
        .names()
        .into_iter()
        .partition(|n| Node::all().any(|node| *n == speaker_name(node)));
    pids.stop(&speakers);
    pids.stop(&others);
    topology::remove(lab);
    std::fs::remove_dir_all(&lab.settings.dir)
        .map_err(|e| LabError::Failed(format!("cannot remove {}: {e}", lab.settings.dir.display())))
}

/// `down`.
pub fn down(lab: &Lab) -> Result<(), LabError> {
    if !lab.settings.dir.is_dir() {
        println!("lab '{}' is not up", lab.settings.id);
        return Ok(());
    }
    need_root()?;
    stop_and_remove(lab)?;
    println!("lab '{}' down", lab.settings.id);
    Ok(())
}
