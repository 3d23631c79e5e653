//! Starting the ToR router of each flavour inside the ToR namespace, and waiting until it
//! listens for every node.

use super::plan::Node;
use super::views;
use super::wait::poll;
use super::{Flavour, Lab, LabError, tor_config};
use crate::prereq::find_binary;
use crate::process::run;
use std::path::Path;
use std::time::Duration;

/// How long a router gets to open its control socket.
const SOCKET_WAIT: Duration = Duration::from_secs(10);

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    std::fs::write(path, text).map_err(|e| LabError::Failed(format!("{}: {e}", path.display())))
}

fn binary(name: &str) -> Result<String, LabError> {
    find_binary(name)
        .map(|p| p.display().to_string())
        .ok_or_else(|| LabError::Missing(format!("{name} missing: run testbed/install-deps.sh")))
}

/// Waits for `socket` to appear, or fails naming the log of `name`.
fn wait_socket(lab: &Lab, name: &str, socket: &Path) -> Result<(), LabError> {
    if poll(SOCKET_WAIT, || socket.exists()) {
        Ok(())
    } else {
        Err(LabError::Failed(format!(
            "{name} did not start (see {})",
            lab.log(name).display()
        )))
    }
}

/// Writes the flavour's configuration into the ToR directory and starts it.
pub fn start(lab: &Lab, flavour: Flavour) -> Result<(), LabError> {
    match flavour {
        Flavour::Frr => start_frr(lab),
        Flavour::Bird => start_bird(lab),
        Flavour::Gobgp => start_gobgp(lab),
    }
}

fn start_frr(lab: &Lab) -> Result<(), LabError> {
    let (tor, dir) = (lab.names.tor(), lab.tor_dir());
    let d = dir.display().to_string();
    let bfd = lab.bfd();
    write(
        &dir.join("zebra.conf"),
        &format!("hostname {tor}\nlog file {d}/zebra.log\n"),
    )?;
    let bgp = tor_config::frr(&tor, lab.settings.hold_time, bfd);
    write(
        &dir.join("bgpd.conf"),
        &bgp.bgpd_conf(&format!("{d}/bgpd.log")),
    )?;
    if let Some(b) = bfd {
        let conf = crate::frr::tor::bfdd_conf(
            &tor,
            &format!("{d}/bfdd.log"),
            tor_config::BFD_PROFILE,
            b.interval_ms,
            b.multiplier,
        );
        write(&dir.join("bfdd.conf"), &conf)?;
    }
    crate::frr::hand_to_frr(&dir)?;
    let daemon = |name: &str, socket: &str, extra: &[&str]| -> Result<(), LabError> {
        let mut args = crate::frr::daemon_args(&d, name);
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        lab.start(name, &tor, &binary(name)?, &args, &[])?;
        wait_socket(lab, name, &dir.join(socket))
    };
    daemon("zebra", "zserv.api", &[])?;
    if bfd.is_some() {
        let ctl = format!("{d}/bfdd.sock");
        daemon("bfdd", "bfdd.vty", &["--bfdctl", &ctl])?;
    }
    daemon("bgpd", "bgpd.vty", &[])
}

fn start_bird(lab: &Lab) -> Result<(), LabError> {
    let dir = lab.tor_dir();
    let conf = dir.join("bird.conf");
    let log = dir.join("bird.log").display().to_string();
    write(
        &conf,
        &tor_config::bird(&log, lab.settings.hold_time, lab.bfd()),
    )?;
    let conf = conf.display().to_string();
    run(&binary("bird")?, &["-p", "-c", &conf])
        .map_err(|e| LabError::Failed(format!("bird rejects {conf}: {e}")))?;
    let ctl = dir.join("bird.ctl");
    let (c, p) = (
        ctl.display().to_string(),
        dir.join("bird.pid").display().to_string(),
    );
    lab.start(
        "bird",
        &lab.names.tor(),
        &binary("bird")?,
        &["-f", "-c", &conf, "-s", &c, "-P", &p],
        &[],
    )?;
    wait_socket(lab, "bird", &ctl)
}

fn start_gobgp(lab: &Lab) -> Result<(), LabError> {
    let conf = lab.tor_dir().join("gobgpd.toml");
    write(&conf, &tor_config::gobgp(lab.settings.hold_time))?;
    let conf = conf.display().to_string();
    let tor = lab.names.tor();
    lab.start(
        "gobgpd",
        &tor,
        &binary("gobgpd")?,
        &[
            "-f",
            &conf,
            "-t",
            "toml",
            "--pprof-disable",
            "--api-hosts",
            "127.0.0.1:50051",
            "-l",
            "info",
        ],
        &[],
    )?;
    if poll(SOCKET_WAIT, || {
        lab.run_in(&tor, "gobgp", &["global"]).is_ok()
    }) {
        Ok(())
    } else {
        Err(LabError::Failed(format!(
            "gobgpd did not start (see {})",
            lab.log("gobgpd").display()
        )))
    }
}

/// Waits until the router listens and waits for every node (FRR keeps an eBGP neighbor
/// Idle, refusing its connections, until zebra confirms the address is connected), so
/// that the speakers' first attempt succeeds instead of starting their connect backoff.
/// Only warns when it does not happen within 10 s.
pub fn wait_listening(lab: &Lab, flavour: Flavour) {
    let tor = lab.names.tor();
    let waiting = || {
        let listens = lab
            .run_in(&tor, "ss", &["-Hltn", "sport = :179"])
            .is_ok_and(|out| !out.trim().is_empty());
        listens
            && views::peers(lab, flavour).is_ok_and(|peers| {
                peers
                    .iter()
                    .filter(|p| p.state == "Active" || p.state == "Passive")
                    .count()
                    == Node::all().count()
            })
    };
    if !poll(Duration::from_secs(10), waiting) {
        eprintln!(
            "lab: warning: the {} router is not waiting for every node after 10 s:",
            flavour.word()
        );
        if let Ok(peers) = views::peers(lab, flavour) {
            for p in peers {
                eprintln!("{p}");
            }
        }
    }
}
