//! The daemon's `/metrics` page in tests: whether it shows a sample. A sample is one line
//! of the Prometheus text format, `name{labels} value`, compared whole, so
//! `kube_anycast_routes_announced 1` is not found in `kube_anycast_routes_announced 10`.

/// Asserts that `page` (the text `/metrics` served) shows every one of `samples`; the
/// message names the one missing and shows the page.
pub fn assert_shows(page: &str, samples: &[&str]) {
    for sample in samples {
        assert!(
            page.lines().any(|line| line == *sample),
            "no sample {sample:?} in /metrics:\n{page}"
        );
    }
}

#[cfg(test)]
mod tests;
