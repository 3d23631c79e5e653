//! `kube-anycast`: announces Kubernetes Service externalIPs as anycast host routes.
//!
//! The daemon is built on the `bgp` crate of this workspace.

fn main() {
    eprintln!("kube-anycast {}", env!("CARGO_PKG_VERSION"));
}
