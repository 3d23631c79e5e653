//! The rack lab of the `lab` binary's verbs (`lab up`, `routes`, `peers`, `set-endpoint`,
//! ...): one top-of-rack router (FRR, BIRD 2 or GoBGP), three Kubernetes nodes each
//! running `kube-anycast run` against a shared manifests file, and a client behind the
//! router, all in network namespaces with nothing connected to the root namespace.
//!
//! Unlike the tests' racks, which live as long as one test, this one lives between
//! commands: `up` leaves it running and `down` removes it. Its state is a directory
//! (`/tmp/kube-anycast-lab-<LAB_ID>/`: the flavour, the namespaces, the endpoints, the
//! cluster file, pid files, configs and logs), and its processes are owned through pid
//! files ([`crate::process::owned`]).
//!
//! - [`plan`]: addresses, ASNs, Services; [`settings`]: the environment.
//! - [`cluster`]: endpoints and the manifests file; [`tor_config`]: the routers' configs.
//! - [`topology`], [`tor`], [`node`]: building the rack and starting its processes.
//! - [`views`]: the `routes` and `peers` lines; [`lifecycle`]: `up` and `down`;
//!   [`verbs`]: everything else; [`wait`]: polls that a Ctrl-C ends.

pub mod cluster;
mod error;
pub mod lifecycle;
pub mod node;
pub mod plan;
pub mod settings;
pub mod topology;
pub mod tor;
pub mod tor_config;
pub mod verbs;
pub mod views;
pub mod wait;

pub use error::LabError;
pub use settings::{Bfd, Settings};

use crate::process::owned::PidFiles;
use plan::Names;
use std::path::PathBuf;

/// The router on the ToR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// FRR: zebra and bgpd (and bfdd with BFD); routes from the kernel FIB.
    Frr,
    /// BIRD 2; routes from the kernel FIB.
    Bird,
    /// GoBGP: no FIB, so routes from its RIB; no BFD.
    Gobgp,
}

impl Flavour {
    /// `frr`, `bird` or `gobgp`.
    pub fn parse(word: &str) -> Option<Flavour> {
        match word {
            "frr" => Some(Flavour::Frr),
            "bird" => Some(Flavour::Bird),
            "gobgp" => Some(Flavour::Gobgp),
            _ => None,
        }
    }

    /// The word [`Flavour::parse`] reads.
    pub fn word(self) -> &'static str {
        match self {
            Flavour::Frr => "frr",
            Flavour::Bird => "bird",
            Flavour::Gobgp => "gobgp",
        }
    }
}

/// One lab instance: its settings and names, and access to its state directory.
#[derive(Clone, Debug)]
pub struct Lab {
    /// From the environment.
    pub settings: Settings,
    /// Its namespaces.
    pub names: Names,
}

impl Lab {
    /// The lab the environment names.
    pub fn from_env() -> Result<Lab, LabError> {
        Ok(Lab::new(Settings::from_env()?))
    }

    /// The lab of `settings`.
    pub fn new(settings: Settings) -> Lab {
        Lab {
            names: Names::new(&settings.id),
            settings,
        }
    }

    /// A path inside the state directory.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.settings.dir.join(relative)
    }

    /// The ToR's private directory (configs, sockets, router logs).
    pub fn tor_dir(&self) -> PathBuf {
        self.path("tor")
    }

    /// The log file of process `name`.
    pub fn log(&self, name: &str) -> PathBuf {
        self.path(&format!("logs/{name}.log"))
    }

    /// The namespaces this lab created (the `namespaces` state file).
    pub fn namespaces(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("namespaces"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The lab's processes.
    pub fn pids(&self) -> PidFiles {
        PidFiles::new(&self.path("pids"), self.namespaces())
    }

    /// The flavour `up` recorded; [`LabError::NotUp`] when the lab is not up.
    pub fn flavour(&self) -> Result<Flavour, LabError> {
        std::fs::read_to_string(self.path("flavour"))
            .ok()
            .and_then(|w| Flavour::parse(w.trim()))
            .ok_or_else(|| LabError::NotUp {
                id: self.settings.id.clone(),
                dir: self.settings.dir.display().to_string(),
            })
    }

    /// BFD as `up` recorded it (the setting of the lab, not of this command).
    pub fn bfd(&self) -> Option<Bfd> {
        let text = std::fs::read_to_string(self.path("bfd")).ok()?;
        let mut words = text.split_whitespace();
        let on = words.next()? == "1";
        let interval_ms = words.next()?.parse().ok()?;
        let multiplier = words.next()?.parse().ok()?;
        on.then_some(Bfd {
            interval_ms,
            multiplier,
        })
    }

    /// Starts `program args...` in `ns` as process `name` of the lab, its output in its
    /// log.
    pub fn start(
        &self,
        name: &str,
        ns: &str,
        program: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Result<u32, LabError> {
        Ok(self
            .pids()
            .spawn(name, ns, &self.log(name), program, args, envs)?)
    }

    /// Runs `program args...` inside `ns` to completion and returns its stdout.
    pub fn run_in(&self, ns: &str, program: &str, args: &[&str]) -> Result<String, LabError> {
        let mut all = vec!["netns", "exec", ns, program];
        all.extend_from_slice(args);
        Ok(crate::process::run("ip", &all)?)
    }
}
