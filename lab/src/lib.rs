//! The kube-anycast lab: everything tests, the benchmark and the demo need to run the
//! daemon against real routers and a fake cluster.
//!
//! - [`workload`]: Kubernetes objects at scale, as a real cluster prints them.

pub mod workload;
