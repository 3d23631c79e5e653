//! The kube-anycast lab: everything tests, the benchmark and the demo need to run the
//! daemon and the `bgp` crate against real routers and a fake cluster.
//!
//! - Network namespaces joined by a veth ([`netns`]); real routers started inside them with
//!   private paths ([`frr`], [`bird`], [`gobgp`], [`exabgp`]); the comparison of a router's
//!   RIB with what was announced ([`rib`]).
//! - The `bgp` crate's speaker on a thread that entered a namespace ([`speaker`]), and the
//!   interop scenarios every router runs ([`scenario`]).
//! - A fake Kubernetes API server ([`fake_apiserver`]) and Kubernetes objects at scale,
//!   as a real cluster prints them ([`workload`]).
//! - The scale benchmark of kube-anycast against the anchors ([`bench`](mod@bench)).
//! - The daemon's end-to-end rack: a ToR, nodes and a client in namespaces ([`rack`]), the
//!   whole daemon on every node against a real router ([`e2e`]), the client's requests
//!   ([`client`]) and the BGP messages on the wire, decoded from a capture ([`wiretap`]).
//! - A passive BGP peer that records what a router sends ([`recorder`]), and the
//!   capture of the `bgp` crate's test vectors from real routers with it ([`capture`]).
//! - The rack the `lab` binary's verbs build and drive between commands ([`rack_lab`]),
//!   and the containerlab testbed's router configs ([`containerlab`]).
//! - BFD failover measured three ways in a rack of three nodes, and a soak that looks for
//!   false positives under load ([`failover`]).
//!
//! Every helper owns what it starts and cleans it up on drop, even when a test panics:
//! processes are stopped by the pid recorded at spawn time, namespaces are deleted only if
//! this process created them. The files of a failed test (configs, logs) are kept under
//! `$TMPDIR/kube-anycast-lab/` and their place is printed.
//!
//! Running lab tests: as root, with the routers installed (`testbed/install-deps.sh`), e.g.
//! `cargo test -p bgp --test interop_frr`. Without root or a router binary the lab tests
//! say once that they skipped (and what is missing) and pass; `testbed/run-tests.sh` sets
//! `KUBE_ANYCAST_REQUIRE_LAB=1`, under which they fail instead.

pub mod bench;
pub mod bfd_routers;
pub mod bird;
pub mod capture;
pub mod client;
pub mod containerlab;
pub mod daemon_under_test;
pub mod e2e;
pub mod exabgp;
pub mod failover;
pub mod fake_apiserver;
pub mod files;
pub mod frr;
pub mod frr_ebgp;
pub mod gobgp;
pub mod interop;
pub mod json;
pub mod kernel_route;
pub mod local_peer;
pub mod metrics;
pub mod netns;
pub mod objects;
pub mod prereq;
pub mod process;
pub mod rack;
pub mod rack_lab;
pub mod recorder;
pub mod rib;
pub mod router;
pub mod scenario;
pub mod speaker;
pub mod update_layout;
pub mod vectors;
pub mod vty;
pub mod wait;
pub mod wiretap;
pub mod workload;

pub use files::{lab_dir, remove_lab_dir, tail};
pub use router::LabRouter;
pub use wait::{CONVERGE, holds_for, poll_until, wait_until};
