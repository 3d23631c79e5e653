//! The lab's settings, from the environment: which instance (`LAB_ID`), where its state
//! lives (`LAB_DIR`), which daemon binary runs on the nodes (`KUBE_ANYCAST_BIN`), the
//! speakers' timers and BFD (`LAB_BFD`, `LAB_BFD_MS`, `LAB_BFD_MULT`).

use super::LabError;
use std::path::{Path, PathBuf};

/// BFD between the ToR and every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bfd {
    /// Transmit and receive interval, in milliseconds.
    pub interval_ms: u32,
    /// Detect multiplier.
    pub multiplier: u8,
}

/// Everything a verb reads from the environment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Names the instance: namespaces `ka-<id>-*`, state in `/tmp/kube-anycast-lab-<id>`.
    pub id: String,
    /// The state directory.
    pub dir: PathBuf,
    /// The kube-anycast binary the nodes run.
    pub binary: PathBuf,
    /// The repository (for `testbed/responder.py`).
    pub root: PathBuf,
    /// BGP hold time of the ToR and the speakers, in seconds.
    pub hold_time: u16,
    /// The speakers' shutdown drain (`2s`).
    pub drain: String,
    /// BFD, when on.
    pub bfd: Option<Bfd>,
}

/// True for 1-20 characters of `[a-z0-9-]` not starting with `-`: the id becomes part of
/// namespace names and paths.
pub fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    (1..=20).contains(&id.len())
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> Result<Settings, LabError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `var` (the environment, or a map in tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings, LabError> {
        let id = var("LAB_ID").unwrap_or_else(|| "lab".to_string());
        if !valid_id(&id) {
            return Err(LabError::BadId(id));
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let number = |name: &str, default: u32| -> Result<u32, LabError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| LabError::Usage(format!("{name} must be a number, got '{v}'"))),
            }
        };
        let bfd = match var("LAB_BFD").as_deref() {
            Some("1") => Some(Bfd {
                interval_ms: number("LAB_BFD_MS", 300)?,
                multiplier: u8::try_from(number("LAB_BFD_MULT", 3)?)
                    .map_err(|_| LabError::Usage("LAB_BFD_MULT must be below 256".into()))?,
            }),
            _ => None,
        };
        Ok(Settings {
            dir: var("LAB_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(format!("/tmp/kube-anycast-lab-{id}"))),
            binary: var("KUBE_ANYCAST_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target/release/kube-anycast")),
            hold_time: u16::try_from(number("LAB_HOLD_TIME", 9)?)
                .map_err(|_| LabError::Usage("LAB_HOLD_TIME must be below 65536".into()))?,
            drain: var("LAB_DRAIN").unwrap_or_else(|| "2s".to_string()),
            root,
            bfd,
            id,
        })
    }
}

#[cfg(test)]
mod tests;
