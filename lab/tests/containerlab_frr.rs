//! The containerlab routers' committed configs are exactly what `lab::frr::tor` renders
//! (`lab containerlab-frr` rewrites them).

use std::path::Path;

#[test]
fn committed_containerlab_frr_configs_are_the_rendered_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbed/containerlab");
    let files = lab::containerlab::router_files();
    assert_eq!(files.len(), 2);
    for (path, rendered) in files {
        let committed = std::fs::read_to_string(dir.join(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            committed,
            rendered,
            "{} differs from lab::containerlab; run `cargo run -p lab -- containerlab-frr`",
            path.display()
        );
    }
}
