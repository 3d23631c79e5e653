//! The kube-anycast daemon as a library: the binary in `main.rs` is only its command
//! line. Kubernetes and config live here; BGP lives in the `bgp` crate.
//!
//! - [`config`]: the config file and its validation.
//! - [`cluster`]: the cluster state the decision reads.
//! - [`annotations`]: the `kube-anycast.io/*` annotations.
//! - [`decide`]: the pure function from cluster state to routes and reasons.
//! - [`values`]: small value syntaxes shared by config and annotations.
//! - [`readiness`]: what `/readyz` answers, as a pure function.

pub mod annotation_communities;
pub mod annotations;
pub mod bfd_status;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod decide;
pub mod http;
pub mod metrics;
pub mod readiness;
pub mod reconcile;
pub mod source;
pub mod status;
pub mod values;
