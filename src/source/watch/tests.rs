//! Each test starts a watch, makes one kind of change the way real writers make it, and
//! waits (with a deadline, never a fixed sleep) for the signal.

use super::*;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::time::Duration;

/// Generous: a loaded CI machine may be slow; a working watch answers in microseconds.
const DEADLINE: Duration = Duration::from_secs(20);

fn yaml_only(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    !hidden && path.extension().is_some_and(|e| e == "yaml")
}

async fn expect_change(watch: &mut PathWatch, what: &str) -> Change {
    tokio::time::timeout(DEADLINE, watch.changed())
        .await
        .unwrap_or_else(|_| panic!("no change signalled for {what}"))
        .expect("the watcher runs")
}

/// The kubelet's atomic writer (pkg/volume/util/atomic_writer.go): files go into a new
/// timestamped directory, a `..data_tmp` symlink to it is renamed over `..data`, then
/// the old directory is removed. The visible names are symlinks into `..data`.
pub(crate) struct ConfigMapVolume {
    dir: PathBuf,
    generation: u32,
}

impl ConfigMapVolume {
    pub(crate) fn new(dir: &Path, files: &[(&str, &str)]) -> ConfigMapVolume {
        let mut volume = ConfigMapVolume {
            dir: dir.to_owned(),
            generation: 0,
        };
        volume.update(files);
        for (name, _) in files {
            symlink(format!("..data/{name}"), dir.join(name)).unwrap();
        }
        volume
    }

    pub(crate) fn update(&mut self, files: &[(&str, &str)]) {
        let old = (self.generation > 0).then(|| self.timestamped(self.generation));
        self.generation += 1;
        let new = self.timestamped(self.generation);
        std::fs::create_dir(self.dir.join(&new)).unwrap();
        for (name, text) in files {
            std::fs::write(self.dir.join(&new).join(name), text).unwrap();
        }
        symlink(&new, self.dir.join("..data_tmp")).unwrap();
        std::fs::rename(self.dir.join("..data_tmp"), self.dir.join("..data")).unwrap();
        if let Some(old) = old {
            std::fs::remove_dir_all(self.dir.join(old)).unwrap();
        }
    }

    pub(crate) fn timestamped(&self, generation: u32) -> String {
        format!("..2026_12_07_02_00_{generation:02}.000000001")
    }
}

/// A directory holding `cluster.yaml`, and a watch on that file.
fn watched_file() -> (tempfile::TempDir, PathBuf, PathWatch) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.yaml");
    std::fs::write(&file, "a: 1\n").unwrap();
    let watch = PathWatch::new(std::slice::from_ref(&file), yaml_only).unwrap();
    (dir, file, watch)
}

/// A directory holding `files`, and a watch on the directory.
fn watched_dir(files: &[&str]) -> (tempfile::TempDir, PathWatch) {
    let dir = tempfile::tempdir().unwrap();
    for name in files {
        std::fs::write(dir.path().join(name), "x: 1\n").unwrap();
    }
    let watch = PathWatch::new(&[dir.path().to_owned()], yaml_only).unwrap();
    (dir, watch)
}

#[tokio::test]
async fn a_file_edited_in_place_is_signalled() {
    let (_dir, file, mut watch) = watched_file();
    // Opened, appended to and closed in one statement, as `>>` does.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(b"b: 2\n")
        .unwrap();
    expect_change(&mut watch, "an in-place append").await;
}

/// `>` truncates then writes: while the writer holds the file open it is half written,
/// and reading it then would take an empty file for an empty cluster.
#[tokio::test]
async fn a_file_being_rewritten_in_place_is_signalled_only_once_closed() {
    let (_dir, file, mut watch) = watched_file();
    let mut handle = std::fs::File::create(&file).unwrap(); // truncates
    handle.write_all(b"b: ").unwrap();
    handle.flush().unwrap();
    // Both the truncation and the partial write were reported to the watcher by now (a
    // later event, the close below, arrives after them on the same inotify queue).
    let early = tokio::time::timeout(Duration::from_millis(300), watch.changed()).await;
    assert!(
        early.is_err(),
        "signalled while the file was still open for writing"
    );
    handle.write_all(b"2\n").unwrap();
    drop(handle);
    expect_change(&mut watch, "the close of the rewritten file").await;
}

#[tokio::test]
async fn a_file_replaced_by_rename_is_signalled_and_followed_by_name() {
    let (dir, file, mut watch) = watched_file();
    let tmp = dir.path().join(".cluster.yaml.tmp");
    std::fs::write(&tmp, "a: 2\n").unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    expect_change(&mut watch, "a rename over the file").await;
    // The directory is watched, not the replaced inode: later writes are still seen.
    let real_dir = std::fs::canonicalize(dir.path()).unwrap();
    assert!(watch.watched.contains_key(&real_dir), "{:?}", watch.watched);
    assert!(watch.concerns(&real_dir.join("cluster.yaml")));
}

