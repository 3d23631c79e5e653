//! `kube-anycast check`: validate the config file and read its password files.

use crate::config::Config;
use std::path::Path;

/// Every problem in the config at `path`, one line each naming its field; empty when fine.
pub fn problems(path: &Path) -> Vec<String> {
    match Config::load(path) {
        Ok(config) => config.check_password_files(),
        Err(e) => e.problems,
    }
}
