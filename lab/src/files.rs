//! Private directories for lab instances (configs, sockets, pid files, logs), kept when a
//! test fails so its logs can be read.

/// A fresh private directory for one router instance of one namespace.
pub fn lab_dir(ns: &str, what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("kube-anycast-lab")
        .join(format!("{ns}-{what}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("lab setup: cannot create {}: {e}", dir.display()));
    use std::os::unix::fs::PermissionsExt;
    for d in [dir.as_path(), dir.parent().unwrap_or(&dir)] {
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
    }
    dir
}

/// Removes a lab directory, or keeps it (and says where) when the test is failing so its
/// logs can be read.
pub fn remove_lab_dir(dir: &std::path::Path) {
    if std::thread::panicking() {
        eprintln!("lab files kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The last `lines` lines of a log file (or why it could not be read).
pub fn tail(path: &std::path::Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let from = all.len().saturating_sub(lines);
            format!("{}:\n{}", path.display(), all[from..].join("\n"))
        }
        Err(e) => format!("{}: {e}", path.display()),
    }
}
