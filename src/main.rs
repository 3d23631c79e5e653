//! `kube-anycast`: announces Kubernetes Service externalIPs as anycast host routes.

fn main() {
    eprintln!("kube-anycast {}", env!("CARGO_PKG_VERSION"));
}
