//! A JSON manifest file parsed one object at a time, at the speed serde_json parses a
//! slice.
//!
//! From a `Read`, serde_json takes one byte at a time and keeps a line and column for
//! each: at start-up with 10,000 Services as `kubectl get -o json` prints them, that was
//! most of the daemon's CPU. From a slice it scans strings and skipped values in bulk.
//! A 100 MB dump is not held whole, though: this reader cuts the stream into pieces small
//! enough to hold and hands each to serde_json as a slice. A piece is a top-level
//! document, except that each element of a document's `items` array (a `List`) is a
//! piece of its own, parsed as soon as it is complete, and the document is parsed
//! without them. The cutting only follows nesting and strings; serde_json still checks
//! every byte of every piece.

use crate::cluster::manifest::{AnyObject, Items, Manifest};
use serde::de::Error as _;
use std::io::BufRead;

/// The documents of a JSON stream, each with its `items` already read. It ends after the
/// first error, as serde_json's own stream does: what follows a broken document cannot
/// be placed.
pub fn documents(mut reader: impl BufRead) -> impl Iterator<Item = serde_json::Result<AnyObject>> {
    let mut cut = Cut::default();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let next = next_document(&mut reader, &mut cut).transpose();
        failed = matches!(next, Some(Err(_)));
        next
    })
}

/// Reads until the next document is complete; `None` at the end of the stream.
fn next_document(
    reader: &mut impl BufRead,
    cut: &mut Cut,
) -> serde_json::Result<Option<AnyObject>> {
    loop {
        let chunk = reader.fill_buf().map_err(serde_json::Error::io)?;
        if chunk.is_empty() {
            return cut.end_of_stream();
        }
        let (used, done) = cut.follow(chunk);
        reader.consume(used);
        if done {
            return cut.finish_document().map(Some);
        }
    }
}

/// Where the cutting is in the current document.
#[derive(Default)]
struct Cut {
    /// The document so far, without the elements of its `items`, and with each run of
    /// whitespace outside strings kept as one space (two scalars stay apart).
    document: Vec<u8>,
    /// The element of `items` being read.
    item: Vec<u8>,
    /// The elements of `items` read so far, parsed.
    items: Vec<Manifest>,
    /// The first element of `items` that did not parse.
    item_error: Option<serde_json::Error>,
    /// Open objects and arrays.
    depth: usize,
    in_string: bool,
    /// The last byte was a backslash inside a string: the next one is taken as it is.
    escaped: bool,
    /// Inside the document's `items` array.
    in_items: bool,
    /// A scalar element of `items` is being read (object and array elements are found
    /// by depth).
    scalar_item: bool,
    /// A top-level scalar is being read: not a manifest, but serde_json says why.
    scalar_document: bool,
    /// At the top level of an object, the next string is a key.
    expect_key: bool,
    /// The top-level key being read, quotes included.
    key: Option<Vec<u8>>,
    /// The last top-level key read was `items`.
    after_items_key: bool,
}

impl Cut {
    /// Follows `chunk` until a document ends: how many bytes it used, and whether a
    /// document ended there.
    fn follow(&mut self, chunk: &[u8]) -> (usize, bool) {
        let mut at = 0;
        while at < chunk.len() {
            if self.in_string {
                at = self.follow_string(chunk, at);
                continue;
            }
            let byte = chunk[at];
            at += 1;
            if self.follow_byte(byte) {
                return (at, true);
            }
        }
        (at, false)
    }

