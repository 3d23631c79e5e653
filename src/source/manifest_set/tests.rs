//! Each test changes files the way real writers do and refreshes by hand: what is
//! parsed, what the shared state holds and what the decision is told.

use super::*;
use crate::cluster::ObjectKey;
use std::path::{Path, PathBuf};

pub(crate) fn service(name: &str, ip: &str) -> String {
    format!(
        "kind: Service\nmetadata: {{name: {name}, namespace: x}}\nspec: {{externalIPs: [{ip}]}}\n"
    )
}

pub(crate) fn replace(path: &Path, text: &str) {
    let tmp = path.with_file_name(".replace.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The version a reader subscribing now would see first.
fn current_version(shared: &SharedCluster) -> crate::source::Version {
    *shared.subscribe().borrow()
}

pub(crate) fn service_names(shared: &SharedCluster) -> Vec<String> {
    shared.read(|s| s.services().keys().map(ToString::to_string).collect())
}

/// The externalIP of Service `x/name` in the shared state, when it has exactly one.
fn only_ip(shared: &SharedCluster, name: &str) -> Option<String> {
    shared.read(
        |s| match &*s.services().get(&ObjectKey::new("x", name))?.external_ips {
            [ip] => Some(ip.to_string()),
            _ => None,
        },
    )
}

/// Asserts the only externalIP of each Service `x/name` listed as (name, IP).
fn assert_only_ips(shared: &SharedCluster, expected: &[(&str, &str)]) {
    for (name, ip) in expected {
        assert_eq!(
            only_ip(shared, name).as_deref(),
            Some(*ip),
            "Service x/{name}"
        );
    }
}

/// The node the manifests are read for.
const NODE: &str = "node-a";

/// A temporary directory of manifest files, the shared state and the set that keeps it.
struct Manifests {
    dir: tempfile::TempDir,
    paths: Vec<PathBuf>,
    shared: SharedCluster,
    set: ManifestSet,
}

impl Manifests {
    /// The directory, configured as a whole, holding `files` (name, content); read once.
    fn dir(files: &[(&str, String)]) -> Manifests {
        Manifests::dir_in_steps(files, 0)
    }

    /// As [`Manifests::dir`], the first load parsing `step` files at a time (0: its own
    /// choice).
    fn dir_in_steps(files: &[(&str, String)], step: usize) -> Manifests {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        let paths = vec![dir.path().to_owned()];
        let set = ManifestSet {
            first_load_step: step,
            ..ManifestSet::default()
        };
        Manifests::read_into(dir, paths, set)
    }

    /// The one configured file `name` in the directory, holding `content` unless it is
    /// `None`; read once.
    fn file(name: &str, content: Option<String>) -> Manifests {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        Manifests::read(dir, vec![path])
    }

    fn read(dir: tempfile::TempDir, paths: Vec<PathBuf>) -> Manifests {
        Manifests::read_into(dir, paths, ManifestSet::default())
    }

    fn read_into(dir: tempfile::TempDir, paths: Vec<PathBuf>, set: ManifestSet) -> Manifests {
        let mut m = Manifests {
            dir,
            paths,
            shared: SharedCluster::default(),
            set,
        };
        m.refresh();
        m
    }

    /// The file `name` in the directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Reads what changed, as the source does on a change.
    fn refresh(&mut self) {
        self.set.refresh(&self.paths, NODE, &self.shared);
    }
}

#[test]
fn an_unchanged_file_is_never_parsed_twice() {
    let mut m = Manifests::file("cluster.yaml", Some(service("a", "203.0.113.1")));
    let file = m.path("cluster.yaml");
    assert_eq!(m.set.parses(), 1);
    std::fs::write(&file, service("a", "203.0.113.1")).unwrap();
    m.refresh();
    replace(&file, &service("a", "203.0.113.1"));
    m.refresh();
    assert_eq!(m.set.parses(), 1, "same bytes, rewritten and renamed over");
    replace(&file, &service("a", "203.0.113.2"));
    m.refresh();
    assert_eq!(m.set.parses(), 2);
}

#[test]
fn a_change_reaches_the_decision_as_the_changed_service_only() {
    let mut m = Manifests::dir(&[
        ("a.yaml", service("a", "203.0.113.1")),
        ("b.yaml", service("b", "203.0.113.2")),
    ]);
    assert!(current_version(&m.shared).synced);
    m.shared.with_mut(|s| s.take_dirty());
    let generation = current_version(&m.shared).generation;
    replace(&m.path("b.yaml"), &service("b", "203.0.113.3"));
    m.refresh();
    assert_eq!(m.set.parses(), 3, "only b.yaml parsed again");
    assert!(current_version(&m.shared).generation > generation);
    let dirty = m.shared.with_mut(|s| s.take_dirty());
    assert_eq!(
        dirty,
        crate::cluster::Dirty::Services([ObjectKey::new("x", "b")].into_iter().collect())
    );
    let generation = current_version(&m.shared).generation;
    std::fs::write(
        m.path("a.yaml"),
        format!("# a comment\n{}", service("a", "203.0.113.1")),
    )
    .unwrap();
    m.refresh();
    assert_eq!(
        current_version(&m.shared).generation,
        generation,
        "a file whose objects did not change wakes nobody"
    );
}

#[test]
fn a_broken_file_keeps_its_last_good_content_and_is_parsed_once_per_change() {
    let mut m = Manifests::file("cluster.yaml", Some(service("a", "203.0.113.1")));
    let file = m.path("cluster.yaml");
    replace(&file, "kind: Service\nmetadata: [unclosed\n");
    m.refresh();
    m.refresh();
    assert_eq!(
        m.set.parses(),
        2,
        "the broken bytes are parsed (and reported) once"
    );
    assert_eq!(service_names(&m.shared), vec!["x/a".to_string()]);
    std::fs::remove_file(&file).unwrap();
    m.refresh();
    assert_eq!(
        service_names(&m.shared),
        vec!["x/a".to_string()],
        "a configured file that vanished keeps its last good content"
    );
}

#[test]
fn files_leaving_a_directory_take_their_objects_and_duplicates_fall_back() {
    let mut m = Manifests::dir(&[
        ("a.yaml", service("a", "203.0.113.1")),
        ("b.yaml", service("a", "203.0.113.9")),
    ]);
    assert_eq!(
        only_ip(&m.shared, "a").as_deref(),
        Some("203.0.113.9"),
        "the later file wins, as in `plan`"
    );
    std::fs::remove_file(m.path("b.yaml")).unwrap();
    m.refresh();
    assert_eq!(only_ip(&m.shared, "a").as_deref(), Some("203.0.113.1"));
    std::fs::remove_file(m.path("a.yaml")).unwrap();
    m.refresh();
    assert!(service_names(&m.shared).is_empty());
    assert_eq!(m.set.parses(), 2);
}

#[test]
fn a_missing_path_is_not_synced_until_it_appears() {
    let mut m = Manifests::file("later.yaml", None);
    assert!(!current_version(&m.shared).synced);
    std::fs::write(m.path("later.yaml"), service("a", "203.0.113.1")).unwrap();
    m.refresh();
    assert!(current_version(&m.shared).synced);
}

/// Three files define one Service, each its own way: the last file's copy is in force,
/// and when files change or go, the copy in force is always the last remaining one,
/// without parsing the files that did not change.
#[test]
fn the_last_file_defining_an_object_wins_as_files_change_and_go() {
    let mut m = Manifests::dir(&[
        ("a.yaml", service("s", "203.0.113.1")),
        ("b.yaml", service("s", "203.0.113.2")),
        ("c.yaml", service("s", "203.0.113.3")),
    ]);
    let ip = |shared: &SharedCluster| {
        shared.read(|s| {
            s.services()
                .get(&ObjectKey::new("x", "s"))
                .and_then(|svc| svc.external_ips.first().map(|ip| ip.to_string()))
        })
    };
    // Refreshes after a change; the copy in force is then `expected`, for `why`.
    let in_force_after_refresh = |m: &mut Manifests, expected: &str, why: &str| {
        m.refresh();
        assert_eq!(ip(&m.shared).as_deref(), Some(expected), "{why}");
    };
    assert_eq!(ip(&m.shared).as_deref(), Some("203.0.113.3"));
    replace(&m.path("b.yaml"), &service("s", "203.0.113.22"));
    in_force_after_refresh(&mut m, "203.0.113.3", "c.yaml still wins");
    std::fs::remove_file(m.path("c.yaml")).unwrap();
    in_force_after_refresh(&mut m, "203.0.113.22", "b.yaml's new copy");
    std::fs::write(m.path("ab.yaml"), service("s", "203.0.113.12")).unwrap();
    in_force_after_refresh(&mut m, "203.0.113.22", "ab.yaml sorts before b.yaml");
    std::fs::remove_file(m.path("b.yaml")).unwrap();
    in_force_after_refresh(&mut m, "203.0.113.12", "ab.yaml is now the last");
    std::fs::remove_file(m.path("ab.yaml")).unwrap();
    in_force_after_refresh(&mut m, "203.0.113.1", "a.yaml is all that is left");
    assert_eq!(m.set.parses(), 5, "three files, one change, one new file");
}

mod against_load {
    //! Whatever is done to the files, the shared state equals what [`load`] builds from
    //! scratch (the reference `plan` uses), and only changed bytes are parsed. Files are
    //! refreshed as the source refreshes them: by name when the set knows them.

    use super::*;
    use crate::source::manifests::load;
    use proptest::prelude::*;

    /// One document: (kind, which object, which variant).
    fn document((kind, which, variant): (u8, u8, u8)) -> String {
        let name = ["a", "b", "c"][usize::from(which % 3)];
        match kind % 3 {
            0 => service(name, &format!("203.0.113.{}", variant + 1)),
            1 => format!(
                "kind: EndpointSlice\nmetadata: {{name: {name}-1, namespace: x, labels: {{kubernetes.io/service-name: {name}}}}}\naddressType: IPv4\nendpoints: [{{addresses: [10.0.0.1], nodeName: node-a, conditions: {{ready: {}}}}}]\n",
                variant % 2 == 0
            ),
            _ => format!("kind: Node\nmetadata: {{name: node-a, labels: {{rack: r{variant}}}}}\n"),
        }
    }

    fn content(documents: &[(u8, u8, u8)]) -> String {
        documents
            .iter()
            .map(|d| document(*d))
            .collect::<Vec<_>>()
            .join("---\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn the_shared_state_equals_a_fresh_load(
            ops in prop::collection::vec(
                (0u8..4, prop::option::weighted(0.8, prop::collection::vec((0u8..3, 0u8..3, 0u8..3), 0..4))),
                1..14,
            )
        ) {
            let mut m = Manifests::dir(&[]);
            let mut changed_writes = 0;
            for (file, op) in ops {
                let path = m.path(&format!("f{file}.yaml"));
                match op {
                    Some(documents) => {
                        let text = content(&documents);
                        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                            changed_writes += 1;
                        }
                        replace(&path, &text);
                    }
                    None => {
                        let _ = std::fs::remove_file(&path);
                    }
                }
                // As the source does on an inotify event: the named file alone when the
                // set knows it (through the index of definers), else everything.
                let named = std::collections::BTreeSet::from([path]);
                if !m.set.refresh_files(&named, NODE, &m.shared) {
                    m.refresh();
                }
                let reference = load(&m.paths, NODE).unwrap();
                m.shared.read(|s| {
                    prop_assert_eq!(s.services(), reference.services());
                    prop_assert_eq!(s.endpoint_slices(), reference.endpoint_slices());
                    prop_assert_eq!(s.node(), reference.node());
                    Ok(())
                })?;
            }
            prop_assert!(m.set.parses() <= changed_writes, "{} parses for {} changes", m.set.parses(), changed_writes);
        }
    }
}

#[test]
fn a_named_file_is_read_alone_and_an_unknown_one_asks_for_everything() {
    let mut m = Manifests::dir(&[
        ("a.yaml", service("a", "203.0.113.1")),
        ("b.yaml", service("b", "203.0.113.2")),
    ]);
    let b = m.path("b.yaml");
    assert_eq!(m.set.parses(), 2);

    replace(&b, &service("c", "203.0.113.3"));
    let named = std::collections::BTreeSet::from([b.clone()]);
    assert!(m.set.refresh_files(&named, NODE, &m.shared));
    assert_eq!(m.set.parses(), 3, "b alone was read again");
    assert_eq!(service_names(&m.shared), ["x/a", "x/c"]);

    std::fs::remove_file(&b).unwrap();
    assert!(m.set.refresh_files(&named, NODE, &m.shared));
    assert_eq!(service_names(&m.shared), ["x/a"]);

    let new = m.path("d.yaml");
    std::fs::write(&new, service("d", "203.0.113.4")).unwrap();
    let unknown = std::collections::BTreeSet::from([new]);
    assert!(
        !m.set.refresh_files(&unknown, NODE, &m.shared),
        "a new file takes a place in the load order: everything is read"
    );
    assert_eq!(service_names(&m.shared), ["x/a"], "nothing done");
}

/// The first load in steps of two files: a file of a later step that defines an object
/// of an earlier step wins, the state is the one a single step builds, it is synced at
/// the end, and the copies it overrides come back when it goes.
#[test]
fn a_first_load_in_steps_builds_the_state_of_one_step() {
    let files = [
        ("a.yaml", service("s", "203.0.113.1")),
        ("b.yaml", service("t", "203.0.113.2")),
        ("c.yaml", service("s", "203.0.113.3")),
        ("d.yaml", service("u", "203.0.113.4")),
        ("e.yaml", service("t", "203.0.113.5")),
    ];
    let mut stepped = Manifests::dir_in_steps(&files, 2);
    let whole = Manifests::dir(&files);
    assert_eq!(service_names(&stepped.shared), ["x/s", "x/t", "x/u"]);
    assert_only_ips(
        &stepped.shared,
        &[("s", "203.0.113.3"), ("t", "203.0.113.5")],
    );
    let services = |m: &Manifests| m.shared.read(|s| s.services().clone());
    assert!(
        services(&stepped) == services(&whole),
        "the stepped load holds what one step holds"
    );
    assert!(current_version(&stepped.shared).synced);
    assert_eq!(stepped.set.parses(), 5, "each file parsed once");
    std::fs::remove_file(stepped.path("c.yaml")).unwrap();
    std::fs::remove_file(stepped.path("e.yaml")).unwrap();
    stepped.refresh();
    // The overridden copies came back without parsing anything.
    assert_eq!(stepped.set.parses(), 5);
    assert_only_ips(
        &stepped.shared,
        &[("s", "203.0.113.1"), ("t", "203.0.113.2")],
    );
}

/// Service `name` and its EndpointSlice, as two documents.
fn service_with_slice(name: &str, ip: &str) -> String {
    format!(
        "{}---\nkind: EndpointSlice\naddressType: IPv4\nmetadata: {{name: {name}-a, namespace: x, labels: {{kubernetes.io/service-name: {name}}}}}\nendpoints: []\n",
        service(name, ip)
    )
}

#[test]
fn many_services_deleted_go_first_as_one_state_then_their_slices() {
    let services = SERVICES_FIRST + 1;
    let content: Vec<String> = (0..services)
        .map(|i| service_with_slice(&format!("s{i}"), &format!("10.0.{}.{}", i / 250, i % 250)))
        .collect();
    let mut m = Manifests::dir(&[("all.yaml", content.join("---\n"))]);
    assert_eq!(service_names(&m.shared).len(), services);
    replace(&m.path("all.yaml"), "");

    // A reader like the decision loop: takes in each new generation and notes what it
    // held, until the state is empty.
    let _subscribed = m.shared.subscribe();
    let seen = std::thread::scope(|scope| {
        let shared = &m.shared;
        let reader = scope.spawn(move || {
            let mut seen = Vec::new();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let held = shared.take_in(|c| (c.services().len(), c.endpoint_slices().len()));
                if seen.last() != Some(&held) {
                    seen.push(held);
                }
                if held == (0, 0) || std::time::Instant::now() > deadline {
                    return seen;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        });
        m.set.refresh(&m.paths, NODE, shared);
        reader.join().unwrap()
    });
    assert_eq!(seen.last(), Some(&(0, 0)), "{seen:?}");
    assert!(
        seen.contains(&(0, services)),
        "the Services went first, their slices after: {seen:?}"
    );
    assert!(
        seen.iter().all(|(s, _)| *s == 0 || *s == services),
        "the Services went as one state: {seen:?}"
    );
}
