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
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, LabError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn lab_id_is_short_lowercase_and_does_not_start_with_a_dash() {
        for good in ["lab", "e2e-123-frr", "a", "abcdefghij0123456789"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in ["", "-x", "Lab", "a b", "a/b", "abcdefghij0123456789x", "é"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn defaults_name_the_state_directory_after_the_id() {
        let s = settings(&[("LAB_ID", "t1")]).expect("valid");
        assert_eq!(s.dir, PathBuf::from("/tmp/kube-anycast-lab-t1"));
        assert_eq!(s.hold_time, 9);
        assert_eq!(s.bfd, None);
        assert!(s.binary.ends_with("target/release/kube-anycast"));
    }

    #[test]
    fn bfd_takes_its_timers_from_the_environment() {
        let s = settings(&[("LAB_BFD", "1"), ("LAB_BFD_MS", "50")]).expect("valid");
        assert_eq!(
            s.bfd,
            Some(Bfd {
                interval_ms: 50,
                multiplier: 3
            })
        );
        assert!(matches!(
            settings(&[("LAB_ID", "Bad")]),
            Err(LabError::BadId(_))
        ));
        assert!(matches!(
            settings(&[("LAB_BFD", "1"), ("LAB_BFD_MS", "x")]),
            Err(LabError::Usage(_))
        ));
    }
}