#[tokio::test]
async fn a_file_created_in_a_watched_directory_is_signalled() {
    let (dir, mut watch) = watched_dir(&["a.yaml"]);
    std::fs::write(dir.path().join("b.yaml"), "b: 1\n").unwrap();
    expect_change(&mut watch, "a new file in the directory").await;
}

#[tokio::test]
async fn a_file_removed_from_a_watched_directory_is_signalled() {
    let (dir, mut watch) = watched_dir(&["a.yaml", "b.yaml"]);
    std::fs::remove_file(dir.path().join("b.yaml")).unwrap();
    expect_change(&mut watch, "a file removed from the directory").await;
}

#[test]
fn only_accepted_entries_of_a_directory_matter() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::canonicalize(dir.path()).unwrap();
    let watch = PathWatch::new(&[dir.path().to_owned()], yaml_only).unwrap();
    assert!(watch.concerns(&real.join("new.yaml")));
    assert!(!watch.concerns(&real.join("notes.txt")));
    assert!(
        !watch.concerns(&real.join(".new.yaml.tmp")),
        "an editor's temp file is not a manifest until renamed"
    );
}

#[tokio::test]
async fn a_configmap_file_is_signalled_when_the_kubelet_swaps_data() {
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    let mut volume = ConfigMapVolume::new(&dir, &[("cluster.yaml", "a: 1\n")]);
    let file = dir.join("cluster.yaml");
    let mut watch = PathWatch::new(std::slice::from_ref(&file), yaml_only).unwrap();
    volume.update(&[("cluster.yaml", "a: 2\n")]);
    expect_change(&mut watch, "the ..data swap").await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a: 2\n");
    // The watches moved to the new timestamped directory; the old one is forgotten.
    let new_dir = dir.join(volume.timestamped(2));
    assert!(watch.watched.contains_key(&new_dir), "{:?}", watch.watched);
    assert!(!watch.watched.contains_key(&dir.join(volume.timestamped(1))));
    assert!(watch.concerns(&dir.join("..data")));
    assert!(watch.concerns(&new_dir.join("cluster.yaml")));
}

#[tokio::test]
async fn a_configmap_directory_is_signalled_when_the_kubelet_swaps_data() {
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    let mut volume = ConfigMapVolume::new(&dir, &[("cluster.yaml", "a: 1\n")]);
    let mut watch = PathWatch::new(std::slice::from_ref(&dir), yaml_only).unwrap();
    assert!(
        watch.concerns(&dir.join("..data")),
        "the swapped symlink is hidden but matters"
    );
    volume.update(&[("cluster.yaml", "a: 2\n")]);
    let change = expect_change(&mut watch, "the ..data swap in a watched directory").await;
    assert_eq!(change, Change::Everything, "a swap changes the layout");
}

#[tokio::test]
async fn a_file_replaced_in_a_watched_directory_is_named_alone() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::canonicalize(dir.path()).unwrap();
    for name in ["a.yaml", "b.yaml"] {
        std::fs::write(real.join(name), "x: 1\n").unwrap();
    }
    let mut watch = PathWatch::new(std::slice::from_ref(&real), yaml_only).unwrap();
    std::fs::write(real.join(".b.yaml.tmp"), "x: 2\n").unwrap();
    std::fs::rename(real.join(".b.yaml.tmp"), real.join("b.yaml")).unwrap();
    let change = expect_change(&mut watch, "a rename over b.yaml").await;
    assert_eq!(change, Change::Files(BTreeSet::from([real.join("b.yaml")])));
}

#[tokio::test]
async fn a_file_that_does_not_exist_yet_is_signalled_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("later").join("cluster.yaml");
    let mut watch = PathWatch::new(std::slice::from_ref(&file), yaml_only).unwrap();
    std::fs::create_dir(dir.path().join("later")).unwrap();
    std::fs::write(&file, "a: 1\n").unwrap();
    // The directory's creation may be signalled first; the file's must follow (the
    // watch on the new directory is in place before `changed` returns).
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        tokio::time::timeout_at(deadline, watch.changed())
            .await
            .expect("the file's appearance is signalled")
            .expect("the watcher runs");
        let real = std::fs::canonicalize(dir.path()).unwrap().join("later");
        if watch.watched.contains_key(&real) {
            break;
        }
    }
    assert!(file.exists());
}

#[test]
fn resolving_records_every_symlink_on_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(dir.path()).unwrap();
    ConfigMapVolume::new(&dir, &[("cluster.yaml", "a: 1\n")]);
    let mut seen = BTreeSet::new();
    let resolved = resolve(&dir.join("cluster.yaml"), &mut seen);
    let real = dir.join("..2026_12_07_02_00_01.000000001/cluster.yaml");
    assert_eq!(resolved, real);
    let expected: BTreeSet<PathBuf> = [dir.join("cluster.yaml"), dir.join("..data"), real]
        .into_iter()
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn a_symlink_loop_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    symlink("b", dir.path().join("a")).unwrap();
    symlink("a", dir.path().join("b")).unwrap();
    let mut seen = BTreeSet::new();
    resolve(&dir.path().join("a"), &mut seen);
}
