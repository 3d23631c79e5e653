//! The `manifests` source: Services, EndpointSlices and Nodes from YAML or JSON files, as
//! `kubectl get svc,endpointslices,nodes -A -o yaml` prints them (multi-document streams
//! and `kind: List` both work). Used by `plan --manifests`, by the lab, and by clusters
//! that render their state into files.

use crate::cluster::ClusterState;
use crate::cluster::manifest::{AnyObject, Manifest};
use std::path::{Path, PathBuf};

mod json_stream;

/// A file that could not be used. The caller keeps the last good state.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ManifestError {
    /// The file (or directory) at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// Reads every file (directories: their `*.yaml`, `*.yml` and `*.json` files, sorted, not
/// recursive) and builds the cluster state seen from `node_name`. Objects of other kinds
/// are ignored; Nodes other than `node_name` too.
pub fn load(paths: &[PathBuf], node_name: &str) -> Result<ClusterState, ManifestError> {
    let mut state = ClusterState::default();
    for file in files(paths)? {
        load_file(&mut state, &file, node_name).map_err(|message| ManifestError {
            path: file.clone(),
            message,
        })?;
    }
    Ok(state)
}

/// Adds the objects of one file to `state`. JSON (what `kubectl get -o json` prints) is
/// parsed object by object as it is read (module `json_stream`), so a 100 MB dump never
/// sits in memory; YAML is read whole.
pub fn load_file(state: &mut ClusterState, path: &Path, node_name: &str) -> Result<(), String> {
    use std::io::{BufRead, Read};
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
    let first = loop {
        let buffer = reader.fill_buf().map_err(|e| e.to_string())?;
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => break Some(buffer[at]),
            None if buffer.is_empty() => break None,
            None => {
                let n = buffer.len();
                reader.consume(n);
            }
        }
    };
    if matches!(first, Some(b'{' | b'[')) {
        return add_json_documents(state, json_stream::documents(reader), node_name);
    }
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| format!("not UTF-8 text: {e}"))?;
    add_documents(state, &text, node_name)
}

/// The files `paths` stand for, in a stable order.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ManifestError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| ManifestError {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ManifestError {
                    path: path.clone(),
                    message: e.to_string(),
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_manifest_name(p))
                .collect();
            entries.sort();
            out.extend(entries);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

pub(crate) fn is_manifest_name(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    let ext = path.extension().and_then(|e| e.to_str());
    !hidden && matches!(ext, Some("yaml" | "yml" | "json"))
}

/// Adds every object of a JSON stream. serde_json reads the objects straight into the
/// slim types: what no rule reads is skipped, never stored.
fn add_json_documents(
    state: &mut ClusterState,
    documents: impl Iterator<Item = serde_json::Result<AnyObject>>,
    node_name: &str,
) -> Result<(), String> {
    for (index, document) in documents.enumerate() {
        let document = document.map_err(|e| format!("document {}: {e}", index + 1))?;
        add_object(state, document, node_name)
            .map_err(|e| format!("document {}: {e}", index + 1))?;
    }
    Ok(())
}

/// Adds every object of a YAML (or JSON) stream to `state`.
pub fn add_documents(state: &mut ClusterState, text: &str, node_name: &str) -> Result<(), String> {
    let documents: Vec<AnyObject> =
        serde_saphyr::from_multiple_with_options(text, yaml_options(text.len()))
            .map_err(|e| first_line(&e.to_string()))?;
    for (index, document) in documents.into_iter().enumerate() {
        add_object(state, document, node_name)
            .map_err(|e| format!("document {}: {e}", index + 1))?;
    }
    Ok(())
}

/// The parser's limits, sized from the input: the default node budget (250,000) refuses a
/// dump of 5,000 Services. A node, event or document needs at least one byte of input, so
/// limits proportional to the length cannot refuse a well-formed file, while aliases,
/// anchors and nesting keep their defaults against YAML bombs.
fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_documents = budget.max_documents.max(len);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

fn add_object(state: &mut ClusterState, object: AnyObject, node_name: &str) -> Result<(), String> {
    add_manifest(state, object.into_manifest(), node_name)
}

fn add_manifest(
    state: &mut ClusterState,
    manifest: Manifest,
    node_name: &str,
) -> Result<(), String> {
    match manifest {
        Manifest::List(items) => {
            for (i, item) in items.into_iter().enumerate() {
                add_manifest(state, item, node_name).map_err(|e| format!("items[{i}]: {e}"))?;
            }
        }
        Manifest::Service(key, service) => {
            let key = key.ok_or("Service without metadata.name")?;
            state.upsert_service(key, service);
        }
        Manifest::Slice(key, slice) => {
            let key = key.ok_or("EndpointSlice without metadata.name")?;
            state.upsert_slice(key, slice);
        }
        Manifest::Node(name, node) => {
            if name.as_deref() == Some(node_name) {
                state.set_node(Some(node));
            }
        }
        Manifest::Namespace(name, namespace) => {
            let name = name.ok_or("Namespace without metadata.name")?;
            state.upsert_namespace(name, namespace);
        }
        // Pods, Endpoints and the rest of a `kubectl get all` dump; untyped items of a
        // plain `List`.
        Manifest::Other | Manifest::Untyped(_) => {}
    }
    Ok(())
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid YAML")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests;