    /// One byte outside strings; true when it ends a document.
    fn follow_byte(&mut self, byte: u8) -> bool {
        let element_level = self.in_items && self.depth == 2;
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                if self.scalar_document {
                    self.scalar_document = false;
                    return true;
                }
                if element_level {
                    self.end_scalar_item();
                } else {
                    let target = self.target();
                    if target.last().is_some_and(|b| *b != b' ') {
                        target.push(b' ');
                    }
                }
            }
            b'"' => {
                if element_level && !self.scalar_item {
                    self.start_item(true);
                } else if self.depth == 0 {
                    self.scalar_document = true;
                }
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.key = Some(Vec::new());
                }
                self.push(byte);
            }
            b'{' | b'[' => {
                let items_start =
                    byte == b'[' && self.depth == 1 && !self.expect_key && self.after_items_key;
                if element_level {
                    // The element is all of this value: it goes to the element's buffer.
                    self.start_item(false);
                    self.depth += 1;
                    self.push(byte);
                } else {
                    self.push(byte);
                    self.depth += 1;
                }
                self.in_items |= items_start;
                if self.depth == 1 {
                    self.expect_key = byte == b'{';
                }
            }
            b'}' | b']' => {
                let element_done = self.in_items && self.depth == 3;
                if element_level {
                    self.end_scalar_item();
                    self.in_items = false;
                }
                self.push(byte);
                self.depth = self.depth.saturating_sub(1);
                if element_done {
                    self.parse_item();
                }
                return self.depth == 0;
            }
            b',' if element_level => self.end_scalar_item(),
            b',' | b':' => {
                self.push(byte);
                if self.depth == 1 {
                    self.expect_key = byte == b',';
                }
            }
            _ => {
                if self.depth == 0 {
                    self.scalar_document = true;
                } else if element_level && !self.scalar_item {
                    self.start_item(true);
                }
                self.push(byte);
            }
        }
        false
    }

    /// Copies string bytes from `at` up to and including the closing quote, or to the end
    /// of the chunk; returns where it stopped.
    fn follow_string(&mut self, chunk: &[u8], at: usize) -> usize {
        if self.escaped {
            self.escaped = false;
            self.extend(&chunk[at..=at]);
            return at + 1;
        }
        let rest = &chunk[at..];
        match memchr::memchr2(b'"', b'\\', rest) {
            None => {
                self.extend(rest);
                chunk.len()
            }
            Some(found) => {
                self.extend(&rest[..=found]);
                if rest[found] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    if let Some(key) = self.key.take() {
                        self.after_items_key = key == b"\"items\"";
                    }
                }
                at + found + 1
            }
        }
    }

    /// Where bytes go now: the element of `items` being read, or the document.
    fn target(&mut self) -> &mut Vec<u8> {
        if self.in_items && (self.depth > 2 || self.scalar_item) {
            &mut self.item
        } else {
            &mut self.document
        }
    }

    fn push(&mut self, byte: u8) {
        if let Some(key) = &mut self.key {
            key.push(byte);
        }
        self.target().push(byte);
    }

    fn extend(&mut self, bytes: &[u8]) {
        if let Some(key) = &mut self.key {
            key.extend_from_slice(bytes);
        }
        self.target().extend_from_slice(bytes);
    }

    fn start_item(&mut self, scalar: bool) {
        self.item.clear();
        self.scalar_item = scalar;
    }

    fn end_scalar_item(&mut self) {
        if self.scalar_item {
            self.scalar_item = false;
            self.parse_item();
        }
    }

    /// Parses the element just read into its manifest.
    fn parse_item(&mut self) {
        match serde_json::from_slice::<AnyObject>(&self.item) {
            Ok(object) => self.items.push(object.into_item()),
            Err(e) if self.item_error.is_none() => {
                let index = self.items.len();
                self.item_error = Some(serde_json::Error::custom(format!("items[{index}]: {e}")));
            }
            Err(_) => {}
        }
        self.item.clear();
    }

    /// Parses the document just read, with the elements of its `items`.
    fn finish_document(&mut self) -> serde_json::Result<AnyObject> {
        let document = std::mem::take(&mut self.document);
        let items = std::mem::take(&mut self.items);
        self.after_items_key = false;
        self.expect_key = false;
        if let Some(e) = self.item_error.take() {
            return Err(e);
        }
        let mut object: AnyObject = serde_json::from_slice(&document)?;
        if !items.is_empty() {
            object.items = Items(items);
        }
        Ok(object)
    }

    /// What remains when the stream ends: a top-level scalar, or a cut-off document.
    fn end_of_stream(&mut self) -> serde_json::Result<Option<AnyObject>> {
        if self.scalar_document && !self.in_string {
            self.scalar_document = false;
            return self.finish_document().map(Some);
        }
        if self.depth > 0 || self.in_string {
            return Err(serde_json::Error::custom("EOF while parsing a document"));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
