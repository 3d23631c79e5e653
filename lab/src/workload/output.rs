//! Writing a workload as one `kind: List`, in kubectl's layout (JSON indented by four
//! spaces, YAML with sequences flush with their key), one object at a time.

use super::Spec;
use serde::Serialize;
use std::io::{self, Write};

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `kubectl get -o json`.
    Json,
    /// `kubectl get -o yaml`.
    Yaml,
}

/// What was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Objects in the List.
    pub objects: usize,
    /// Bytes written.
    pub bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} objects, {} bytes", self.objects, self.bytes)
    }
}

/// Writes `spec`'s objects to `out` as a List in `format`.
pub fn write(spec: &Spec, format: Format, out: impl Write) -> io::Result<Summary> {
    let mut out = Counting {
        inner: io::BufWriter::with_capacity(1 << 16, out),
        bytes: 0,
    };
    let mut objects = 0;
    match format {
        Format::Json => {
            out.write_all(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [")?;
            for object in spec.objects() {
                out.write_all(if objects == 0 { b"\n" } else { b",\n" })?;
                let mut text = Vec::with_capacity(4096);
                let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
                object
                    .serialize(&mut serde_json::Serializer::with_formatter(
                        &mut text, formatter,
                    ))
                    .map_err(io::Error::other)?;
                indent(&mut out, &text, b"        ", b"        ")?;
                objects += 1;
            }
            out.write_all(
                b"\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n",
            )?;
        }
        Format::Yaml => {
            out.write_all(b"apiVersion: v1\nitems:\n")?;
            for object in spec.objects() {
                let text = serde_saphyr::to_string(&object).map_err(io::Error::other)?;
                indent(&mut out, text.trim_end().as_bytes(), b"- ", b"  ")?;
                out.write_all(b"\n")?;
                objects += 1;
            }
            out.write_all(b"kind: List\nmetadata:\n  resourceVersion: \"\"\n")?;
        }
    }
    out.flush()?;
    Ok(Summary {
        objects,
        bytes: out.bytes,
    })
}

/// Writes `text` with `first` before its first line and `rest` before every other one.
fn indent(out: &mut impl Write, text: &[u8], first: &[u8], rest: &[u8]) -> io::Result<()> {
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(if i == 0 { first } else { rest })?;
        out.write_all(line)?;
    }
    Ok(())
}

/// A writer that counts what passes through it, for the summary line.
struct Counting<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
