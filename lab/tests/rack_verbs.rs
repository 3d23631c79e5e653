//! The `lab` binary's rack verbs, run as a user runs them: `up frr` with a unique
//! `LAB_ID`, `routes` shows both Services with one next hop per node that has an
//! endpoint, `curl` gets answers from those nodes, `set-endpoint ... gone` withdraws,
//! and `down` leaves no namespace, no process and no state. `down` also runs when the
//! test fails half-way.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `lab ARGS...` for lab `id`.
fn lab(id: &str, binary: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .env("LAB_ID", id)
        .env("KUBE_ANYCAST_BIN", binary)
        .env_remove("LAB_DIR")
        .env_remove("LAB_BFD")
        .output()
        .unwrap_or_else(|e| panic!("cannot run lab {args:?}: {e}"))
}

/// `lab ARGS...`, which must succeed; returns its stdout.
fn lab_ok(id: &str, binary: &Path, args: &[&str]) -> String {
    let out = lab(id, binary, args);
    assert!(
        out.status.success(),
        "lab {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `lab down` on drop unless it already ran: a failing test leaves nothing behind.
struct DownOnDrop {
    id: String,
    binary: PathBuf,
    done: bool,
}

impl Drop for DownOnDrop {
    fn drop(&mut self) {
        if !self.done {
            let out = lab(&self.id, &self.binary, &["down"]);
            eprintln!("lab down: {}", String::from_utf8_lossy(&out.stdout));
        }
    }
}

/// The pids recorded in the lab's pid files.
fn recorded_pids(state: &Path) -> Vec<u32> {
    std::fs::read_dir(state.join("pids"))
        .expect("the lab has pid files")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Every answer of `lab curl` is one of `nodes`.
fn answers_only_from(output: &str, nodes: &[&str]) {
    let answers: Vec<&str> = output.lines().collect();
    assert!(!answers.is_empty(), "no answer at all");
    for a in answers {
        assert!(nodes.contains(&a), "answer {a:?}, wanted one of {nodes:?}");
    }
}

#[test]
fn up_routes_curl_set_endpoint_and_down_leave_nothing_behind() {
    if !lab::prereq::lab_available(
        "up_routes_curl_set_endpoint_and_down_leave_nothing_behind",
        &[lab::prereq::Router::Frr],
    ) {
        return;
    }
    let binary = lab::bench::binary::build_kube_anycast(false).expect("kube-anycast builds");
    let id = format!("lv{}", std::process::id());
    let state = PathBuf::from(format!("/tmp/kube-anycast-lab-{id}"));
    let mut guard = DownOnDrop {
        id: id.clone(),
        binary: binary.clone(),
        done: false,
    };

    lab_ok(&id, &binary, &["up", "frr"]);
    for (prefix, hops) in [
        ("203.0.113.10", "3"),
        ("203.0.113.20", "2"),
        ("fd00:203::10", "3"),
        ("fd00:203::20", "2"),
    ] {
        lab_ok(&id, &binary, &["wait-routes", prefix, hops, "60"]);
    }
    assert_eq!(
        lab_ok(&id, &binary, &["routes"]),
        "203.0.113.10/32 10.11.0.11 10.11.0.12 10.11.0.13\n\
         203.0.113.20/32 10.11.0.12 10.11.0.13\n\
         fd00:203::10/128 fd00:11::11 fd00:11::12 fd00:11::13\n\
         fd00:203::20/128 fd00:11::12 fd00:11::13\n"
    );
    assert_eq!(
        lab_ok(&id, &binary, &["peers"]),
        "node1 10.11.0.11 65101 Established 2\n\
         node2 10.11.0.12 65102 Established 4\n\
         node3 10.11.0.13 65103 Established 4\n"
    );
    let all = ["node1", "node2", "node3"];
    answers_only_from(&lab_ok(&id, &binary, &["curl", "6"]), &all);
    answers_only_from(&lab_ok(&id, &binary, &["curl", "3", "6"]), &all);

    assert_eq!(
        lab_ok(&id, &binary, &["set-endpoint", "node1", "web", "gone"]),
        "node1 web gone\n"
    );
    lab_ok(&id, &binary, &["wait-routes", "203.0.113.10/32", "2", "30"]);
    lab_ok(&id, &binary, &["wait-routes", "fd00:203::10", "2", "30"]);
    let routes = lab_ok(&id, &binary, &["routes"]);
    assert!(
        routes
            .lines()
            .any(|l| l == "203.0.113.10/32 10.11.0.12 10.11.0.13"),
        "{routes}"
    );
    answers_only_from(&lab_ok(&id, &binary, &["curl", "6"]), &["node2", "node3"]);

    let pids = recorded_pids(&state);
    assert!(pids.len() >= 3, "speakers, router and responders: {pids:?}");
    let out = lab_ok(&id, &binary, &["down"]);
    guard.done = true;
    assert_eq!(out, format!("lab '{id}' down\n"));
    let namespaces = lab::process::run("ip", &["netns", "list"]).expect("ip netns list");
    let prefix = format!("ka-{id}-");
    assert!(
        !namespaces.lines().any(|l| l.starts_with(&prefix)),
        "{namespaces}"
    );
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let alive = stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'));
        assert!(!alive, "process {pid} still runs: {stat}");
    }
    assert!(!state.exists(), "{} is left", state.display());
}

#[test]
fn verbs_refuse_a_bad_lab_id_and_a_lab_that_is_not_up() {
    let bin = Path::new("/nonexistent");
    let bad = lab("Not_Valid", bin, &["routes"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("LAB_ID must be 1-20 of [a-z0-9-]"));
    let id = format!("lvnotup{}", std::process::id());
    let not_up = lab(&id, bin, &["peers"]);
    assert_eq!(not_up.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&not_up.stderr).contains(&format!("lab '{id}' is not up")),
        "{}",
        String::from_utf8_lossy(&not_up.stderr)
    );
    let down = lab(&id, bin, &["down"]);
    assert!(down.status.success());
    assert_eq!(
        String::from_utf8_lossy(&down.stdout),
        format!("lab '{id}' is not up\n")
    );
    assert_eq!(lab_ok(&id, bin, &["tor-ns"]), format!("ka-{id}-tor\n"));
}
